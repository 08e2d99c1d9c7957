"""Serve one invocation in an endpoint's dialect, as the model container would.

Container errors come back as ``ContainerError``; the HTTP layer wraps them in
SageMaker's ``ModelError`` (HTTP 424) as the real service does.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any, Literal

from sluicegate.backends.base import Backend, ChatMessage, GenerationRequest, GenerationResult, SamplingParams
from sluicegate.backends.prompts import parse_chatml, render_chatml

Dialect = Literal["tgi", "openai_chat"]


@dataclass(frozen=True)
class EmulatedEndpoint:
    name: str
    dialect: Dialect
    context_window: int = 8192
    # openai_chat only: whether responses carry "usage".
    report_usage: bool = True


@dataclass(frozen=True)
class ServedReply:
    payload: Any
    prompt_tokens: int
    completion_tokens: int


class ContainerError(Exception):
    """The model container rejected or failed the request with ``status``."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(json.dumps(body))
        self.status = status
        self.body = body


class EndpointServer:
    """Runs requests of both dialects on one backend; calls are serialised because a model runs one at a time."""

    def __init__(self, backend: Backend, tokenizer: Any = None) -> None:
        self.backend = backend
        self.tokenizer = tokenizer
        self._lock = threading.Lock()

    def _prompt_ids(self, prompt: str, messages: tuple[ChatMessage, ...]) -> list[int]:
        if self.tokenizer is not None:
            return list(self.tokenizer.encode(prompt, add_special_tokens=False).ids)
        # Without a tokenizer the backend's own count is the truth; ids are placeholders.
        return [0] * self.backend.count_prompt_tokens(messages)

    def _generate(self, messages: tuple[ChatMessage, ...], params: SamplingParams) -> GenerationResult:
        with self._lock:
            return self.backend.generate(GenerationRequest(messages=messages, params=params))

    def serve(self, endpoint: EmulatedEndpoint, body: Any) -> ServedReply:
        if endpoint.dialect == "tgi":
            return self.serve_tgi(endpoint, body)
        return self.serve_openai_chat(endpoint, body)

    def serve_tgi(self, endpoint: EmulatedEndpoint, body: Any) -> ServedReply:
        if not isinstance(body, dict) or not isinstance(body.get("inputs"), str):
            raise ContainerError(422, {"error": "Input validation error: `inputs` must be a string", "error_type": "validation"})
        prompt = body["inputs"]
        parameters = body.get("parameters") or {}

        try:
            messages = parse_chatml(prompt)
        except ValueError as exc:
            raise ContainerError(422, {"error": f"Input validation error: {exc}", "error_type": "validation"}) from exc
        prompt_ids = self._prompt_ids(prompt, messages)
        max_new = int(parameters.get("max_new_tokens") or 20)
        if len(prompt_ids) + max_new > endpoint.context_window:
            message = (
                f"Input validation error: `inputs` tokens + `max_new_tokens` must be <= {endpoint.context_window}. "
                f"Given: {len(prompt_ids)} `inputs` tokens and {max_new} `max_new_tokens`"
            )
            raise ContainerError(422, {"error": message, "error_type": "validation"})

        sampling = bool(parameters.get("do_sample"))
        result = self._generate(messages, SamplingParams(
            max_tokens=max_new,
            temperature=float(parameters.get("temperature", 1.0)) if sampling else 0.0,
            top_p=float(parameters.get("top_p", 1.0)),
            top_k=int(parameters.get("top_k") or 0),
            seed=parameters.get("seed"),
            stop=tuple(parameters.get("stop") or ()),
        ))

        text, reason = result.text, "length" if result.finish_reason == "length" else "eos_token"
        stop = result.extra.get("stop_sequence")
        if isinstance(stop, str):
            # TGI keeps the matched stop sequence in generated_text.
            text, reason = text + stop, "stop_sequence"
        details: dict[str, Any] = {"finish_reason": reason, "generated_tokens": result.completion_tokens, "seed": parameters.get("seed"), "prefill": []}
        if parameters.get("decoder_input_details"):
            details["prefill"] = [{"id": token_id, "text": "", "logprob": None} for token_id in prompt_ids]
        payload = [{"generated_text": text, "details": details}]
        return ServedReply(payload, len(prompt_ids), result.completion_tokens)

    def serve_openai_chat(self, endpoint: EmulatedEndpoint, body: Any) -> ServedReply:
        raw_messages = body.get("messages") if isinstance(body, dict) else None
        if not isinstance(raw_messages, list) or not raw_messages:
            raise ContainerError(400, {"object": "error", "message": "messages must be a non-empty list", "type": "BadRequestError", "code": 400})
        messages = tuple(ChatMessage(role=item.get("role", "user"), content=str(item.get("content", ""))) for item in raw_messages)
        prompt_tokens = len(self._prompt_ids(render_chatml(messages), messages))
        max_tokens = int(body.get("max_tokens") or 256)
        if prompt_tokens + max_tokens > endpoint.context_window:
            message = (
                f"This model's maximum context length is {endpoint.context_window} tokens. However, you requested "
                f"{prompt_tokens + max_tokens} tokens ({prompt_tokens} in the messages, {max_tokens} in the completion). "
                "Please reduce the length of the messages or completion."
            )
            raise ContainerError(400, {"object": "error", "message": message, "type": "BadRequestError", "code": 400})

        stop = body.get("stop") or ()
        result = self._generate(messages, SamplingParams(
            max_tokens=max_tokens,
            temperature=float(body.get("temperature", 1.0)),
            top_p=float(body.get("top_p", 1.0)),
            top_k=int(body.get("top_k") or 0),
            seed=body.get("seed"),
            stop=(stop,) if isinstance(stop, str) else tuple(stop),
        ))
        payload: dict[str, Any] = {
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model") or endpoint.name,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": result.text}, "finish_reason": result.finish_reason}],
        }
        if endpoint.report_usage:
            payload["usage"] = {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": result.completion_tokens,
                "total_tokens": prompt_tokens + result.completion_tokens,
            }
        return ServedReply(payload, prompt_tokens, result.completion_tokens)
