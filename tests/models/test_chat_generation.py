import threading

import pytest

from sluicegate.backends.base import ChatMessage, GenerationRequest, SamplingParams
from sluicegate.backends.local import LocalBackend
from sluicegate.errors import ContextLengthExceededError

pytestmark = pytest.mark.model  # needs the built models (make models)

FRANCE = (ChatMessage("user", "What is the capital of France?"),)
# Greedy output of the int4 build (k_quant_mixed, prune_lm_head) for FRANCE:
# "The capital of France is Paris." followed by <|im_end|> (id 2).
# The float32 reference model produces the same ids.
FRANCE_GREEDY_IDS = [504, 3575, 282, 4649, 314, 7042, 30, 2]
GREEDY = SamplingParams(max_tokens=64, temperature=0)


@pytest.fixture(scope="module")
def backend(chat_model) -> LocalBackend:
    return LocalBackend(chat_model)


def test_greedy_golden_tokens(chat_model):
    completion = chat_model.stream(chat_model.render_prompt_ids(FRANCE), GREEDY)
    text = "".join(completion)
    assert completion.token_ids == FRANCE_GREEDY_IDS
    assert "Paris" in text
    assert completion.finish_reason == "stop"
    assert completion.completion_tokens == len(FRANCE_GREEDY_IDS)


def test_generate_reports_counts(backend):
    result = backend.generate(GenerationRequest(FRANCE, GREEDY))
    assert result.text == "The capital of France is Paris."
    assert result.finish_reason == "stop"
    assert result.prompt_tokens == backend.count_prompt_tokens(FRANCE)
    assert result.completion_tokens == len(FRANCE_GREEDY_IDS)
    assert result.time_to_first_token_s > 0


def test_stream_ends_with_result_chunk(backend):
    chunks = list(backend.stream(GenerationRequest(FRANCE, GREEDY)))
    assert all(chunk.result is None for chunk in chunks[:-1])
    assert chunks[-1].result is not None
    assert "".join(chunk.text for chunk in chunks) == chunks[-1].result.text


@pytest.mark.parametrize("stop", ["Paris", " France", "is P", "."])
def test_stop_sequence_ends_generation(backend, stop):
    params = SamplingParams(max_tokens=64, temperature=0, stop=(stop,))
    chunks = list(backend.stream(GenerationRequest(FRANCE, params)))
    result = chunks[-1].result
    assert result.finish_reason == "stop"
    assert stop not in result.text
    assert "The capital of France is Paris.".startswith(result.text)
    assert "".join(chunk.text for chunk in chunks) == result.text


def test_max_tokens_gives_length(backend):
    story = (ChatMessage("user", "Write a long story about a dragon."),)
    result = backend.generate(GenerationRequest(story, SamplingParams(max_tokens=7, temperature=0)))
    assert result.finish_reason == "length"
    assert result.completion_tokens == 7


@pytest.mark.slow  # prefills a prompt of about 2000 tokens
def test_completion_capped_at_context_window(chat_model):
    backend = LocalBackend(chat_model)
    long_message = (ChatMessage("user", "word " * 2000),)
    prompt_tokens = backend.count_prompt_tokens(long_message)
    room = backend.context_window() - prompt_tokens
    assert 0 < room < 64

    result = backend.generate(GenerationRequest(long_message, SamplingParams(max_tokens=500, temperature=0)))
    assert result.completion_tokens <= room
    if result.finish_reason == "length":
        assert result.completion_tokens == room


def test_prompt_over_context_window_raises(backend):
    too_long = (ChatMessage("user", "word " * 3000),)
    with pytest.raises(ContextLengthExceededError, match="2048"):
        backend.generate(GenerationRequest(too_long, GREEDY))


def sample(backend, seed):
    prompt = (ChatMessage("user", "Tell me something about the sea."),)
    params = SamplingParams(max_tokens=24, temperature=1.0, top_p=0.95, seed=seed)
    return backend.generate(GenerationRequest(prompt, params)).text


def test_same_seed_same_text(backend):
    assert sample(backend, 1234) == sample(backend, 1234)


def test_different_seeds_differ(backend):
    texts = {sample(backend, seed) for seed in (1, 2, 3, 4)}
    assert len(texts) > 1


def test_multibyte_output_round_trips(chat_model):
    # Greedy output for this prompt is katakana, and every generated token
    # contains part of a 3-byte UTF-8 character.
    prompt = (ChatMessage("user", "Translate 'thank you' into Japanese."),)
    completion = chat_model.stream(chat_model.render_prompt_ids(prompt), SamplingParams(max_tokens=40, temperature=0))
    deltas = list(completion)
    partial = [t for t in completion.token_ids if "\ufffd" in chat_model.tokenizer.decode([t])]
    assert partial, "precondition: some tokens hold part of a character"

    assert "".join(deltas) == completion.text
    assert completion.text == chat_model.tokenizer.decode(completion.token_ids, skip_special_tokens=True)
    for delta in deltas[:-1]:
        assert "\ufffd" not in delta
    assert any(ord(character) > 0x3000 for character in completion.text)


def test_invalid_sampling_values_raise(chat_model):
    with pytest.raises(ValueError, match="max_tokens"):
        chat_model.stream([1, 2, 3], SamplingParams(max_tokens=0))
    with pytest.raises(ValueError, match="prompt_ids"):
        chat_model.stream([], GREEDY)


def test_concurrent_streams_serialized(backend):
    expected = backend.generate(GenerationRequest(FRANCE, GREEDY)).text
    texts: list[str] = []

    def run() -> None:
        texts.append(backend.generate(GenerationRequest(FRANCE, GREEDY)).text)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert texts == [expected] * 3
