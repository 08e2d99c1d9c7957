"""``POST /v1/embeddings`` with the in-function embedding model, as the OpenAI API defines it."""

from __future__ import annotations

import base64
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from ...api.embeddings import EmbeddingsRequest
from ...api.parsing import parse_model
from ...errors import GatewayError, InvalidRequestError, ModelNotFoundError
from ...retrieval.embedder import EmbeddingService
from ...retrieval.errors import EmbeddingInputTooLongError
from ..deps import RouteDeps
from ..responses import json_response


def check_model(request: EmbeddingsRequest, model_name: str) -> None:
    if request.model != model_name:
        raise ModelNotFoundError(
            f"the embedding model {request.model!r} does not exist; available embedding models: {model_name}",
            param="model",
        )


def check_inputs(request: EmbeddingsRequest, model_name: str, dimension: int, max_inputs: int) -> list[str]:
    """Return the texts to embed; raise for a dimension the model cannot return or too many inputs."""
    if request.dimensions is not None and request.dimensions != dimension:
        raise InvalidRequestError(
            f"{model_name} returns {dimension} dimensions and cannot shorten them; "
            f"send dimensions={dimension} or leave it out (got {request.dimensions})",
            param="dimensions",
        )
    texts = request.texts()
    if len(texts) > max_inputs:
        raise InvalidRequestError(
            f"the request has {len(texts)} inputs; send at most {max_inputs} per request", param="input"
        )
    return texts


def check_lengths(embedder: EmbeddingService, texts: list[str]) -> list[int]:
    """Return each input's token count; raise for an input the model would have to truncate."""
    lengths = embedder.input_lengths(texts)
    for index, length in enumerate(lengths):
        if length > embedder.max_input_tokens:
            where = "input" if len(texts) == 1 else f"input[{index}]"
            raise EmbeddingInputTooLongError(
                f"{where} is {length} tokens, but {embedder.name} reads at most {embedder.max_input_tokens} "
                "tokens per input ([CLS] and [SEP] included); split it into shorter texts",
                param=where,
            )
    return lengths


def embedding_item(index: int, vector: Any, encoding_format: str) -> dict[str, Any]:
    if encoding_format == "base64":
        # Little-endian float32, which the OpenAI SDKs decode.
        value: Any = base64.b64encode(vector.astype("<f4").tobytes()).decode("ascii")
    else:
        value = vector.tolist()
    return {"object": "embedding", "index": index, "embedding": value}


def register(app: APIGatewayRestResolver, deps: RouteDeps) -> None:
    @app.post("/v1/embeddings")
    def create_embeddings() -> Response:
        ctx = deps.request_context()
        services = deps.services()
        try:
            request = parse_model(EmbeddingsRequest, deps.body())
            settings = services.settings
            check_model(request, settings.embedding_model)
            embedder = services.embedder
            texts = check_inputs(request, embedder.name, embedder.dimension, settings.embeddings_max_inputs)
            tokens = sum(check_lengths(embedder, texts))
            vectors = embedder.embed(texts)
            ctx.metrics.add_single("EmbeddingTokens", tokens, {"Model": embedder.name})
        except GatewayError as exc:
            ctx.metrics.error(exc.code or exc.error_type)
            raise
        finally:
            ctx.metrics.flush()
        body = {
            "object": "list",
            "data": [embedding_item(index, vector, request.encoding_format) for index, vector in enumerate(vectors)],
            "model": embedder.name,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }
        return json_response(200, body, {"x-sluicegate-request-id": ctx.request_id})
