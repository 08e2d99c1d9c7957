"""SageMakerBackend against the emulator: payloads, retries, deadlines and error mapping."""

from __future__ import annotations

import logging
import time

import pytest
from routing_support import emulator_client

from sluicegate.backends.base import ChatMessage, GenerationRequest, SamplingParams
from sluicegate.backends.calls import CallOptions
from sluicegate.backends.dialects import OpenAIChatDialect, TgiDialect
from sluicegate.backends.retry import RetrySettings
from sluicegate.backends.sagemaker import EndpointSettings, SageMakerBackend
from sluicegate.errors import BackendError, BackendTimeoutError, ContextLengthExceededError, ServiceUnavailableError

FAST_RETRY = RetrySettings(max_attempts=3, backoff_s=0.001, max_backoff_s=0.005, jitter_s=0.001)


def request(text: str = "hello there", max_tokens: int = 8, **params) -> GenerationRequest:
    return GenerationRequest((ChatMessage("user", text),), SamplingParams(max_tokens=max_tokens, **params))


def backend_for(emulator, word_tokenizer, endpoint="test-tgi", dialect="tgi", retry=FAST_RETRY, read_timeout_s=5.0, **extra):
    settings = EndpointSettings(f"b-{endpoint}", endpoint, dialect, 4096, word_tokenizer, retry=retry, **extra)
    return SageMakerBackend(settings, emulator_client(emulator[1], read_timeout_s))


def test_tgi_payload_maps_sampling_parameters():
    greedy = TgiDialect().encode(request(temperature=0.0, top_p=0.9, seed=4, stop=("END",)), "prompt")
    sampled = TgiDialect(prefill_details=True).encode(request(temperature=0.7, top_p=0.9, top_k=40, seed=4), "prompt")

    assert greedy == {"inputs": "prompt", "parameters": {
        "max_new_tokens": 8, "details": True, "return_full_text": False, "do_sample": False, "stop": ["END"],
    }}
    assert sampled["parameters"] == {
        "max_new_tokens": 8, "details": True, "return_full_text": False, "do_sample": True,
        "temperature": 0.7, "top_p": 0.9, "top_k": 40, "seed": 4, "decoder_input_details": True,
    }


def test_openai_payload_carries_messages():
    body = OpenAIChatDialect(served_model="tgi").encode(request(temperature=0.2, seed=1, stop=("x",)), "ignored")

    assert body["messages"] == [{"role": "user", "content": "hello there"}]
    assert (body["model"], body["max_tokens"], body["temperature"], body["seed"], body["stop"]) == ("tgi", 8, 0.2, 1, ["x"])


def test_tgi_stop_sequence_is_removed_from_text(emulator, word_tokenizer):
    backend = backend_for(emulator, word_tokenizer)

    result = backend.generate(request("hello please answer me", max_tokens=10, stop=("answer",)))

    assert result.text == "You said: hello please "
    assert result.finish_reason == "stop"


def test_throttling_is_retried_until_success(emulator, word_tokenizer, caplog):
    emulator[0].faults.update(fail_next=2, fail_status=429)
    retries = []
    backend = backend_for(emulator, word_tokenizer)

    with caplog.at_level(logging.WARNING, logger="sluicegate.backends.retry"):
        result = backend.invoke(request(), CallOptions(on_retry=retries.append))

    assert result.text.startswith("You said")
    assert [event.attempt for event in retries] == [1, 2]
    assert len(emulator[0].invocations) == 3
    assert "attempt 1 of b-test-tgi failed with ClientError" in caplog.text


@pytest.mark.parametrize(
    ("status", "error"),
    [(429, ServiceUnavailableError), (503, ServiceUnavailableError), (500, BackendError), (424, BackendError), (530, BackendError)],
)
def test_retryable_errors_stop_at_max_attempts(emulator, word_tokenizer, status, error):
    emulator[0].faults.update(fail_next=10, fail_status=status)

    with pytest.raises(error) as caught:
        backend_for(emulator, word_tokenizer).generate(request())

    assert len(emulator[0].invocations) == 3
    assert "after 3 attempts" in caught.value.message


def test_validation_error_is_not_retried(emulator, word_tokenizer):
    emulator[0].faults.update(fail_next=10, fail_status=400)

    with pytest.raises(BackendError) as caught:
        backend_for(emulator, word_tokenizer).generate(request())

    assert len(emulator[0].invocations) == 1
    assert caught.value.status == 502


def test_unknown_endpoint_is_not_retried(emulator, word_tokenizer):
    with pytest.raises(BackendError, match="ValidationError"):
        backend_for(emulator, word_tokenizer, endpoint="no-such-endpoint").generate(request())


@pytest.mark.parametrize(("endpoint", "dialect"), [("test-small-tgi", "tgi")])
def test_endpoint_context_error_is_400_without_retry(emulator, word_tokenizer, endpoint, dialect):
    with pytest.raises(ContextLengthExceededError):
        backend_for(emulator, word_tokenizer, endpoint=endpoint, dialect=dialect).generate(request(max_tokens=100))

    assert len(emulator[0].invocations) == 1


def test_deadline_stops_retries(emulator, word_tokenizer):
    emulator[0].faults.update(fail_next=10, fail_status=503)
    slow_retry = RetrySettings(max_attempts=5, backoff_s=0.5, max_backoff_s=1.0, jitter_s=0.0)
    backend = backend_for(emulator, word_tokenizer, retry=slow_retry)

    started = time.monotonic()
    with pytest.raises(ServiceUnavailableError):
        backend.invoke(request(), CallOptions(deadline=time.monotonic() + 0.3))

    assert len(emulator[0].invocations) == 1
    assert time.monotonic() - started < 0.3


def test_passed_deadline_makes_no_call(emulator, word_tokenizer):
    with pytest.raises(BackendTimeoutError):
        backend_for(emulator, word_tokenizer).invoke(request(), CallOptions(deadline=time.monotonic() - 1))

    assert emulator[0].invocations == []


def test_hanging_endpoint_times_out(emulator, word_tokenizer):
    emulator[0].faults.update(hang_rate=1.0, hang_s=2.0)
    backend = backend_for(emulator, word_tokenizer, retry=RetrySettings(max_attempts=1), read_timeout_s=0.3)

    with pytest.raises(BackendTimeoutError) as caught:
        backend.generate(request())

    assert caught.value.status == 504


def test_latency_is_added(emulator, word_tokenizer):
    emulator[0].faults.update(latency_ms=200)

    started = time.perf_counter()
    backend_for(emulator, word_tokenizer).generate(request())

    assert time.perf_counter() - started >= 0.2


def test_faults_apply_only_to_listed_endpoints(emulator, word_tokenizer):
    emulator[0].faults.update(fail_rate=1.0, fail_status=503, endpoints=["test-chat"])

    assert backend_for(emulator, word_tokenizer).generate(request()).text
    with pytest.raises(ServiceUnavailableError):
        backend_for(emulator, word_tokenizer, endpoint="test-chat", dialect="openai_chat").generate(request())


def test_stream_yields_one_chunk_with_result(emulator, word_tokenizer):
    chunks = list(backend_for(emulator, word_tokenizer, endpoint="test-chat", dialect="openai_chat").stream(request()))

    assert len(chunks) == 1
    assert chunks[0].result is not None
    assert chunks[0].text == chunks[0].result.text
    assert chunks[0].result.extra["token_counts"] == "endpoint"
