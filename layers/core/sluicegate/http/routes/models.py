"""``GET /v1/models`` and ``GET /v1/models/{id}``: the model names of the routing config."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from ...routing.router import ModelInfo
from ..deps import RouteDeps
from ..responses import json_response


def model_object(info: ModelInfo) -> dict:
    return {"id": info.model_id, "object": "model", "created": info.created, "owned_by": info.owned_by}


def register(app: APIGatewayRestResolver, deps: RouteDeps) -> None:
    @app.get("/v1/models")
    def list_models() -> Response:
        deps.request_context()
        models = deps.services().router.models()
        return json_response(200, {"object": "list", "data": [model_object(info) for info in models]})

    @app.get("/v1/models/<model_id>")
    def get_model(model_id: str) -> Response:
        deps.request_context()
        return json_response(200, model_object(deps.services().router.model(model_id)))
