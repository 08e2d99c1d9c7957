"""The deployed gateway's routing config: a folder of the model bucket (moto S3), routed to the emulator."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
import yaml
from moto import mock_aws
from routing_support import emulator_client

from sglocal.template import CloudFormationLoader
from sluicegate.backends.base import ChatMessage, GenerationRequest, SamplingParams
from sluicegate.routing import s3_folder
from sluicegate.routing.errors import RoutingConfigError
from sluicegate.services import Services
from sluicegate.settings import ENV_PREFIX, SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[3]
BUCKET = "sluicegate-models-test"
PREFIX = "routing"
ROUTING_YAML = """
version: 1
backends:
  local:
    type: local
  gpu-tgi:
    type: sagemaker
    endpoint_name: test-tgi
    dialect: tgi
    context_window: 4096
    tokenizer: tokenizers/words.json
    price: {instance_usd_per_hour: 3.6, tokens_per_second: 50}
models:
  big:
    route: gpu-tgi
"""


@pytest.fixture()
def s3_client():
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


@pytest.fixture()
def routed(services, s3_client, emulator, word_tokenizer, tmp_path, monkeypatch) -> Services:
    s3_client.put_object(Bucket=BUCKET, Key=f"{PREFIX}/routing.yaml", Body=ROUTING_YAML.encode())
    s3_client.upload_file(str(word_tokenizer), BUCKET, f"{PREFIX}/tokenizers/words.json")
    monkeypatch.setattr(s3_folder, "DEFAULT_DOWNLOAD_ROOT", tmp_path / "routing-download")
    settings = services.settings.model_copy(
        update={"model_bucket": BUCKET, "routing_config_prefix": PREFIX, "routing_config": None}
    )
    built = Services(settings)
    built.db = services.db
    built.s3 = s3_client
    built.sagemaker_runtime = emulator_client(emulator[1])
    return built


def test_routing_folder_downloaded_and_routed(routed, emulator, tmp_path):
    assert routed.routing_folder is not None
    assert routed.routing_folder.parent == tmp_path / "routing-download"
    assert (routed.routing_folder / "tokenizers" / "words.json").is_file()
    assert set(routed.routing_config.backends) == {"local", "gpu-tgi"}

    backend = routed.router.pool.get("gpu-tgi")
    messages = (ChatMessage("user", "count these five words"),)
    # The word tokenizer from the bucket counts the prompt.
    assert backend.count_prompt_tokens(messages) > 0
    result = backend.generate(GenerationRequest(messages, SamplingParams(max_tokens=4, temperature=0)))
    # The emulator echoes the prompt; the endpoint and the token counting come from the downloaded config.
    assert result.text.startswith("You said")
    assert result.extra["endpoint"] == "test-tgi"
    assert result.extra["token_counts"] == "tokenizer"
    assert [call.endpoint for call in emulator[0].invocations] == ["test-tgi"]


def test_missing_routing_file_names_the_fix(s3_client, tmp_path):
    s3_client.put_object(Bucket=BUCKET, Key=f"{PREFIX}/tokenizers/words.json", Body=b"{}")
    with pytest.raises(RoutingConfigError) as caught:
        s3_folder.download_routing_folder(s3_client, BUCKET, PREFIX, download_root=tmp_path)
    message = str(caught.value)
    assert f"s3://{BUCKET}/{PREFIX}/" in message
    assert "routing.yaml not found; upload config/routing.yaml" in message


def test_key_outside_the_folder_is_rejected(s3_client, tmp_path):
    s3_client.put_object(Bucket=BUCKET, Key=f"{PREFIX}/routing.yaml", Body=ROUTING_YAML.encode())
    s3_client.put_object(Bucket=BUCKET, Key=f"{PREFIX}/../escape.json", Body=b"{}")
    with pytest.raises(RoutingConfigError, match=r"'\.\.'"):
        s3_folder.download_routing_folder(s3_client, BUCKET, PREFIX, download_root=tmp_path)
    assert not list(tmp_path.iterdir())


def test_each_cold_start_gets_a_fresh_folder(s3_client, tmp_path):
    s3_client.put_object(Bucket=BUCKET, Key=f"{PREFIX}/routing.yaml", Body=ROUTING_YAML.encode())
    first = s3_folder.download_routing_folder(s3_client, BUCKET, PREFIX, download_root=tmp_path)
    second = s3_folder.download_routing_folder(s3_client, BUCKET, PREFIX, download_root=tmp_path)
    assert first != second
    assert (second / "routing.yaml").read_text() == ROUTING_YAML


@pytest.mark.parametrize(
    ("environment", "problem"),
    [
        ({"SLUICEGATE_ROUTING_CONFIG_PREFIX": "routing"}, "SLUICEGATE_MODEL_BUCKET must be set too"),
        (
            {"SLUICEGATE_ROUTING_CONFIG_PREFIX": "routing", "SLUICEGATE_MODEL_BUCKET": BUCKET,
             "SLUICEGATE_ROUTING_CONFIG": "config/routing.yaml"},
            "not both",
        ),
        ({"SLUICEGATE_ROUTING_CONFIG_PREFIX": "/", "SLUICEGATE_MODEL_BUCKET": BUCKET}, "must name a folder"),
    ],
)
def test_invalid_routing_settings_are_rejected(environment, problem):
    with pytest.raises(SettingsError) as caught:
        load_settings(environment)
    assert "SLUICEGATE_ROUTING_CONFIG_PREFIX" in str(caught.value)
    assert problem in str(caught.value)


def test_template_passes_prefix_to_functions():
    template = yaml.load((ROOT / "template.yaml").read_text(), Loader=CloudFormationLoader)
    expected = {"Fn::If": ["HasRoutingConfig", {"Ref": "RoutingConfigPrefix"}, {"Ref": "AWS::NoValue"}]}
    for function in ("GatewayFunction", "BatchWorkerFunction"):
        variables = template["Resources"][function]["Properties"]["Environment"]["Variables"]
        assert variables[ENV_PREFIX + "ROUTING_CONFIG_PREFIX"] == expected
    assert template["Parameters"]["RoutingConfigPrefix"]["Default"] == ""
    assert template["Conditions"]["HasRoutingConfig"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "RoutingConfigPrefix"}, ""]}]}


def test_failed_download_leaves_no_folder(s3_client, tmp_path, monkeypatch):
    from botocore.exceptions import EndpointConnectionError

    s3_client.put_object(Bucket=BUCKET, Key=f"{PREFIX}/routing.yaml", Body=ROUTING_YAML.encode())

    def unreachable(*args, **kwargs):
        raise EndpointConnectionError(endpoint_url="https://s3.example.invalid")

    monkeypatch.setattr(s3_client, "download_file", unreachable)
    with pytest.raises(RoutingConfigError) as caught:
        s3_folder.download_routing_folder(s3_client, BUCKET, PREFIX, download_root=tmp_path)
    assert f"download of s3://{BUCKET}/{PREFIX}/routing.yaml failed" in str(caught.value)
    assert not list(tmp_path.iterdir())
