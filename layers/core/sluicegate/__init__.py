"""sluicegate: a serverless LLM gateway for AWS.

The request pipeline, in order: auth → api (validate) → screening →
quotas (reserve) → retrieval → routing → backends (dispatch) → screening
(restore) → quotas (settle) → observability (emit).
"""

__version__ = "0.1.0"
