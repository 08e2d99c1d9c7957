"""Local stand-in for API Gateway and Lambda, driven by template.yaml (no Docker needed)."""
