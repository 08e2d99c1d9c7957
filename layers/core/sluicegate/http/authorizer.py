"""The Lambda TOKEN authorizer: bearer API key in, IAM policy and tenant context out.

API Gateway caches the policy per token, so the policy allows every route of
the stage rather than only the method being called.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from ..auth.service import authenticate
from ..errors import AuthenticationError
from ..services import Services

logger = Logger(service="sluicegate", child=True)

# API Gateway turns exactly this exception message into a 401 response.
UNAUTHORIZED = "Unauthorized"


class Unauthorized(Exception):
    def __init__(self) -> None:
        super().__init__(UNAUTHORIZED)


def stage_wildcard_arn(method_arn: str) -> str:
    """``arn:aws:execute-api:region:account:api/stage/GET/v1/models`` → ``.../api/stage/*/*``."""
    prefix, _, path = method_arn.partition(":execute-api:")
    region_account_api = path.split("/")
    if len(region_account_api) < 2:
        return method_arn
    return f"{prefix}:execute-api:{region_account_api[0]}/{region_account_api[1]}/*/*"


def authorize(event: dict[str, Any], services: Services) -> dict[str, Any]:
    """Return an Allow policy with the tenant in its context, or raise ``Unauthorized``."""
    try:
        principal = authenticate(event.get("authorizationToken"), services.tenants)
    except AuthenticationError as exc:
        logger.info("rejected API key", reason=exc.message)
        raise Unauthorized() from exc
    return {
        "principalId": principal.tenant_id,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Action": "execute-api:Invoke",
                    "Effect": "Allow",
                    "Resource": stage_wildcard_arn(event.get("methodArn", "")),
                }
            ],
        },
        "context": {"tenant_id": principal.tenant_id, "key_id": principal.key_id, "tier": principal.tier},
    }
