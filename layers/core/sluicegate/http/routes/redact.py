"""``POST /v1/redact``: PII analysis and redaction as a service.

The response never contains the detected values, only their types and offsets
(code points of the caller's text) and the redacted text.
"""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from ...api.parsing import parse_model
from ...api.redact import RedactRequest
from ..deps import RouteDeps
from ..responses import json_response


def register(app: APIGatewayRestResolver, deps: RouteDeps) -> None:
    @app.post("/v1/redact")
    def redact() -> Response:
        ctx = deps.request_context()
        services = deps.services()
        request = parse_model(RedactRequest, deps.body())
        tenant = services.tenant_cache.get(ctx.principal.tenant_id)
        screener = services.screeners.for_tenant(tenant)

        shared = screener.start()
        results = []
        for index, text in enumerate(request.texts()):
            session = shared if request.shared_numbering else screener.start()
            analysis = session.analyze(text)
            item = {
                "index": index,
                "text": analysis.text,
                "entities": [entity.to_dict() for entity in analysis.entities],
            }
            if request.detect_injection:
                injection = screener.score_injection(text)
                item["injection"] = {"score": round(injection.score, 3), "flags": injection.flags}
            results.append(item)
        return json_response(
            200,
            {"object": "redaction", "policy": screener.policy.model_dump(mode="json"), "results": results},
            {"x-sluicegate-request-id": ctx.request_id},
        )
