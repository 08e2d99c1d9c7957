"""Prices and the cost of one request, in integer micro-USD."""
