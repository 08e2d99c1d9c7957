"""Admin function: tenants, API keys, quota limits and usage for operators (IAM-authorized routes)."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from sluicegate.http.gateway import build_admin_app

logger = Logger(service="sluicegate")
app = build_admin_app()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
