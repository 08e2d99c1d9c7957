"""The template's dashboard, alarms, canary deployment and log retention."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from sglocal.template import CloudFormationLoader
from sluicegate.observability.catalog import CATALOG, NAMESPACE
from sluicegate.settings import ENV_PREFIX, Settings

ROOT = Path(__file__).resolve().parents[2]
PSEUDO_PARAMETERS = {"AWS::Region", "AWS::StackName", "AWS::AccountId", "AWS::Partition", "AWS::URLSuffix"}
GRID_COLUMNS = 24
ALARM_TOPIC_ACTION = {"Fn::If": ["HasAlarmTopic", [{"Ref": "AlarmTopicArn"}], {"Ref": "AWS::NoValue"}]}
REQUIRED_ALARMS = {
    "LatencyP95Alarm",
    "ServerErrorRateAlarm",
    "ErrorBudgetBurn1hAlarm",
    "ErrorBudgetBurn6hAlarm",
    "CostSpikeAlarm",
    "InjectionFlagsAlarm",
    "InjectionBlockedAlarm",
    "DlqDepthAlarm",
}


@pytest.fixture(scope="module")
def template() -> dict:
    return yaml.load((ROOT / "template.yaml").read_text(), Loader=CloudFormationLoader)


@pytest.fixture(scope="module")
def resources(template) -> dict:
    return template["Resources"]


def of_type(resources: dict, resource_type: str) -> dict:
    return {name: resource for name, resource in resources.items() if resource["Type"] == resource_type}


@pytest.fixture(scope="module")
def dashboard_source(resources) -> str:
    [dashboard] = of_type(resources, "AWS::CloudWatch::Dashboard").values()
    return dashboard["Properties"]["DashboardBody"]["Fn::Sub"]


@pytest.fixture(scope="module")
def dashboard(dashboard_source, template, resources) -> dict:
    """The dashboard body with every ${...} replaced by a sample value, parsed as JSON."""
    parameters = template["Parameters"]

    def sample(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in parameters:
            return str(parameters[name].get("Default", "value"))
        return f"sample-{name.replace('::', '-').replace('.', '-')}"

    return json.loads(re.sub(r"\$\{([^}!]+)\}", sample, dashboard_source))


def metric_names_in(text: str) -> set[str]:
    """Return the metric names named in SEARCH expressions and Metrics Insights queries."""
    names = set(re.findall(r'MetricName=\\?"(\w+)\\?"', text))
    names |= set(re.findall(r"SELECT \w+\((\w+)\) FROM " + NAMESPACE, text))
    return names


def test_dashboard_references_resolve(dashboard_source, template, resources):
    for reference in re.findall(r"\$\{([^}!]+)\}", dashboard_source):
        name = reference.split(".")[0]
        assert reference in PSEUDO_PARAMETERS or name in template["Parameters"] or name in resources, reference


def test_dashboard_widgets_fit_grid_without_overlap(dashboard):
    cells: dict[tuple[int, int], str] = {}
    for widget in dashboard["widgets"]:
        title = widget["properties"].get("title") or widget["properties"].get("markdown", "")[:30]
        assert widget["x"] + widget["width"] <= GRID_COLUMNS, title
        for x in range(widget["x"], widget["x"] + widget["width"]):
            for y in range(widget["y"], widget["y"] + widget["height"]):
                assert (x, y) not in cells, f"{title!r} overlaps {cells[(x, y)]!r}"
                cells[(x, y)] = title


def test_dashboard_has_three_sections(dashboard):
    headers = [widget["properties"]["markdown"] for widget in dashboard["widgets"] if widget["type"] == "text"]
    for section in ("## Overview", "## On-call", "## Debug"):
        assert any(header.startswith(section) for header in headers), section


def test_dashboard_metrics_are_catalogued(dashboard_source):
    names = metric_names_in(dashboard_source)
    assert names, "the dashboard names no gateway metric"
    assert names <= set(CATALOG), f"not in the catalogue: {sorted(names - set(CATALOG))}"


def test_dashboard_shows_every_view(dashboard_source, dashboard):
    titles = " | ".join(widget["properties"].get("title", "") for widget in dashboard["widgets"]).lower()
    for words in ("requests", "availability", "tokens", "cost", "p95 / p99", "errors", "throttles", "fallbacks", "quota", "batch queues", "stage latency", "retrieval", "pii", "injection", "sampled requests"):
        assert words in titles, words
    for metric in ("Requests", "InputTokens", "CostMicroUSD", "Errors", "Fallbacks", "QuotaRejections", "StageLatency", "RetrievalTopScore", "PiiEntities", "InjectionFlags"):
        assert metric in metric_names_in(dashboard_source), metric
    assert "${BatchDeadLetterQueue.QueueName}" in dashboard_source


def test_alarm_widget_lists_every_alarm(dashboard, resources):
    [alarm_widget] = [widget for widget in dashboard["widgets"] if widget["type"] == "alarm"]
    listed = {arn.removeprefix("sample-").removesuffix("-Arn") for arn in alarm_widget["properties"]["alarms"]}
    assert listed == set(of_type(resources, "AWS::CloudWatch::Alarm"))


def test_required_alarms_exist(resources):
    alarms = set(of_type(resources, "AWS::CloudWatch::Alarm"))
    assert REQUIRED_ALARMS <= alarms, f"missing {sorted(REQUIRED_ALARMS - alarms)}"


def test_every_alarm_notifies_topic(resources):
    for name, alarm in of_type(resources, "AWS::CloudWatch::Alarm").items():
        assert alarm["Properties"].get("AlarmActions") == ALARM_TOPIC_ACTION, name
        assert alarm["Properties"].get("OKActions") == ALARM_TOPIC_ACTION, name


def test_alarm_topic_parameter_is_optional(template):
    parameter = template["Parameters"]["AlarmTopicArn"]
    assert parameter["Type"] == "String"
    assert parameter["Default"] == ""


def test_alarm_queries_use_catalogued_metrics(resources):
    for name, alarm in of_type(resources, "AWS::CloudWatch::Alarm").items():
        for query in alarm["Properties"].get("Metrics", []):
            expression = query.get("Expression")
            if isinstance(expression, str) and expression.startswith("SELECT"):
                assert metric_names_in(expression) <= set(CATALOG), name
                assert metric_names_in(expression), f"{name}: cannot read the metric of {expression!r}"


def test_burn_rate_alarms_cover_two_windows(resources):
    periods = {}
    for name in ("ErrorBudgetBurn1hAlarm", "ErrorBudgetBurn6hAlarm"):
        queries = resources[name]["Properties"]["Metrics"]
        periods[name] = {query["MetricStat"]["Period"] for query in queries if "MetricStat" in query}
        [returned] = [query for query in queries if query.get("ReturnData")]
        assert "AvailabilityObjectivePercent" in returned["Expression"]["Fn::Sub"]
    assert periods == {"ErrorBudgetBurn1hAlarm": {3600}, "ErrorBudgetBurn6hAlarm": {21600}}
    assert resources["ErrorBudgetBurn1hAlarm"]["Properties"]["Threshold"] == 14.4
    assert resources["ErrorBudgetBurn6hAlarm"]["Properties"]["Threshold"] == 6


def test_alarm_runbooks_exist(resources):
    for name, alarm in of_type(resources, "AWS::CloudWatch::Alarm").items():
        runbooks = re.findall(r"docs/runbooks/[\w-]+\.md", alarm["Properties"]["AlarmDescription"])
        assert runbooks, f"{name} names no runbook"
        for runbook in runbooks:
            assert (ROOT / runbook).is_file(), f"{name}: {runbook} does not exist"


def test_gateway_deploys_through_canary_alias(template, resources):
    props = resources["GatewayFunction"]["Properties"]
    assert props["AutoPublishAlias"] == "live"
    preference = props["DeploymentPreference"]
    assert preference["Type"] == {"Ref": "GatewayDeploymentType"}
    assert template["Parameters"]["GatewayDeploymentType"]["Default"] == "Canary10Percent5Minutes"
    rollback_alarms = {alarm["Ref"] for alarm in preference["Alarms"]}
    assert {"LatencyP95Alarm", "ServerErrorRateAlarm", "ErrorBudgetBurn1hAlarm"} <= rollback_alarms
    assert rollback_alarms <= set(of_type(resources, "AWS::CloudWatch::Alarm"))


def test_every_function_has_log_retention(resources):
    retention = {}
    for group in of_type(resources, "AWS::Logs::LogGroup").values():
        name = group["Properties"]["LogGroupName"]["Fn::Sub"]
        retention[name] = group["Properties"].get("RetentionInDays")
    for function in of_type(resources, "AWS::Serverless::Function"):
        log_group = f"/aws/lambda/${{{function}}}"
        assert log_group in retention, f"{function} has no log group with a retention"
        assert retention[log_group] == {"Ref": "LogRetentionDays"}, function


def test_sample_rate_reaches_settings(template, resources):
    variables = resources["GatewayFunction"]["Properties"]["Environment"]["Variables"]
    assert variables[ENV_PREFIX + "LOG_SAMPLE_RATE"] == {"Ref": "LogSampleRate"}
    assert template["Parameters"]["LogSampleRate"]["Default"] == 0
    assert "log_sample_rate" in Settings.model_fields


@pytest.mark.slow
def test_observability_template_passes_sam_lint(resources):
    assert of_type(resources, "AWS::CloudWatch::Dashboard")
    assert REQUIRED_ALARMS <= set(of_type(resources, "AWS::CloudWatch::Alarm"))
    result = subprocess.run([str(ROOT / "scripts" / "sam"), "validate", "--lint"], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is a valid SAM Template" in result.stdout + result.stderr
