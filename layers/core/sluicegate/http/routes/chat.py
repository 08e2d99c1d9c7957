"""``POST /v1/chat/completions``."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from ...api.chat import ChatCompletionRequest
from ...api.parsing import parse_model
from ...errors import GatewayError
from ...pipeline.chat import ChatOutcome
from ...pipeline.serve import complete_chat
from ..deps import RouteDeps
from ..responses import chat_completion_body, chat_completion_stream_body, gateway_headers, json_response


def register(app: APIGatewayRestResolver, deps: RouteDeps) -> None:
    @app.post("/v1/chat/completions")
    def chat_completions() -> Response:
        ctx = deps.request_context()
        try:
            request = parse_model(ChatCompletionRequest, deps.body())
        except GatewayError as exc:
            ctx.metrics.error(exc.code or exc.error_type)
            ctx.metrics.flush()
            raise
        outcome = complete_chat(ctx, request, deps.services())

        headers = gateway_headers(ctx.request_id, outcome, ctx.timer)
        headers.update(outcome.rate_limit_headers)
        headers.update(outcome.headers)
        extension = sluicegate_extension(outcome)
        if not request.stream:
            body = chat_completion_body(outcome)
            if extension:
                body["sluicegate"] = extension
            return json_response(200, body, headers)
        include_usage = bool(request.stream_options and request.stream_options.include_usage)
        headers["cache-control"] = "no-cache"
        stream = chat_completion_stream_body(outcome, include_usage)
        return Response(
            status_code=200,
            content_type="text/event-stream; charset=utf-8",
            body=with_extension_in_first_chunk(stream, extension) if extension else stream,
            headers=headers,
        )


def sluicegate_extension(outcome: ChatOutcome) -> dict[str, Any]:
    """Build the ``sluicegate`` object of a response; empty when no extension applies."""
    if outcome.retrieval is None:
        return {}
    return {"retrieval": outcome.retrieval.to_extension()}


def with_extension_in_first_chunk(stream: str, extension: dict[str, Any]) -> str:
    """Add the ``sluicegate`` object to the first chunk of a rendered event stream."""
    first, rest = stream.split("\n\n", 1)
    chunk = json.loads(first.removeprefix("data: "))
    chunk["sluicegate"] = extension
    return f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n{rest}"
