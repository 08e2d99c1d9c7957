"""Tenants and their API keys in Postgres."""
