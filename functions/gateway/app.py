"""Gateway function: the OpenAI-compatible API."""

import warnings

from sluicegate.backends.local import LocalBackend
from sluicegate.settings import get_settings

# Started before the other imports, so that the model loads while they run.
if get_settings().preload_local_model:
    LocalBackend.start_preload(get_settings())

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from sluicegate.http.gateway import build_app
from sluicegate.observability.metrics import metrics

logger = Logger(service="sluicegate")
app = build_app()

# Routes without request metrics (GET /v1/models) still flush the cold-start metric.
warnings.filterwarnings("ignore", message="No application metrics to publish")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
