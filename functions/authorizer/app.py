"""Authorizer function: API Gateway TOKEN authorizer for sluicegate API keys."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from sluicegate.http.authorizer import authorize
from sluicegate.services import get_services

logger = Logger(service="sluicegate")


@logger.inject_lambda_context
def handler(event: dict, context: LambdaContext) -> dict:
    return authorize(event, get_services())
