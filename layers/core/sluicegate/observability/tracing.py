"""AWS X-Ray tracing through the Powertools ``Tracer``.

Tracing is on in Lambda (``LAMBDA_TASK_ROOT`` set) and off under ``sam local``
and when ``POWERTOOLS_TRACE_DISABLED=true``, as Powertools decides. In Lambda,
with ``Tracing: Active``, subsegments attach to the invocation's segment and
are streamed to the X-Ray daemon of the execution environment.

The tracer is created on first use, and only while tracing is on: importing
the X-Ray SDK creates its global recorder and two botocore clients, which
took about 0.3 s of a local cold start on a 2-core machine.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Iterator

from aws_lambda_powertools.shared import constants
from aws_lambda_powertools.shared.functions import resolve_truthy_env_var_choice

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer

STAGE_SUBSEGMENT_PREFIX = "stage "


def tracing_enabled() -> bool:
    """Return whether this process traces: in Lambda, outside SAM local, unless turned off by environment."""
    if resolve_truthy_env_var_choice(env=os.getenv(constants.TRACER_DISABLED_ENV, "false")):
        return False
    in_lambda = bool(os.getenv(constants.LAMBDA_TASK_ROOT_ENV))
    emulated = bool(os.getenv(constants.SAM_LOCAL_ENV) or os.getenv(constants.CHALICE_LOCAL_ENV))
    return in_lambda and not emulated


@lru_cache(maxsize=1)
def get_tracer() -> "Tracer":
    """Return the process's Powertools tracer, creating it (and importing the X-Ray SDK) on first use."""
    from aws_lambda_powertools import Tracer

    # Only botocore is patched, so that calls to S3, Secrets Manager and SageMaker
    # show up as subsegments and no other library changes behaviour.
    return Tracer(service="sluicegate", patch_modules=("botocore",))


@contextmanager
def stage_subsegment(stage: str) -> Iterator[Any]:
    """Wrap one pipeline stage in an X-Ray subsegment named ``stage <name>``.

    Yields the subsegment, or ``None`` while tracing is off or no segment is
    open. An exception raised in the stage is recorded on the subsegment by
    the X-Ray SDK and re-raised.
    """
    if not tracing_enabled():
        yield None
        return
    with get_tracer().provider.in_subsegment(STAGE_SUBSEGMENT_PREFIX + stage) as subsegment:
        yield subsegment
