"""Metrics (CloudWatch EMF), structured logs and traces."""
