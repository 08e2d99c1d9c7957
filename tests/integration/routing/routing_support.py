"""Helpers of the routing tests: a small tokenizer, a scripted local backend,
the SageMaker emulator with a boto3 client, a settable clock and EMF parsing."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
from tokenizers import Tokenizer, models, pre_tokenizers

from sglocal.emulator.echo import EchoBackend
from sglocal.emulator.faults import FaultInjector
from sglocal.emulator.server import SageMakerEmulator
from sglocal.emulator.serving import EmulatedEndpoint, EndpointServer
from sluicegate.backends.base import GenerationChunk, GenerationResult
from sluicegate.backends.sagemaker_client import build_sagemaker_runtime_client

WORDS = "user assistant system you said hello what is the capital of france paris please answer tell me".split()


def write_word_tokenizer(path: Path) -> Path:
    """Save a word-level tokenizer.json with the ChatML control tokens: one token per word or punctuation run."""
    vocab = {"[UNK]": 0, **{word: index + 1 for index, word in enumerate(WORDS)}}
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.add_special_tokens(["<|im_start|>", "<|im_end|>"])
    tokenizer.save(str(path))
    return path


class ScriptedLocal:
    """Stands in for the in-function model: one token per word, a small context window, a fixed completion."""

    name = "local"

    def __init__(self, window: int = 128) -> None:
        self.window = window
        self.requests = []

    def count_prompt_tokens(self, messages) -> int:
        return sum(len(message.content.split()) + 4 for message in messages)

    def context_window(self) -> int:
        return self.window

    def stream(self, request):
        self.requests.append(request)
        yield GenerationChunk("local answer", result=GenerationResult("local answer", "stop", self.count_prompt_tokens(request.messages), 2, 0.001))


class SettableClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def start_emulator(endpoints: list[EmulatedEndpoint], tokenizer_path: Path, backend=None) -> tuple[SageMakerEmulator, str]:
    tokenizer = Tokenizer.from_file(str(tokenizer_path))
    echo = EchoBackend(count_tokens=lambda text: len(tokenizer.encode(text, add_special_tokens=False).ids))
    server = EndpointServer(backend or echo, tokenizer)
    emulator = SageMakerEmulator({endpoint.name: endpoint for endpoint in endpoints}, server, FaultInjector())
    return emulator, emulator.start("127.0.0.1", 0)


def emulator_client(base_url: str, read_timeout_s: float = 5.0):
    """A sagemaker-runtime client for the emulator, with dummy credentials and botocore retries off."""
    return build_sagemaker_runtime_client(
        connect_timeout_s=2.0,
        read_timeout_s=read_timeout_s,
        endpoint_url=base_url,
        region_name="us-east-1",
        session=boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"),
    )


def emf_records(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith('{"_aws"')]


def metric_total(records: list[dict], name: str, **dimensions: str) -> float:
    """Sum metric ``name`` over the EMF records whose dimension values match ``dimensions``."""
    total = 0.0
    for record in records:
        if name not in record:
            continue
        if any(record.get(key) != value for key, value in dimensions.items()):
            continue
        value = record[name]
        total += sum(value) if isinstance(value, list) else value
    return total
