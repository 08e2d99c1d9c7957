"""Check AWS Signature Version 4 on requests to IAM-authorized routes, as API Gateway does.

The local runner accepts one IAM identity: the local admin, whose access key
and secret ``make run`` writes to ``.local/admin-credentials.json``. Clients
sign with them as they would sign for API Gateway in AWS (service
``execute-api``): botocore's ``SigV4Auth``, ``curl --aws-sigv4``, or any SDK.
The canonical request follows the published algorithm: method, URI-encoded
path, sorted query, the signed headers, and the SHA-256 of the body.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qsl, quote

ALGORITHM = "AWS4-HMAC-SHA256"
SERVICE = "execute-api"
REGION = "us-east-1"
ACCOUNT_ID = "000000000000"
# API Gateway refuses a signature whose x-amz-date is more than 5 minutes away from its clock.
MAX_CLOCK_SKEW = timedelta(minutes=5)
_AUTHORIZATION = re.compile(
    ALGORITHM + r"\s+Credential=(?P<credential>[^,\s]+),\s*SignedHeaders=(?P<signed>[^,\s]+),\s*Signature=(?P<signature>[0-9a-f]{64})\s*$"
)


@dataclass(frozen=True)
class AdminCredentials:
    access_key_id: str
    secret_access_key: str
    user_arn: str

    def identity(self, source_ip: str, user_agent: str) -> dict[str, str]:
        """Return the ``requestContext.identity`` that API Gateway sends for an IAM-authorized request."""
        return {
            "accessKey": self.access_key_id,
            "accountId": ACCOUNT_ID,
            "caller": self.access_key_id,
            "user": self.access_key_id,
            "userArn": self.user_arn,
            "sourceIp": source_ip,
            "userAgent": user_agent,
        }


class SignatureRejected(Exception):
    """A missing or invalid signature, with the gateway response type and message API Gateway returns."""

    def __init__(self, response_type: str, message: str) -> None:
        super().__init__(message)
        self.response_type = response_type
        self.message = message


def load_or_create_credentials(path: Path) -> AdminCredentials:
    """Read the local admin credentials, creating them with a new random secret on first use."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        document = {
            "aws_access_key_id": "AKIASGLOCAL" + secrets.token_hex(5).upper(),
            "aws_secret_access_key": secrets.token_urlsafe(30),
            "region": REGION,
            "service": SERVICE,
            "user_arn": f"arn:aws:iam::{ACCOUNT_ID}:user/sluicegate-local-admin",
        }
        path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        path.chmod(0o600)
    document = json.loads(path.read_text(encoding="utf-8"))
    return AdminCredentials(document["aws_access_key_id"], document["aws_secret_access_key"], document["user_arn"])


def header_value(headers: dict[str, list[str]], name: str) -> str | None:
    """Return the last value of the header ``name`` (lower case), matched without regard to case."""
    return next((values[-1] for key, values in headers.items() if key.lower() == name), None)


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def _canonical_query(query: str) -> str:
    pairs = [(quote(name, safe="-_.~"), quote(value, safe="-_.~")) for name, value in parse_qsl(query, keep_blank_values=True)]
    return "&".join(f"{name}={value}" for name, value in sorted(pairs))


def _canonical_headers(headers: dict[str, list[str]], signed: list[str]) -> str:
    lowered: dict[str, list[str]] = {}
    for name, values in headers.items():
        lowered.setdefault(name.lower(), []).extend(values)
    lines = []
    for name in signed:
        if name not in lowered:
            raise SignatureRejected("INVALID_SIGNATURE", f"the signed header {name!r} is not in the request")
        values = [" ".join(value.split()) for value in lowered[name]]
        lines.append(f"{name}:{','.join(values)}\n")
    return "".join(lines)


def signature_for(
    secret: str, method: str, path: str, query: str, headers: dict[str, list[str]], signed: list[str],
    body: bytes, amz_date: str, region: str = REGION, service: str = SERVICE,
) -> str:
    """Return the hex signature of a request, computed as the signer should have."""
    payload_hash = header_value(headers, "x-amz-content-sha256") or hashlib.sha256(body).hexdigest()
    canonical_request = "\n".join([
        method,
        quote(path or "/", safe="/~"),
        _canonical_query(query),
        _canonical_headers(headers, signed),
        ";".join(signed),
        payload_hash,
    ])
    scope = f"{amz_date[:8]}/{region}/{service}/aws4_request"
    string_to_sign = "\n".join(
        [ALGORITHM, amz_date, scope, hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()]
    )
    key = _hmac(("AWS4" + secret).encode("utf-8"), amz_date[:8])
    for part in (region, service, "aws4_request"):
        key = _hmac(key, part)
    return hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def verify(
    credentials: AdminCredentials, method: str, path: str, query: str, headers: dict[str, list[str]],
    body: bytes, now: datetime | None = None,
) -> None:
    """Return when the request is signed by ``credentials``; raise ``SignatureRejected`` otherwise."""
    header = header_value(headers, "authorization") or ""
    if not header:
        raise SignatureRejected("MISSING_AUTHENTICATION_TOKEN", "Missing Authentication Token")
    found = _AUTHORIZATION.match(header.strip())
    if found is None:
        raise SignatureRejected(
            "INVALID_SIGNATURE",
            "the Authorization header is not an AWS Signature Version 4 (AWS4-HMAC-SHA256 Credential=..., "
            "SignedHeaders=..., Signature=...); admin routes do not accept API keys",
        )
    credential = found["credential"].split("/")
    if len(credential) != 5 or credential[4] != "aws4_request":
        raise SignatureRejected("INVALID_SIGNATURE", "the Credential must be <access key>/<date>/<region>/<service>/aws4_request")
    access_key, date, region, service = credential[:4]
    if region != REGION:
        raise SignatureRejected("INVALID_SIGNATURE", f"the credential scope names region {region!r}; the local runner is {REGION!r}")
    if service != SERVICE:
        raise SignatureRejected("INVALID_SIGNATURE", f"the credential scope names service {service!r}; sign for {SERVICE!r}")
    if not hmac.compare_digest(access_key.encode(), credentials.access_key_id.encode()):
        raise SignatureRejected("INVALID_SIGNATURE", "The security token included in the request is invalid.")

    amz_date = header_value(headers, "x-amz-date") or ""
    try:
        signed_at = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        raise SignatureRejected("INVALID_SIGNATURE", "the request needs an X-Amz-Date header like 20261204T221500Z") from None
    if date != amz_date[:8]:
        raise SignatureRejected("INVALID_SIGNATURE", "the date in the Credential differs from the X-Amz-Date header")
    now = now or datetime.now(timezone.utc)
    if abs(now - signed_at) > MAX_CLOCK_SKEW:
        raise SignatureRejected(
            "EXPIRED_TOKEN",
            f"Signature expired: {amz_date} is more than 5 minutes from the server's time {now:%Y%m%dT%H%M%SZ}",
        )
    signed = found["signed"].split(";")
    if "host" not in signed or "x-amz-date" not in signed:
        raise SignatureRejected("INVALID_SIGNATURE", "the signed headers must include host and x-amz-date")
    expected = signature_for(credentials.secret_access_key, method, path, query, headers, signed, body, amz_date, region)
    if not hmac.compare_digest(expected, found["signature"]):
        raise SignatureRejected(
            "INVALID_SIGNATURE",
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method.",
        )
