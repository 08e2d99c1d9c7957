-- Batches of chat completion requests (POST /v1/batches) and their items.
--
-- A batch is created in status 'validating' together with all its items,
-- moves to 'in_progress' once every item is on the queue, and to
-- 'completed' when no item is queued or running. It is 'failed' when its
-- items could not be queued; the worker then runs none of them.
CREATE TABLE batches (
    id             text PRIMARY KEY,
    tenant_id      text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    -- The submitting key and tier: items are run and charged as that caller.
    key_id         text NOT NULL,
    tier           text NOT NULL,
    endpoint       text NOT NULL DEFAULT '/v1/chat/completions',
    status         text NOT NULL DEFAULT 'validating'
                   CHECK (status IN ('validating', 'in_progress', 'completed', 'failed')),
    metadata       jsonb,
    -- OpenAI error objects that explain a failed batch.
    errors         jsonb,
    item_count     integer NOT NULL CHECK (item_count > 0),
    created_at     timestamptz NOT NULL DEFAULT now(),
    in_progress_at timestamptz,
    completed_at   timestamptz,
    failed_at      timestamptz
);

CREATE INDEX batches_tenant_created_idx ON batches (tenant_id, created_at);

-- One row per request of a batch. A worker claims an item by setting it to
-- 'running' with a lease; attempt n runs under the quota request id
-- "<batch id>:<sha256(custom_id), 16 hex>:<n>", kept in request_id.
CREATE TABLE batch_items (
    batch_id         text NOT NULL REFERENCES batches (id) ON DELETE CASCADE,
    custom_id        text NOT NULL,
    item_index       integer NOT NULL CHECK (item_index >= 0),
    body             jsonb NOT NULL,
    status           text NOT NULL DEFAULT 'queued'
                     CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    request_id       text,
    lease_expires_at timestamptz,
    -- HTTP status the same request would have had on POST /v1/chat/completions.
    status_code      integer,
    -- The chat completion body of a succeeded item.
    response         jsonb,
    -- The OpenAI error object of a failed item, or the last retryable error of
    -- an item that is queued for another attempt.
    error            jsonb,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    completed_at     timestamptz,
    PRIMARY KEY (batch_id, custom_id),
    UNIQUE (batch_id, item_index)
);
