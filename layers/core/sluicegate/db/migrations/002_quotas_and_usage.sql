-- Quotas and the usage ledger.
--
-- Limit names and their units:
--   requests_per_minute, tokens_per_minute, tokens_per_day   counts
--   micro_usd_per_day, micro_usd_per_month                   integer micro-USD (1 USD = 1,000,000)
-- Windows start on UTC boundaries (minute, day, calendar month). The gateway
-- computes every window start, expiry and timestamp from its own clock and
-- passes it in; no quota statement uses now().
--
-- Deadlock rule: every transaction updates (and so row-locks) counter rows in
-- ascending (scope, limit_name, window_start) order, as the gateway sorts
-- them (code point order), and takes no other counter lock first. The
-- counter arrays stored on a reservation are in that order, so release and
-- settle reuse it.

-- Default limits of each tier. A tier with no rows is unknown and rejects
-- requests; a row with a NULL value means "no limit".
CREATE TABLE quota_tier_limits (
    tier       text NOT NULL,
    limit_name text NOT NULL CHECK (limit_name IN (
        'requests_per_minute', 'tokens_per_minute', 'tokens_per_day',
        'micro_usd_per_day', 'micro_usd_per_month')),
    value      bigint CHECK (value >= 0),
    PRIMARY KEY (tier, limit_name)
);

INSERT INTO quota_tier_limits (tier, limit_name, value) VALUES
    ('free',       'requests_per_minute',  20),
    ('free',       'tokens_per_minute',    10000),
    ('free',       'tokens_per_day',       200000),
    ('free',       'micro_usd_per_day',    500000),
    ('free',       'micro_usd_per_month',  5000000),
    ('standard',   'requests_per_minute',  300),
    ('standard',   'tokens_per_minute',    200000),
    ('standard',   'tokens_per_day',       5000000),
    ('standard',   'micro_usd_per_day',    20000000),
    ('standard',   'micro_usd_per_month',  300000000),
    ('enterprise', 'requests_per_minute',  3000),
    ('enterprise', 'tokens_per_minute',    2000000),
    ('enterprise', 'tokens_per_day',       NULL),
    ('enterprise', 'micro_usd_per_day',    NULL),
    ('enterprise', 'micro_usd_per_month',  NULL);

-- Overrides per tenant (scope '*') and per API key (scope = key id). A row
-- replaces the tier default for the tenant, or adds a limit for one key; a
-- NULL value means "no limit". Without a row the tenant inherits its tier.
CREATE TABLE quota_limits (
    tenant_id  text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    scope      text NOT NULL,
    limit_name text NOT NULL CHECK (limit_name IN (
        'requests_per_minute', 'tokens_per_minute', 'tokens_per_day',
        'micro_usd_per_day', 'micro_usd_per_month')),
    value      bigint CHECK (value >= 0),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, scope, limit_name)
);

-- One row per scope, limit and window. `used` holds settled usage and
-- `reserved` the worst case of requests still running. The tenant scope
-- counts all five limits, limited or not; a key scope counts only the limits
-- set on that key.
CREATE TABLE quota_counters (
    tenant_id    text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    scope        text NOT NULL,
    limit_name   text NOT NULL,
    window_start timestamptz NOT NULL,
    used         bigint NOT NULL DEFAULT 0 CHECK (used >= 0),
    reserved     bigint NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    PRIMARY KEY (tenant_id, scope, limit_name, window_start)
);

-- The worst case held for one request while it runs. Settling deletes the
-- row (the usage ledger keeps the record); a released or expired row stays
-- until the sweeper deletes it. The counter_* arrays list, in lock order, the
-- counter rows the hold sits in and the metric ('requests', 'tokens' or
-- 'micro_usd') each counts.
CREATE TABLE quota_reservations (
    request_id      text PRIMARY KEY,
    tenant_id       text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    key_id          text NOT NULL,
    tokens          bigint NOT NULL CHECK (tokens >= 0),
    micro_usd       bigint NOT NULL CHECK (micro_usd >= 0),
    counter_scopes  text[] NOT NULL,
    counter_names   text[] NOT NULL,
    counter_starts  timestamptz[] NOT NULL,
    counter_metrics text[] NOT NULL,
    created_at      timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    status          text NOT NULL DEFAULT 'reserved' CHECK (status IN ('reserved', 'released', 'expired')),
    closed_at       timestamptz
);

-- Only requests in flight are open, so this index stays small; the sweeper
-- scans all of it to find expired holds.
CREATE INDEX quota_reservations_open_idx
    ON quota_reservations (tenant_id, expires_at) WHERE status = 'reserved';
CREATE INDEX quota_reservations_closed_idx
    ON quota_reservations (closed_at) WHERE status <> 'reserved';

-- One row per request id, written once. It has no foreign key to tenants,
-- so billing records outlive a deleted tenant.
CREATE TABLE usage_ledger (
    request_id              text PRIMARY KEY,
    tenant_id               text NOT NULL,
    key_id                  text NOT NULL,
    model                   text NOT NULL,
    backend                 text NOT NULL,
    route                   text,
    prompt_tokens           integer NOT NULL CHECK (prompt_tokens >= 0),
    completion_tokens       integer NOT NULL CHECK (completion_tokens >= 0),
    cost_micro_usd          bigint NOT NULL CHECK (cost_micro_usd >= 0),
    cost_basis              text NOT NULL,
    latency_ms              integer NOT NULL CHECK (latency_ms >= 0),
    prompt_template_version text,
    created_at              timestamptz NOT NULL
);

CREATE INDEX usage_ledger_tenant_time_idx ON usage_ledger (tenant_id, created_at);

-- The amount a counter of `metric` changes by, given the three amounts of a request.
CREATE FUNCTION quota_metric_amount(metric text, requests bigint, tokens bigint, micro_usd bigint)
RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE metric WHEN 'requests' THEN requests WHEN 'tokens' THEN tokens ELSE micro_usd END
$$;

-- Adds per-metric deltas to counter rows one row at a time, in array order,
-- which is lock order. The functions here are PL/pgSQL because it keeps the
-- plans of its statements for the session, which SQL functions do not. A missing row (deleted after its retention) is
-- created, so usage that settles very late is still counted.
CREATE FUNCTION quota_add_to_counters(
    p_tenant_id text, p_scopes text[], p_names text[], p_starts timestamptz[], p_metrics text[],
    p_used_requests bigint, p_used_tokens bigint, p_used_micro_usd bigint,
    p_reserved_requests bigint, p_reserved_tokens bigint, p_reserved_micro_usd bigint)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_used bigint;
    v_reserved bigint;
BEGIN
    FOR i IN 1 .. coalesce(array_length(p_scopes, 1), 0) LOOP
        v_used := quota_metric_amount(p_metrics[i], p_used_requests, p_used_tokens, p_used_micro_usd);
        v_reserved := quota_metric_amount(p_metrics[i], p_reserved_requests, p_reserved_tokens, p_reserved_micro_usd);
        UPDATE quota_counters
        SET used = used + v_used, reserved = reserved + v_reserved
        WHERE tenant_id = p_tenant_id AND scope = p_scopes[i] AND limit_name = p_names[i] AND window_start = p_starts[i];
        IF NOT FOUND THEN
            INSERT INTO quota_counters AS c (tenant_id, scope, limit_name, window_start, used, reserved)
            VALUES (p_tenant_id, p_scopes[i], p_names[i], p_starts[i], v_used, greatest(v_reserved, 0))
            ON CONFLICT ON CONSTRAINT quota_counters_pkey
            DO UPDATE SET used = c.used + EXCLUDED.used, reserved = greatest(c.reserved + v_reserved, 0);
        END IF;
    END LOOP;
END
$$;

-- Splits a counter list, sent as one JSON array of
-- {"scope", "limit_name", "window_start", "metric", "limit"} objects in lock
-- order, into parallel arrays. One JSON parameter costs the gateway far less
-- to encode than five array parameters.
CREATE FUNCTION quota_unpack_counters(p_counters jsonb,
    OUT scopes text[], OUT names text[], OUT starts timestamptz[], OUT metrics text[], OUT limits bigint[])
LANGUAGE plpgsql STABLE AS $$
BEGIN
    SELECT array_agg(c.scope ORDER BY c.position), array_agg(c.limit_name ORDER BY c.position),
           array_agg(c.window_start ORDER BY c.position), array_agg(c.metric ORDER BY c.position),
           array_agg(c."limit" ORDER BY c.position)
    INTO scopes, names, starts, metrics, limits
    FROM ROWS FROM (jsonb_to_recordset(p_counters)
                    AS (scope text, limit_name text, window_start timestamptz, metric text, "limit" bigint))
         WITH ORDINALITY AS c(scope, limit_name, window_start, metric, "limit", position);
END
$$;

-- Adds the hold of a new reservation to its counters (creating missing rows)
-- in one statement, which locks the rows in input order. If a limit is then
-- exceeded (used + reserved > limit; a NULL limit admits anything), the hold
-- is taken back; otherwise the reservation is stored. Returns the counter
-- values from before the hold, whether it was admitted, and whether the
-- tenant has expired holds that are still open. A request id that already
-- has a reservation or a ledger row raises unique_violation and rolls the
-- whole call back.
--
-- The call commits without waiting for the WAL flush (synchronous_commit
-- off), which halves the disk waits of a request. If the database server
-- crashes, reservations committed in the last 3 x wal_writer_delay (0.6 s
-- by default) can be lost: those requests run without a hold, and their settle still
-- charges their usage, through the counters it is given. Settles wait for
-- the flush, so a committed ledger row is never lost.
CREATE FUNCTION quota_reserve(
    p_request_id text, p_tenant_id text, p_key_id text, p_tokens bigint, p_micro_usd bigint,
    p_counters jsonb, p_created_at timestamptz, p_expires_at timestamptz)
RETURNS TABLE (scope text, limit_name text, window_start timestamptz, used bigint, reserved bigint,
               admitted boolean, expired_holds boolean)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_scopes text[];
    v_names text[];
    v_starts timestamptz[];
    v_metrics text[];
    v_limits bigint[];
    v_used bigint[];
    v_reserved bigint[];
    v_admitted boolean;
    v_expired_holds boolean;
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    -- A settled request has no reservation row any more, but its ledger row stays.
    IF EXISTS (SELECT 1 FROM usage_ledger l WHERE l.request_id = p_request_id) THEN
        RAISE EXCEPTION 'request id % is already settled', p_request_id USING ERRCODE = 'unique_violation';
    END IF;
    SELECT * INTO v_scopes, v_names, v_starts, v_metrics, v_limits FROM quota_unpack_counters(p_counters);
    WITH added AS (
        INSERT INTO quota_counters AS c (tenant_id, scope, limit_name, window_start, used, reserved)
        SELECT p_tenant_id, u.scope, u.limit_name, u.window_start, 0, quota_metric_amount(u.metric, 1, p_tokens, p_micro_usd)
        FROM unnest(v_scopes, v_names, v_starts, v_metrics) WITH ORDINALITY
             AS u(scope, limit_name, window_start, metric, position)
        ORDER BY u.position
        ON CONFLICT ON CONSTRAINT quota_counters_pkey DO UPDATE SET reserved = c.reserved + EXCLUDED.reserved
        RETURNING c.scope, c.limit_name, c.window_start, c.used, c.reserved
    )
    SELECT array_agg(a.used ORDER BY u.position),
           array_agg(a.reserved - quota_metric_amount(u.metric, 1, p_tokens, p_micro_usd) ORDER BY u.position),
           coalesce(bool_and(u.cap IS NULL OR a.used + a.reserved <= u.cap), true)
    INTO v_used, v_reserved, v_admitted
    FROM added a
    JOIN unnest(v_scopes, v_names, v_starts, v_metrics, v_limits) WITH ORDINALITY
         AS u(scope, limit_name, window_start, metric, cap, position)
      ON a.scope = u.scope AND a.limit_name = u.limit_name AND a.window_start = u.window_start;

    IF v_admitted THEN
        INSERT INTO quota_reservations (
            request_id, tenant_id, key_id, tokens, micro_usd,
            counter_scopes, counter_names, counter_starts, counter_metrics, created_at, expires_at)
        VALUES (p_request_id, p_tenant_id, p_key_id, p_tokens, p_micro_usd,
                v_scopes, v_names, v_starts, v_metrics, p_created_at, p_expires_at);
    ELSE
        PERFORM quota_add_to_counters(p_tenant_id, v_scopes, v_names, v_starts, v_metrics, 0, 0, 0, -1, -p_tokens, -p_micro_usd);
    END IF;

    SELECT EXISTS (
        SELECT 1 FROM quota_reservations r
        WHERE r.tenant_id = p_tenant_id AND r.status = 'reserved' AND r.expires_at <= p_created_at
    ) INTO v_expired_holds;

    RETURN QUERY
        SELECT u.scope, u.limit_name, u.window_start, u.used, u.reserved, v_admitted, v_expired_holds
        FROM unnest(v_scopes, v_names, v_starts, v_used, v_reserved) AS u(scope, limit_name, window_start, used, reserved);
END
$$;

-- Gives back the hold of an open reservation and marks it p_status
-- ('released' or 'expired'). With p_expired_only, only a hold whose expiry
-- is at or before p_now is closed. Returns false when nothing was closed.
-- Like quota_reserve it does not wait for the WAL flush: a release lost in a
-- server crash leaves the hold open until it expires and the sweeper closes it.
CREATE FUNCTION quota_close(p_request_id text, p_status text, p_now timestamptz, p_expired_only boolean)
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    r quota_reservations%ROWTYPE;
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    UPDATE quota_reservations
    SET status = p_status, closed_at = p_now
    WHERE request_id = p_request_id AND status = 'reserved' AND (NOT p_expired_only OR expires_at <= p_now)
    RETURNING * INTO r;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    PERFORM quota_add_to_counters(r.tenant_id, r.counter_scopes, r.counter_names, r.counter_starts, r.counter_metrics,
                                  0, 0, 0, -1, -r.tokens, -r.micro_usd);
    RETURN true;
END
$$;

-- Writes the ledger row of a finished request, replaces its hold with the
-- real usage and deletes the reservation. A request id already in the ledger
-- changes nothing and returns the first charge (newly_recorded = false).
-- Usage that arrives after its hold was released or expired is still charged
-- once. Without a stored reservation (the quota check failed open, or a
-- crash lost it) the usage is added to the counters in p_counters (the
-- format of quota_unpack_counters, in lock order).
CREATE FUNCTION quota_settle(
    p_request_id text, p_tenant_id text, p_key_id text, p_model text, p_backend text, p_route text,
    p_prompt_tokens integer, p_completion_tokens integer, p_cost_micro_usd bigint, p_cost_basis text,
    p_latency_ms integer, p_prompt_template_version text, p_now timestamptz, p_counters jsonb)
RETURNS TABLE (newly_recorded boolean, prompt_tokens integer, completion_tokens integer,
               cost_micro_usd bigint, cost_basis text, created_at timestamptz)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    r quota_reservations%ROWTYPE;
    v_scopes text[];
    v_names text[];
    v_starts timestamptz[];
    v_metrics text[];
    v_inserted boolean;
    v_held boolean;
BEGIN
    DELETE FROM quota_reservations WHERE request_id = p_request_id RETURNING * INTO r;
    IF FOUND THEN
        p_tenant_id := r.tenant_id;
        p_key_id := r.key_id;
        v_scopes := r.counter_scopes;
        v_names := r.counter_names;
        v_starts := r.counter_starts;
        v_metrics := r.counter_metrics;
    ELSE
        SELECT u.scopes, u.names, u.starts, u.metrics INTO v_scopes, v_names, v_starts, v_metrics
        FROM quota_unpack_counters(p_counters) AS u;
    END IF;
    v_held := coalesce(r.status = 'reserved', false);

    INSERT INTO usage_ledger (
        request_id, tenant_id, key_id, model, backend, route, prompt_tokens, completion_tokens,
        cost_micro_usd, cost_basis, latency_ms, prompt_template_version, created_at)
    VALUES (p_request_id, p_tenant_id, p_key_id, p_model, p_backend, p_route, p_prompt_tokens, p_completion_tokens,
            p_cost_micro_usd, p_cost_basis, p_latency_ms, p_prompt_template_version, p_now)
    ON CONFLICT (request_id) DO NOTHING;
    v_inserted := FOUND;

    IF v_inserted OR v_held THEN
        PERFORM quota_add_to_counters(
            p_tenant_id, v_scopes, v_names, v_starts, v_metrics,
            CASE WHEN v_inserted THEN 1 ELSE 0 END,
            CASE WHEN v_inserted THEN p_prompt_tokens + p_completion_tokens ELSE 0 END,
            CASE WHEN v_inserted THEN p_cost_micro_usd ELSE 0 END,
            CASE WHEN v_held THEN -1 ELSE 0 END,
            CASE WHEN v_held THEN -r.tokens ELSE 0 END,
            CASE WHEN v_held THEN -r.micro_usd ELSE 0 END);
    END IF;
    RETURN QUERY
        SELECT v_inserted, l.prompt_tokens, l.completion_tokens, l.cost_micro_usd, l.cost_basis, l.created_at
        FROM usage_ledger l WHERE l.request_id = p_request_id;
END
$$;
