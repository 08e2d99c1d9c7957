"""``GET /v1/models`` and ``GET /v1/models/{id}``."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from ...backends.catalog import CatalogEntry
from ..deps import RouteDeps
from ..responses import json_response


def model_object(entry: CatalogEntry) -> dict:
    return {"id": entry.model_id, "object": "model", "created": entry.created, "owned_by": entry.owned_by}


def register(app: APIGatewayRestResolver, deps: RouteDeps) -> None:
    @app.get("/v1/models")
    def list_models() -> Response:
        deps.request_context()
        entries = deps.services().catalog.entries()
        return json_response(200, {"object": "list", "data": [model_object(entry) for entry in entries]})

    @app.get("/v1/models/<model_id>")
    def get_model(model_id: str) -> Response:
        deps.request_context()
        return json_response(200, model_object(deps.services().catalog.get(model_id)))
