"""Pipeline stages become X-Ray subsegments in Lambda, and tracing stays off everywhere else."""

from __future__ import annotations

import pytest
from aws_xray_sdk import global_sdk_config
from aws_xray_sdk.core import AWSXRayRecorder

from sluicegate.observability import tracing
from sluicegate.pipeline.timing import StageTimer


class MemoryEmitter:
    """Keeps finished segments in memory instead of sending them to the X-Ray daemon over UDP."""

    def __init__(self) -> None:
        self.sent = []

    def send_entity(self, entity) -> None:
        self.sent.append(entity)

    def set_daemon_address(self, address) -> None:
        pass


@pytest.fixture()
def recorder(monkeypatch):
    """An enabled recorder with an open segment, as Lambda's facade segment would be."""
    emitter = MemoryEmitter()
    recorder = AWSXRayRecorder()
    # sampling=False keeps every trace and starts no poller for the daemon's sampling rules.
    recorder.configure(emitter=emitter, sampling=False, context_missing="RUNTIME_ERROR")
    monkeypatch.setattr(tracing, "tracing_enabled", lambda: True)
    monkeypatch.setattr(tracing.get_tracer(), "provider", recorder)
    was_enabled = global_sdk_config.sdk_enabled()
    global_sdk_config.set_sdk_enabled(True)
    segment = recorder.begin_segment("gateway-test")
    try:
        yield recorder, segment, emitter
    finally:
        if segment.in_progress:
            recorder.end_segment()
        global_sdk_config.set_sdk_enabled(was_enabled)


def test_tracing_is_off_outside_lambda():
    assert not tracing.tracing_enabled()
    assert tracing.get_tracer().disabled
    assert not global_sdk_config.sdk_enabled()


def test_tracing_is_on_in_lambda(monkeypatch):
    monkeypatch.setenv("LAMBDA_TASK_ROOT", "/var/task")
    monkeypatch.delenv("AWS_SAM_LOCAL", raising=False)
    monkeypatch.delenv("POWERTOOLS_TRACE_DISABLED", raising=False)
    assert tracing.tracing_enabled()
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    assert not tracing.tracing_enabled()


def test_stage_works_while_tracing_is_off():
    timer = StageTimer()
    with timer.stage("validate"):
        pass
    assert "validate" in timer.stages_ms


def test_each_stage_is_one_subsegment(recorder):
    _, segment, _ = recorder
    timer = StageTimer()
    with timer.stage("validate"):
        pass
    with timer.stage("dispatch"):
        pass
    names = [subsegment.name for subsegment in segment.subsegments]
    assert names == ["stage validate", "stage dispatch"]


def test_failed_stage_records_exception(recorder):
    _, segment, _ = recorder
    timer = StageTimer()
    with pytest.raises(ValueError):
        with timer.stage("dispatch"):
            raise ValueError("backend exploded")
    subsegment = segment.subsegments[-1]
    assert subsegment.name == "stage dispatch"
    assert subsegment.fault
    assert subsegment.cause["exceptions"][0].message == "backend exploded"
    assert "dispatch" in timer.stages_ms


def test_finished_segment_goes_to_emitter(recorder):
    recorder_, segment, emitter = recorder
    with StageTimer().stage("settle"):
        pass
    recorder_.end_segment()
    assert emitter.sent and emitter.sent[-1] is segment
    assert '"stage settle"' in segment.serialize()
