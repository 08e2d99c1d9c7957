"""AWS X-Ray tracing through the Powertools ``Tracer``.

Powertools turns tracing off outside Lambda (no ``LAMBDA_TASK_ROOT``), under
``sam local`` and when ``POWERTOOLS_TRACE_DISABLED=true``. It then disables the
X-Ray SDK globally, so subsegments are dummies and nothing is sent to a daemon.
In Lambda, with ``Tracing: Active``, subsegments attach to the invocation's
segment and are streamed to the X-Ray daemon of the execution environment.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

from aws_lambda_powertools import Tracer

# Only botocore is patched, so that calls to S3, Secrets Manager and SageMaker
# show up as subsegments and no other library changes behaviour.
tracer = Tracer(service="sluicegate", patch_modules=("botocore",))

STAGE_SUBSEGMENT_PREFIX = "stage "


@contextmanager
def stage_subsegment(stage: str) -> Iterator[Any]:
    """Wrap one pipeline stage in an X-Ray subsegment named ``stage <name>``.

    Yields the subsegment (a dummy while tracing is off, or ``None`` when the SDK
    is on but no segment is open). An exception raised in the stage is recorded
    on the subsegment by the X-Ray SDK and re-raised.
    """
    with tracer.provider.in_subsegment(STAGE_SUBSEGMENT_PREFIX + stage) as subsegment:
        yield subsegment
