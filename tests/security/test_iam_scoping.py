"""Every IAM statement that template.yaml writes names its resources and actions.

The AWS managed policies that SAM attaches by itself (basic execution, X-Ray,
the SQS poller role) are outside the template; docs/security.md lists them."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sglocal.template import CloudFormationLoader

ROOT = Path(__file__).resolve().parents[2]
# SAM policy templates in use, each scoped by its parameter.
POLICY_TEMPLATES = {"S3ReadPolicy": "BucketName", "AWSSecretsManagerGetSecretValuePolicy": "SecretArn"}


def function_policies() -> list[tuple[str, object]]:
    template = yaml.load((ROOT / "template.yaml").read_text(), Loader=CloudFormationLoader)
    policies = []
    for name, resource in template["Resources"].items():
        if resource["Type"] == "AWS::Serverless::Function":
            policies.extend((name, policy) for policy in resource["Properties"].get("Policies", []))
    return policies


def unwrap(policy: object) -> list[dict]:
    """Return the policies inside an ``!If [condition, policy, !Ref AWS::NoValue]``."""
    if isinstance(policy, dict) and "Fn::If" in policy:
        return [branch for branch in policy["Fn::If"][1:] if branch != {"Ref": "AWS::NoValue"}]
    return [policy]


@pytest.mark.parametrize(("function", "policy"), function_policies())
def test_policy_is_scoped(function, policy):
    for entry in unwrap(policy):
        assert isinstance(entry, dict), f"{function}: managed policy {entry!r} is not allowed"
        if "Statement" in entry:
            for statement in entry["Statement"]:
                resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                assert "*" not in resources, f"{function}: {actions} on every resource"
                assert all("*" not in action for action in actions), f"{function}: wildcard action in {actions}"
        else:
            (name, arguments), = entry.items()
            assert name in POLICY_TEMPLATES, f"{function}: unreviewed policy template {name}"
            assert arguments[POLICY_TEMPLATES[name]] != "*"
