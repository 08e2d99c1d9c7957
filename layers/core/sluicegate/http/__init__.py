"""API Gateway adapters: the gateway's routes and the token authorizer."""
