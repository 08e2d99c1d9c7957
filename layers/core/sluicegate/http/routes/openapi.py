"""``GET /openapi.json``: the OpenAPI document of the API, served without an API key."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from ..deps import RouteDeps
from ..responses import json_response


def register(app: APIGatewayRestResolver, deps: RouteDeps) -> None:
    @app.get("/openapi.json")
    def openapi_document() -> Response:
        # Imported here: the document's models take tens of milliseconds to import,
        # which a cold start that serves a chat request does not need to spend.
        from ...api.openapi import build_openapi

        # template.yaml serves this route without the authorizer, so it never reads the principal.
        return json_response(200, build_openapi())
