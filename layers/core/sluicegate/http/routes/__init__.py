"""One module per group of routes; each exposes ``register(app, deps)``."""
