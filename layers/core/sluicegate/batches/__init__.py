"""Batches of chat completion requests, run asynchronously from an SQS queue.

``POST /v1/batches`` stores a batch with all its items in Postgres and sends
one message per item to the batch queue. The batch worker function runs each
item through the same pipeline as ``POST /v1/chat/completions`` and stores
the chat completion or error, which ``GET /v1/batches/{batch_id}`` returns.
"""
