"""Sweeper function: runs once a minute to release expired quota reservations.

A reservation expires when its request never settled or released it, for
example because the gateway function timed out or crashed. The sweep also
deletes counter and reservation rows past their retention.
"""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from sluicegate.quotas.sweeper import Sweeper
from sluicegate.services import get_services

logger = Logger(service="sluicegate")


@logger.inject_lambda_context
def handler(event: dict, context: LambdaContext) -> dict:
    result = Sweeper(get_services().quotas).run()
    logger.info("quota sweep finished", **result.as_dict())
    return result.as_dict()
