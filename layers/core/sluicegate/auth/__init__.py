"""Authentication: API key format, hashing and the authorizer's decision."""
