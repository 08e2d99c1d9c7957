"""OpenAI-compatible request and response models, and request parsing."""
