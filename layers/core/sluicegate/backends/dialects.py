"""Request and response payloads of the two SageMaker endpoint dialects.

``tgi``: Hugging Face Text Generation Inference (the Hugging Face LLM
container). The request is ``{"inputs": prompt, "parameters": {...}}`` and the
response ``[{"generated_text", "details": {"finish_reason", "generated_tokens",
"prefill"}}]``. ``openai_chat``: an OpenAI chat completions body (the Messages
API of TGI, vLLM and LMI containers) with ``choices`` and ``usage`` back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

from .base import ChatMessage, FinishReason, GenerationRequest

DialectName = Literal["tgi", "openai_chat"]


class DialectError(ValueError):
    """The endpoint's response does not have the shape its dialect defines."""


@dataclass(frozen=True)
class DecodedReply:
    text: str
    finish_reason: FinishReason
    # None when the response does not report the count.
    prompt_tokens: int | None
    completion_tokens: int | None


class Dialect(Protocol):
    name: DialectName

    def encode(self, request: GenerationRequest, prompt: str) -> dict[str, Any]: ...

    def decode(self, body: Any, request: GenerationRequest) -> DecodedReply: ...


def _count(value: Any, field: str) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise DialectError(f"{field} must be a non-negative integer, got {value!r}")
    return value


class TgiDialect:
    name: DialectName = "tgi"

    def __init__(self, prefill_details: bool = False) -> None:
        # With prefill details TGI lists every prompt token, so the prompt count
        # comes from the endpoint instead of the gateway's tokenizer.
        self.prefill_details = prefill_details

    def encode(self, request: GenerationRequest, prompt: str) -> dict[str, Any]:
        params = request.params
        parameters: dict[str, Any] = {"max_new_tokens": params.max_tokens, "details": True, "return_full_text": False}
        # TGI's parameter validation requires temperature > 0 and 0 < top_p < 1, so greedy decoding is do_sample=false.
        sampling = params.temperature > 0
        parameters["do_sample"] = sampling
        if sampling:
            parameters["temperature"] = params.temperature
            if params.top_p < 1.0:
                parameters["top_p"] = params.top_p
            if params.top_k > 0:
                parameters["top_k"] = params.top_k
            if params.seed is not None:
                parameters["seed"] = params.seed
        if params.stop:
            parameters["stop"] = list(params.stop)
        if params.repetition_penalty != 1.0:
            parameters["repetition_penalty"] = params.repetition_penalty
        if self.prefill_details:
            parameters["decoder_input_details"] = True
        return {"inputs": prompt, "parameters": parameters}

    def decode(self, body: Any, request: GenerationRequest) -> DecodedReply:
        item = body[0] if isinstance(body, list) and body else body
        if not isinstance(item, dict) or not isinstance(item.get("generated_text"), str):
            raise DialectError("expected a list whose first item has a string 'generated_text'")
        text = item["generated_text"]
        details = item.get("details") or {}
        reason = details.get("finish_reason")
        if reason == "stop_sequence":
            # TGI keeps the matched stop sequence in the text; OpenAI clients expect it removed.
            for stop in request.params.stop:
                if text.endswith(stop):
                    text = text[: -len(stop)]
                    break
        prefill = details.get("prefill")
        prompt_tokens = len(prefill) if isinstance(prefill, list) and prefill else None
        return DecodedReply(
            text=text,
            finish_reason="length" if reason == "length" else "stop",
            prompt_tokens=prompt_tokens,
            completion_tokens=_count(details.get("generated_tokens"), "details.generated_tokens"),
        )


class OpenAIChatDialect:
    name: DialectName = "openai_chat"

    def __init__(self, served_model: str | None = None) -> None:
        self.served_model = served_model

    def encode(self, request: GenerationRequest, prompt: str) -> dict[str, Any]:
        params = request.params
        body: dict[str, Any] = {
            "messages": [_message(message) for message in request.messages],
            "max_tokens": params.max_tokens,
            "temperature": params.temperature,
            "top_p": params.top_p,
            "stream": False,
        }
        if self.served_model:
            body["model"] = self.served_model
        if params.seed is not None:
            body["seed"] = params.seed
        if params.stop:
            body["stop"] = list(params.stop)
        # NOTE: top_k and repetition_penalty are not OpenAI fields. vLLM and
        # TGI's Messages API accept them as extensions; other servers may reject them.
        if params.top_k > 0:
            body["top_k"] = params.top_k
        if params.repetition_penalty != 1.0:
            body["repetition_penalty"] = params.repetition_penalty
        return body

    def decode(self, body: Any, request: GenerationRequest) -> DecodedReply:
        choices = body.get("choices") if isinstance(body, dict) else None
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise DialectError("expected an object with a non-empty 'choices' list")
        message = choices[0].get("message") or {}
        text = message.get("content")
        if not isinstance(text, str):
            raise DialectError("choices[0].message.content must be a string")
        usage = body.get("usage") or {}
        return DecodedReply(
            text=text,
            finish_reason="length" if choices[0].get("finish_reason") == "length" else "stop",
            prompt_tokens=_count(usage.get("prompt_tokens"), "usage.prompt_tokens"),
            completion_tokens=_count(usage.get("completion_tokens"), "usage.completion_tokens"),
        )


def _message(message: ChatMessage) -> dict[str, str]:
    return {"role": message.role, "content": message.content}


def build_dialect(name: DialectName, *, prefill_details: bool = False, served_model: str | None = None) -> Dialect:
    if name == "tgi":
        return TgiDialect(prefill_details=prefill_details)
    if name == "openai_chat":
        return OpenAIChatDialect(served_model=served_model)
    raise ValueError(f"unknown SageMaker dialect {name!r}; use 'tgi' or 'openai_chat'")
