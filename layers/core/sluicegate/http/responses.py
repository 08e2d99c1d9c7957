"""OpenAI response bodies and the ``x-sluicegate-*`` headers."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import Response

from ..errors import GatewayError
from ..pipeline.chat import ChatOutcome
from ..pipeline.timing import StageTimer


def json_response(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return Response(
        status_code=status,
        content_type="application/json",
        body=json.dumps(body, ensure_ascii=False),
        headers=headers or {},
    )


def error_response(error: GatewayError, request_id: str | None) -> Response:
    headers = dict(error.headers)
    if request_id:
        headers["x-sluicegate-request-id"] = request_id
    return json_response(error.status, error.to_body(), headers)


def gateway_headers(request_id: str, outcome: ChatOutcome, timer: StageTimer) -> dict[str, str]:
    cost = outcome.cost
    return {
        "x-sluicegate-request-id": request_id,
        "x-sluicegate-backend": outcome.backend,
        "x-sluicegate-cost-usd": f"{cost.usd:.6f}" if cost else "0.000000",
        "x-sluicegate-cost-basis": cost.basis if cost else "none",
        "x-sluicegate-overhead-ms": f"{timer.overhead_ms():.1f}",
    }


def _usage(outcome: ChatOutcome) -> dict[str, int]:
    result = outcome.result
    return {
        "prompt_tokens": result.prompt_tokens,
        "completion_tokens": result.completion_tokens,
        "total_tokens": result.prompt_tokens + result.completion_tokens,
    }


def chat_completion_body(outcome: ChatOutcome) -> dict[str, Any]:
    return {
        "id": outcome.completion_id,
        "object": "chat.completion",
        "created": outcome.created,
        "model": outcome.model,
        "system_fingerprint": None,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": outcome.result.text, "refusal": None},
                "logprobs": None,
                "finish_reason": outcome.result.finish_reason,
            }
        ],
        "usage": _usage(outcome),
    }


def _chunk(outcome: ChatOutcome, choices: list[dict[str, Any]], usage: dict[str, int] | None, with_usage_field: bool) -> str:
    body: dict[str, Any] = {
        "id": outcome.completion_id,
        "object": "chat.completion.chunk",
        "created": outcome.created,
        "model": outcome.model,
        "system_fingerprint": None,
        "choices": choices,
    }
    if with_usage_field:
        body["usage"] = usage
    return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"


def chat_completion_stream_body(outcome: ChatOutcome, include_usage: bool) -> str:
    """Render a whole stream as one ``text/event-stream`` body.

    API Gateway REST integrations with Lambda return one buffered response,
    so the client receives every chunk at once, when generation has finished.
    """

    def choice(delta: dict[str, Any], finish_reason: str | None = None) -> list[dict[str, Any]]:
        return [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}]

    events = [_chunk(outcome, choice({"role": "assistant", "content": ""}), None, include_usage)]
    for delta in outcome.deltas:
        events.append(_chunk(outcome, choice({"content": delta}), None, include_usage))
    events.append(_chunk(outcome, choice({}, outcome.result.finish_reason), None, include_usage))
    if include_usage:
        events.append(_chunk(outcome, [], _usage(outcome), True))
    events.append("data: [DONE]\n\n")
    return "".join(events)
