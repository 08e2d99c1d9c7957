"""Postgres adapter: connection pool, embedded local server and migrations."""
