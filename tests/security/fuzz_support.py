"""Settings and the run summary shared by the schemathesis tests of the public and admin APIs."""

from __future__ import annotations

from collections import Counter
from typing import Any

import schemathesis

# Undocumented methods that the local runner passes to the function. It
# rejects TRACE, OPTIONS and QUERY itself with 501 (http.server has no handler
# for them), as API Gateway handles them itself in AWS.
UNEXPECTED_METHODS = {"get", "put", "post", "delete", "patch"}


def load_schema(document: dict[str, Any], **generation: Any):
    """Return a schemathesis schema of ``document`` with the settings both fuzzing tests use."""
    schema = schemathesis.openapi.from_dict(document)
    schema.config.generation.update(**generation)
    schema.config.phases.coverage.unexpected_methods = UNEXPECTED_METHODS
    # Invalid input may also be rejected for its size before it is parsed.
    rejection = schema.config.checks.negative_data_rejection
    rejection.expected_statuses = [*rejection.expected_statuses, "413"]
    return schema


def summarize(sent: Counter[tuple[str, int]], what: str) -> Counter[str]:
    """Print the requests sent per operation and status, and return the count per operation."""
    by_operation: Counter[str] = Counter()
    for (label, _), count in sent.items():
        by_operation[label] += count
    print(f"\nschemathesis sent {sum(sent.values())} {what}:")
    for label, count in sorted(by_operation.items()):
        statuses = ", ".join(f"{status}: {n}" for (name, status), n in sorted(sent.items()) if name == label)
        print(f"  {label}: {count} ({statuses})")
    return by_operation
