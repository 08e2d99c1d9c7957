"""``scripts/report``: summarise the gateway's EMF metric records per backend and model.

The records come from log files (one JSON object per line, mixed with other log
lines) or from CloudWatch Logs. This package needs only the standard library,
plus boto3 for CloudWatch Logs and matplotlib for ``--chart``; both are
imported only when used.
"""
