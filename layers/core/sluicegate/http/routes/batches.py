"""``POST /v1/batches`` and ``GET /v1/batches/{batch_id}``."""

from __future__ import annotations

import re

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from ...api.batches import BATCH_ID_PATTERN, parse_batch_request, parse_results_page
from ...batches.errors import BatchNotFoundError
from ..deps import RouteDeps
from ..responses import json_response


def register(app: APIGatewayRestResolver, deps: RouteDeps) -> None:
    @app.post("/v1/batches")
    def create_batch() -> Response:
        ctx = deps.request_context()
        batch, requests = parse_batch_request(deps.body())
        body = deps.services().batches.submit(ctx.principal, batch, requests)
        return json_response(200, body, {"x-sluicegate-request-id": ctx.request_id})

    @app.get("/v1/batches/<batch_id>")
    def get_batch(batch_id: str) -> Response:
        ctx = deps.request_context()
        if not re.fullmatch(BATCH_ID_PATTERN, batch_id):
            # No batch has such an id, and one with a NUL character would fail in PostgreSQL.
            raise BatchNotFoundError(
                f"no batch with id {batch_id[:80]!r} exists; batch ids look like batch_<32 hex digits>",
                param="batch_id",
            )
        after, limit = parse_results_page(app.current_event.query_string_parameters)
        body = deps.services().batches.status(ctx.principal, batch_id, after, limit)
        return json_response(200, body, {"x-sluicegate-request-id": ctx.request_id})
