"""schemathesis against the admin API's OpenAPI document, with every request signed.

The local runner checks each request's Signature Version 4 as API Gateway
does, so the requests are signed after schemathesis builds them. Path
parameters are steered so that half of the valid cases reach a tenant, key
and tier that exist, and generated tier names get a prefix, so that the run never changes the
tiers that other tests rely on. Authentication itself is covered route by
route in tests/integration/admin/test_admin_auth.py.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from pathlib import Path

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from fuzz_support import load_schema, summarize
from local_gateway import serve_gateway
from sglocal.sigv4 import AdminCredentials, load_or_create_credentials
from sluicegate.api.admin import ID_PATTERN
from sluicegate.api.openapi import ADMIN_OPERATIONS, build_admin_openapi

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
EXAMPLES_PER_OPERATION = 50
MIN_REQUESTS = 1_000
# Tier names the fuzzer may create or change; the prefix keeps them apart from free, standard and enterprise.
FUZZ_TIER_PREFIX = "fz"

SENT: Counter[tuple[str, int]] = Counter()
# The tenant, key and tier that half of the valid cases name, set by the fixture.
TARGET: dict[str, str] = {}

# The signature is computed for each request, so schemathesis must not generate or drop the Authorization header.
schema = load_schema(build_admin_openapi(), max_examples=EXAMPLES_PER_OPERATION, with_security_parameters=False)


class SigV4RequestAuth(requests.auth.AuthBase):
    """Sign a prepared request as an AWS SDK signs requests to API Gateway."""

    def __init__(self, credentials: AdminCredentials) -> None:
        self.signer = SigV4Auth(Credentials(credentials.access_key_id, credentials.secret_access_key), "execute-api", "us-east-1")

    def __call__(self, prepared: requests.PreparedRequest) -> requests.PreparedRequest:
        body = prepared.body.encode() if isinstance(prepared.body, str) else prepared.body
        headers = {name: value for name, value in prepared.headers.items() if name.lower() in {"content-type"}}
        aws_request = AWSRequest(method=prepared.method, url=prepared.url, data=body or b"", headers=headers)
        self.signer.add_auth(aws_request)
        for name in ("Authorization", "X-Amz-Date", "X-Amz-Security-Token"):
            if name in aws_request.headers:
                prepared.headers[name] = aws_request.headers[name]
        return prepared


def _steer(case, use_target: bool):
    parameters = dict(case.path_parameters or {})
    tier = parameters.get("tier")
    if isinstance(tier, str) and re.fullmatch(ID_PATTERN, tier):
        parameters["tier"] = (FUZZ_TIER_PREFIX + tier)[:63]
    if use_target and case.meta is not None and not case.meta.generation.mode.is_negative:
        for name in ("tenant_id", "key_id", "tier"):
            if name in parameters:
                parameters[name] = TARGET[name]
    case.path_parameters = parameters
    return case


@schema.hook
def flatmap_case(context, case):
    """Keep generated tier names away from real tiers, and name the fuzz tenant, key and tier in half of the valid cases."""
    # Hypothesis starts from False, so False is the case that reaches the existing tenant.
    return st.booleans().map(lambda generated: _steer(case, use_target=not generated))


@pytest.fixture(scope="module")
def admin_target(services, tmp_path_factory) -> tuple[str, SigV4RequestAuth]:
    credentials = load_or_create_credentials(Path(tmp_path_factory.mktemp("admin-fuzz")) / "admin-credentials.json")
    tenant_id = f"fuzz-{uuid.uuid4().hex[:10]}"
    services.tenants.create_tenant(tenant_id, "Admin fuzzing tenant")
    record, _ = services.tenants.create_key(tenant_id, name="fuzzed")
    tier = f"{FUZZ_TIER_PREFIX}-{uuid.uuid4().hex[:10]}"
    services.quotas.limits.set_tier_limits(tier, {})
    TARGET.update(tenant_id=tenant_id, key_id=record.key_id, tier=tier)
    with serve_gateway(services, admin_credentials=credentials) as base_url:
        yield base_url.removesuffix("/v1"), SigV4RequestAuth(credentials)


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_admin_api_conforms_to_document(case, admin_target):
    base_url, auth = admin_target
    response = case.call(base_url=base_url, auth=auth, timeout=60)
    SENT[(case.operation.label, response.status_code)] += 1
    case.validate_response(
        response, checks=CHECKS, transport_kwargs={"base_url": base_url, "auth": auth, "timeout": 60}
    )


def test_admin_fuzzing_sent_enough_requests():
    if not SENT:
        pytest.skip("the admin fuzzing test did not run in this session")
    by_operation = summarize(SENT, "signed admin requests")
    assert len(by_operation) == len(ADMIN_OPERATIONS), sorted(by_operation)
    successes = {label for (label, status), _ in SENT.items() if 200 <= status < 300}
    assert len(successes) == len(ADMIN_OPERATIONS), f"operations without a success: {set(by_operation) - successes}"
    assert sum(SENT.values()) >= MIN_REQUESTS
