"""PII round trip through the real model: the model sees placeholders only, and the
caller gets the original values back where the model repeats them."""

from __future__ import annotations

import pytest
from openai import OpenAI

from local_gateway import serve_gateway
from sluicegate.backends.local import LocalBackend

pytestmark = pytest.mark.model

EMAIL = "jane.doe@example.com"
PHONE = "+44 20 7946 0958"


class RecordingBackend:
    """Passes requests to the real local backend and keeps what crossed the boundary."""

    def __init__(self, inner: LocalBackend) -> None:
        self.inner = inner
        self.name = inner.name
        self.seen: list[str] = []

    def count_prompt_tokens(self, messages):
        return self.inner.count_prompt_tokens(messages)

    def context_window(self) -> int:
        return self.inner.context_window()

    def stream(self, request):
        self.seen.extend(message.content for message in request.messages)
        yield from self.inner.stream(request)


@pytest.fixture(scope="module")
def recorded(services):
    backend = RecordingBackend(LocalBackend.from_settings(services.settings))
    with serve_gateway(services, backend) as base_url:
        yield base_url, backend


def test_model_sees_placeholders_and_caller_gets_values(recorded, services, tenant_id):
    base_url, backend = recorded
    _, key = services.tenants.create_key(tenant_id)
    client = OpenAI(base_url=base_url, api_key=key, max_retries=0, timeout=120)

    reply = client.chat.completions.create(
        model="smollm2-135m-instruct",
        # SmolLM2-135M rarely copies placeholders; with this request it repeats the email's, as float32 does.
        messages=[{"role": "user", "content": f"Correct the spelling: Plese email {EMAIL} or cal {PHONE} tomorow."}],
        temperature=0,
        max_tokens=40,
    )

    seen = "\n".join(backend.seen)
    assert EMAIL not in seen
    assert PHONE not in seen
    assert "<EMAIL_ADDRESS_1>" in seen
    assert "<PHONE_NUMBER_1>" in seen
    answer = reply.choices[0].message.content
    assert EMAIL in answer
    assert "<EMAIL_ADDRESS_1>" not in answer
