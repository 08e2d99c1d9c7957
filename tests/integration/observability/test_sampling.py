"""Sampled request logs: deterministic 1-in-N choice, redacted text only, bounded size."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

import pytest
from openai import OpenAI

from sluicegate.backends.base import ChatMessage
from sluicegate.observability import sampling
from sluicegate.observability.sampling import MAX_SAMPLED_MESSAGES, MAX_SAMPLED_TEXT_CHARS, SAMPLE_LOG_MESSAGE, is_sampled, log_sample
from sluicegate.pipeline.context import RequestContext
from sluicegate.tenants.models import Principal

from observability_support import MODEL, ROOT


def make_context(request_id: str = "req-1") -> RequestContext:
    return RequestContext(request_id=request_id, principal=Principal(tenant_id="t-sample", key_id="k-1", tier="standard"))


def sample_records(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.getMessage() == SAMPLE_LOG_MESSAGE]


def test_rate_zero_samples_nothing():
    assert not any(is_sampled(f"req-{number}", 0) for number in range(1000))


def test_rate_one_samples_everything():
    assert all(is_sampled(f"req-{number}", 1) for number in range(1000))


def test_rate_ten_samples_about_a_tenth():
    chosen = sum(is_sampled(f"req-{number}", 10) for number in range(20_000))
    assert 1_800 <= chosen <= 2_200


def test_sample_choice_is_same_in_another_process():
    ids = [f"8f2c{number:04d}-request" for number in range(200)]
    in_this_process = [is_sampled(request_id, 7) for request_id in ids]
    code = (
        "import sys, json; from sluicegate.observability.sampling import is_sampled; "
        "print(json.dumps([is_sampled(i, 7) for i in json.loads(sys.argv[1])]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, json.dumps(ids)],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(ROOT / "layers" / "core"), "PYTHONHASHSEED": "random"},
    )
    assert json.loads(result.stdout) == in_this_process
    assert any(in_this_process)
    assert not all(in_this_process)


def test_sample_logs_redacted_text_and_versions(caplog):
    caplog.set_level(logging.INFO)
    messages = [ChatMessage("system", "Be brief."), ChatMessage("user", "Mail <EMAIL_ADDRESS_1> the report")]
    logged = log_sample(
        make_context(), messages, "Sent to <EMAIL_ADDRESS_1>.", "model-a", "default-route", "tmpl-3", sample_rate=1, backend="local"
    )
    assert logged
    [record] = sample_records(caplog)
    assert record.request_id == "req-1"
    assert record.tenant_id == "t-sample"
    assert (record.model, record.backend, record.route, record.prompt_template_version) == ("model-a", "local", "default-route", "tmpl-3")
    assert record.text_logged is True
    assert record.messages == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Mail <EMAIL_ADDRESS_1> the report"}]
    assert record.answer == "Sent to <EMAIL_ADDRESS_1>."
    assert record.text_truncated is False
    assert record.messages_omitted == 0


def test_sample_accepts_message_mappings(caplog):
    caplog.set_level(logging.INFO)
    log_sample(make_context(), [{"role": "user", "content": "hi <PERSON_1>"}], "hello", "model-a", None, None, sample_rate=1)
    [record] = sample_records(caplog)
    assert record.messages == [{"role": "user", "content": "hi <PERSON_1>"}]


def test_unscreened_request_logs_no_text(caplog):
    caplog.set_level(logging.INFO)
    assert log_sample(make_context(), None, "an answer", "model-a", None, None, sample_rate=1)
    [record] = sample_records(caplog)
    assert record.text_logged is False
    assert not hasattr(record, "messages")
    assert not hasattr(record, "answer")
    assert record.text_withheld_reason == "request was not screened"


def test_unsampled_request_logs_nothing(caplog):
    caplog.set_level(logging.INFO)
    request_id = next(f"req-{number}" for number in range(1000) if not is_sampled(f"req-{number}", 5))
    assert not log_sample(make_context(request_id), [], "answer", "model-a", None, None, sample_rate=5)
    assert sample_records(caplog) == []


def test_long_exchange_is_bounded(caplog):
    caplog.set_level(logging.INFO)
    messages = [ChatMessage("user", f"message {number} " + "x" * 3000) for number in range(MAX_SAMPLED_MESSAGES + 5)]
    log_sample(make_context(), messages, "y" * 5000, "model-a", None, None, sample_rate=1)
    [record] = sample_records(caplog)
    assert len(record.messages) == MAX_SAMPLED_MESSAGES
    assert record.messages_omitted == 5
    assert record.messages[0]["content"].startswith("message 5 ")
    assert all(len(message["content"]) == MAX_SAMPLED_TEXT_CHARS for message in record.messages)
    assert len(record.answer) == MAX_SAMPLED_TEXT_CHARS
    assert record.text_truncated is True


@pytest.mark.parametrize("rate, expected", [(1, 1), (0, 0)])
def test_chat_route_writes_sample(rate, expected, flagging_client: OpenAI, services, monkeypatch, caplog):
    caplog.set_level(logging.INFO)
    monkeypatch.setattr(services.settings, "log_sample_rate", rate)
    secret = "write to jane.doe@example.com today"
    raw = flagging_client.chat.completions.with_raw_response.create(model=MODEL, messages=[{"role": "user", "content": secret}])
    records = sample_records(caplog)
    assert len(records) == expected
    for record in records:
        assert record.request_id == raw.headers["x-sluicegate-request-id"]
        assert record.model == MODEL
        assert record.backend == "local"
        assert record.sample_rate == rate
        assert record.text_logged is True
        assert record.messages == [{"role": "user", "content": "write to <EMAIL_ADDRESS_1> today"}]
        assert record.answer == "Blue sky."
        assert "jane.doe" not in str(record.__dict__)


def test_sampling_module_redacts_nothing_itself():
    # The module takes redacted text from the screening stage; it must not import a detector.
    assert "screening" not in sampling.__dict__
