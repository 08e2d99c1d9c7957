"""``GET /v1/usage``: the caller's usage and remaining quota in each current window."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from ..deps import RouteDeps
from ..responses import json_response


def register(app: APIGatewayRestResolver, deps: RouteDeps) -> None:
    @app.get("/v1/usage")
    def get_usage() -> Response:
        ctx = deps.request_context()
        return json_response(200, deps.services().quotas.usage_report(ctx.principal))
