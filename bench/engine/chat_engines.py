"""The chat engines under test, each behind the same small interface.

Every engine receives the same prompt token ids (rendered once by the
sluicegate tokenizer, whose vocabulary the GGUF file and the float32 folder
share) and decodes greedily. ``generate`` with ``ignore_eos=True`` masks the
end-of-sequence id 2 so that each engine produces the same number of tokens.

* ``sluicegate``: ``ChatModel.stream``, the code path the gateway runs,
  including detokenisation and stop handling.
* ``sluicegate-unchunked``: the same, with the prompt prefilled in one call
  instead of in chunks, to show what chunked prefill changes.
* ``onnxruntime-genai``: the same model in a bare ``generate_next_token``
  loop with per-step timings, which shows the cost of the streaming layer.
* ``llama.cpp``: llama-cpp-python on the GGUF file the model was built from.
  Its loop calls ``eval`` and a greedy sampler directly, which is leaner than
  ``Llama.generate``, so llama.cpp gets its best case.
* ``pytorch-fp32``: transformers on the float32 folder that the build
  dequantized from the same GGUF file, with a KV cache.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

# SmolLM2's end-of-sequence id, which is also <|im_end|>.
EOS_ID = 2
# Ids that end a chat completion: <|endoftext|> and <|im_end|> (the manifest's stop_token_ids).
STOP_IDS = frozenset({0, EOS_ID})


@dataclass
class Generation:
    token_ids: list[int]
    # Seconds from the start of the request (prefill included) to the first generated token.
    time_to_first_token_s: float
    # Seconds from the first generated token to the last.
    decode_s: float
    # Per decode step: seconds inside the engine's step call and seconds of the rest of the loop.
    step_s: list[float] = field(default_factory=list)
    loop_overhead_s: list[float] = field(default_factory=list)

    @property
    def decode_tokens_per_s(self) -> float:
        return (len(self.token_ids) - 1) / self.decode_s if self.decode_s > 0 else float("nan")


class SluicegateEngine:
    name = "sluicegate"

    def __init__(self, model_dir: Path, threads: int) -> None:
        self.model_dir = model_dir
        self.threads = threads

    def load(self) -> None:
        from sluicegate.inference.chat_model import ChatModel
        from sluicegate.inference.model_store import resolve_local

        # Checksums are verified by `make models` and by the cold-start benchmark, not here.
        location = resolve_local("smollm2-135m-instruct", self.model_dir, check_checksums=False)
        self.model = ChatModel(location, intra_op_threads=self.threads)
        self.model.load()

    def generate(self, prompt_ids: list[int], new_tokens: int, *, ignore_eos: bool) -> Generation:
        from sluicegate.backends.base import SamplingParams

        completion = self.model.stream(prompt_ids, SamplingParams(max_tokens=new_tokens, temperature=0))
        if ignore_eos:
            # onnxruntime-genai masks the EOS logit until the sequence reaches min_length.
            # SamplingParams has no such option, so the benchmark sets it on the stream's parameters.
            completion.search_options["min_length"] = len(prompt_ids) + new_tokens
        for _ in completion:
            pass
        return Generation(
            list(completion.token_ids), completion.time_to_first_token_s or 0.0, completion.decode_seconds
        )

    def next_token_log_probs(self, token_ids: list[int]) -> np.ndarray:
        """Return log p(token i+1 | tokens up to i) for each position, appending one token at a time.

        The model computes logits for the last input token only (the build
        prunes the LM head), so each position needs its own step.
        """
        from sluicegate.inference import genai

        log_probs = np.empty(len(token_ids) - 1)
        with genai.Generator(self.model._model, {"max_length": len(token_ids) + 1, "do_sample": False}) as generator:
            for position in range(len(token_ids) - 1):
                generator.append_tokens([token_ids[position]])
                log_probs[position] = _log_softmax(generator.last_logits())[token_ids[position + 1]]
        return log_probs


class SluicegateUnchunkedEngine(SluicegateEngine):
    """``ChatModel.stream`` with the whole prompt in one prefill call, as before chunked prefill."""

    name = "sluicegate-unchunked"

    def load(self) -> None:
        from sluicegate.inference import completion

        completion.PREFILL_CHUNK_TOKENS = 1 << 30
        super().load()


class GenaiLoopEngine(SluicegateEngine):
    name = "onnxruntime-genai"

    def generate(self, prompt_ids: list[int], new_tokens: int, *, ignore_eos: bool) -> Generation:
        from sluicegate.inference import genai
        from sluicegate.inference.completion import PREFILL_CHUNK_TOKENS

        options: dict[str, float | int | bool] = {"max_length": len(prompt_ids) + new_tokens, "do_sample": False}
        if ignore_eos:
            options["min_length"] = len(prompt_ids) + new_tokens
        started = time.perf_counter()
        with genai.Generator(self.model._model, options) as generator:
            for start in range(0, len(prompt_ids), PREFILL_CHUNK_TOKENS):
                generator.append_tokens(prompt_ids[start : start + PREFILL_CHUNK_TOKENS])
            token_ids = [generator.generate_next_token()]
            first_token_at = time.perf_counter()
            steps, overheads = [], []
            while not generator.is_done():
                iteration_started = time.perf_counter()
                token_id = generator.generate_next_token()
                step_ended = time.perf_counter()
                token_ids.append(token_id)
                steps.append(step_ended - iteration_started)
                overheads.append(time.perf_counter() - step_ended)
            ended = time.perf_counter()
        return Generation(token_ids, first_token_at - started, ended - first_token_at, steps, overheads)


class LlamaCppEngine:
    name = "llama.cpp"

    def __init__(self, gguf_file: Path, threads: int, context: int = 2048) -> None:
        self.gguf_file = gguf_file
        self.threads = threads
        self.context = context

    def load(self, *, logits_all: bool = False) -> None:
        import llama_cpp.llama as llama_module
        from llama_cpp import Llama

        # NOTE: llama-cpp-python 0.3.36 built with GGML_NATIVE on the benchmark machine (a Xeon with AMX)
        # crashed with SIGSEGV in ggml_backend_amx_mul_mat on the first decode. Turning off the extra
        # buffer types (AMX and weight repacking) makes llama.cpp use its AVX-512 kernels instead.
        # Llama() has no argument for this, so its default model parameters are wrapped.
        default_params = llama_module.llama_cpp.llama_model_default_params

        def model_params():
            params = default_params()
            params.use_extra_bufts = False
            return params

        llama_module.llama_cpp.llama_model_default_params = model_params
        self.llm = Llama(
            model_path=str(self.gguf_file), n_ctx=self.context, n_batch=512,
            n_threads=self.threads, n_threads_batch=self.threads, logits_all=logits_all, verbose=False,
        )

    def _sampler(self, ignore_eos: bool):
        from llama_cpp._internals import LlamaSampler

        sampler = LlamaSampler()
        if ignore_eos:
            sampler.add_logit_bias(self.llm.n_vocab(), {EOS_ID: float("-inf")})
        sampler.add_greedy()
        return sampler

    def generate(self, prompt_ids: list[int], new_tokens: int, *, ignore_eos: bool) -> Generation:
        sampler = self._sampler(ignore_eos)
        # reset() clears the record of evaluated tokens, so no prompt prefix is reused from an earlier call.
        self.llm.reset()
        started = time.perf_counter()
        self.llm.eval(prompt_ids)
        token_ids = [sampler.sample(self.llm._ctx, -1)]
        first_token_at = time.perf_counter()
        steps, overheads = [], []
        while len(token_ids) < new_tokens and (ignore_eos or token_ids[-1] not in STOP_IDS):
            step_started = time.perf_counter()
            self.llm.eval([token_ids[-1]])
            token_ids.append(sampler.sample(self.llm._ctx, -1))
            steps.append(time.perf_counter() - step_started)
        ended = time.perf_counter()
        return Generation(token_ids, first_token_at - started, ended - first_token_at, steps, overheads)

    def next_token_log_probs(self, token_ids: list[int]) -> np.ndarray:
        """Return log p(token i+1 | tokens up to i); needs ``load(logits_all=True)``."""
        self.llm.reset()
        self.llm.eval(token_ids)
        logits = np.asarray(self.llm.scores[: len(token_ids) - 1], dtype=np.float64)
        return _log_softmax(logits)[np.arange(len(token_ids) - 1), token_ids[1:]]


class PytorchEngine:
    name = "pytorch-fp32"

    def __init__(self, reference_dir: Path, threads: int) -> None:
        self.reference_dir = reference_dir
        self.threads = threads

    def load(self) -> None:
        import torch
        from transformers import AutoModelForCausalLM

        torch.set_num_threads(self.threads)
        self.torch = torch
        self.model = AutoModelForCausalLM.from_pretrained(self.reference_dir, dtype=torch.float32).eval()

    def generate(self, prompt_ids: list[int], new_tokens: int, *, ignore_eos: bool) -> Generation:
        torch = self.torch
        steps = []
        with torch.inference_mode():
            started = time.perf_counter()
            # logits_to_keep=1 computes logits for the last position only, as the ONNX build does.
            output = self.model(torch.tensor([prompt_ids]), use_cache=True, logits_to_keep=1)
            token_ids = [self._pick(output.logits, ignore_eos)]
            first_token_at = time.perf_counter()
            while len(token_ids) < new_tokens and (ignore_eos or token_ids[-1] not in STOP_IDS):
                step_started = time.perf_counter()
                output = self.model(
                    torch.tensor([[token_ids[-1]]]), past_key_values=output.past_key_values,
                    use_cache=True, logits_to_keep=1,
                )
                token_ids.append(self._pick(output.logits, ignore_eos))
                steps.append(time.perf_counter() - step_started)
            ended = time.perf_counter()
        return Generation(token_ids, first_token_at - started, ended - first_token_at, steps)

    def _pick(self, logits, ignore_eos: bool) -> int:
        last = logits[0, -1]
        if ignore_eos:
            last = last.clone()
            last[EOS_ID] = float("-inf")
        return int(last.argmax())

    def next_token_log_probs(self, token_ids: list[int]) -> np.ndarray:
        torch = self.torch
        with torch.inference_mode():
            logits = self.model(torch.tensor([token_ids])).logits[0, :-1].double()
            log_probs = torch.log_softmax(logits, dim=-1)
            return log_probs[torch.arange(len(token_ids) - 1), torch.tensor(token_ids[1:])].numpy()



def _log_softmax(logits: np.ndarray) -> np.ndarray:
    logits = np.asarray(logits, dtype=np.float64)
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
