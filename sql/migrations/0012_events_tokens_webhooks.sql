-- Every change becomes an event that leaves the building: an outbox written in the change's own transaction, API tokens
-- for scripts and integrations, and signed webhooks delivered from the outbox by a background worker.

-- The outbox: one domain event per change, written in the same transaction as the change and its audit event, so an
-- event exists exactly when the change does. Its id is the one receivers deduplicate on.
CREATE TABLE outbox_events (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- Commit-independent order of writing, for delivering in order per endpoint.
    seq bigserial NOT NULL UNIQUE,
    org_id uuid NOT NULL REFERENCES organizations (id),
    type text NOT NULL,
    object_type text NOT NULL,
    object_id uuid,
    actor_id uuid,
    data jsonb NOT NULL DEFAULT '{}',
    occurred_at timestamptz NOT NULL DEFAULT now(),
    -- Set once the event has been handed to every endpoint that wanted it.
    dispatched_at timestamptz
);
CREATE INDEX outbox_events_undispatched_idx ON outbox_events (seq) WHERE dispatched_at IS NULL;
CREATE INDEX outbox_events_org_idx ON outbox_events (org_id, seq);

-- The audit trail gains the event type it announced, so "one audit event, one domain event" can be checked per change.
ALTER TABLE audit_events ADD COLUMN event_id uuid;

-- Service accounts are users an integration acts as: a role, no password, never signs in on a page.
ALTER TABLE users ADD COLUMN kind text NOT NULL DEFAULT 'person' CHECK (kind IN ('person', 'service'));

-- API tokens: personal ones a user makes for themself, service ones an admin makes for a service account. Only a hash is
-- kept; the prefix (rw_pat_ / rw_sa_) lets secret scanners recognise a leaked one, and the first characters are shown in
-- lists so a person can tell their tokens apart.
CREATE TABLE api_tokens (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id uuid NOT NULL REFERENCES organizations (id),
    user_id uuid NOT NULL,
    name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    display_prefix text NOT NULL,
    token_hash bytea NOT NULL UNIQUE,
    scope text NOT NULL CHECK (scope IN ('read', 'write')),
    expires_at timestamptz,
    last_used_at timestamptz,
    revoked_at timestamptz,
    created_by uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id)
);
CREATE INDEX api_tokens_user_idx ON api_tokens (org_id, user_id, created_at);

-- Webhook endpoints an admin registers: where to send which events, in Roadwork's JSON or as Slack messages.
CREATE TABLE webhook_endpoints (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id uuid NOT NULL REFERENCES organizations (id),
    url text NOT NULL CHECK (length(url) BETWEEN 8 AND 2000),
    description text NOT NULL DEFAULT '',
    secret text NOT NULL,
    event_types text[] NOT NULL CHECK (cardinality(event_types) >= 1),
    format text NOT NULL DEFAULT 'json' CHECK (format IN ('json', 'slack')),
    enabled boolean NOT NULL DEFAULT true,
    -- Why it was switched off by Roadwork (after failing for a long stretch), for the admin who switches it back on.
    disabled_reason text,
    -- Failing since the first failure after the last success; retries back off from here.
    failing_since timestamptz,
    failures integer NOT NULL DEFAULT 0,
    retry_at timestamptz,
    -- One worker at a time sends to an endpoint (in order); if it dies, the lease runs out and another takes over.
    leased_until timestamptz,
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, id)
);
CREATE INDEX webhook_endpoints_org_idx ON webhook_endpoints (org_id, created_at);

-- One event owed to one endpoint, and what happened when it was sent: the endpoint's delivery log.
CREATE TABLE webhook_deliveries (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id uuid NOT NULL,
    endpoint_id uuid NOT NULL,
    event_id uuid NOT NULL REFERENCES outbox_events (id),
    event_seq bigint NOT NULL,
    state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_attempt_at timestamptz,
    delivered_at timestamptz,
    last_status integer,
    last_latency_ms integer,
    last_response text,
    last_error text,
    UNIQUE (endpoint_id, event_id),
    FOREIGN KEY (org_id, endpoint_id) REFERENCES webhook_endpoints (org_id, id) ON DELETE CASCADE
);
CREATE INDEX webhook_deliveries_pending_idx ON webhook_deliveries (endpoint_id, event_seq) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_log_idx ON webhook_deliveries (endpoint_id, created_at DESC, id);

-- Emerging walls already announced, so each is announced once per emergence.
CREATE TABLE announced_walls (
    org_id uuid NOT NULL,
    objection_id uuid NOT NULL,
    announced_on date NOT NULL,
    PRIMARY KEY (org_id, objection_id),
    FOREIGN KEY (org_id, objection_id) REFERENCES objections (org_id, id) ON DELETE CASCADE
);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['outbox_events', 'api_tokens', 'webhook_endpoints', 'webhook_deliveries', 'announced_walls'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY %I ON %I USING (org_id = roadwork_current_org()) WITH CHECK (org_id = roadwork_current_org())',
                       t || '_tenant', t);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO roadwork_app', t);
    END LOOP;
END
$$;
GRANT USAGE ON SEQUENCE outbox_events_seq_seq TO roadwork_app;

-- Authentication now also knows API tokens (rw_pat_… and rw_sa_…): the same answer plus the token's scope. Looked up on
-- every request, so a revoked token is refused at once by every server process. last_used_at is written at most once a
-- minute per token, so a busy integration does not turn every read into a write.
DROP FUNCTION roadwork_authenticate(text);
CREATE FUNCTION roadwork_authenticate(token text)
    RETURNS TABLE (session_id uuid, user_id uuid, org_id uuid, email text, name text, role text, org_name text,
                   token_id uuid, scope text)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
DECLARE
    v_session record;
    v_found boolean;
BEGIN
    IF starts_with(token, 'rw_pat_') OR starts_with(token, 'rw_sa_') THEN
        SELECT NULL::uuid AS session_id, u.id AS user_id, u.org_id, u.email, u.name, u.role, o.name AS org_name,
               t.id AS token_id, t.scope, t.last_used_at
        INTO v_session
        FROM api_tokens t
        JOIN users u ON u.id = t.user_id
        JOIN organizations o ON o.id = u.org_id
        WHERE t.token_hash = sha256(convert_to(token, 'UTF8'))
          AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now()) AND u.active;
        v_found := FOUND;
        IF v_found AND (v_session.last_used_at IS NULL OR v_session.last_used_at < now() - interval '1 minute') THEN
            UPDATE api_tokens SET last_used_at = now() WHERE id = v_session.token_id;
        END IF;
    ELSE
        SELECT s.id AS session_id, u.id AS user_id, u.org_id, u.email, u.name, u.role, o.name AS org_name,
               NULL::uuid AS token_id, 'write'::text AS scope
        INTO v_session
        FROM sessions s
        JOIN users u ON u.id = s.user_id
        JOIN organizations o ON o.id = u.org_id
        WHERE s.token_hash = sha256(convert_to(token, 'UTF8'))
          AND s.revoked_at IS NULL AND s.expires_at > now() AND u.active AND u.kind = 'person';
        v_found := FOUND;
    END IF;
    IF v_found THEN
        -- Scope the remainder of this transaction to the token's organization.
        PERFORM set_config('roadwork.org_id', v_session.org_id::text, true);
        session_id := v_session.session_id;
        user_id := v_session.user_id;
        org_id := v_session.org_id;
        email := v_session.email;
        name := v_session.name;
        role := v_session.role;
        org_name := v_session.org_name;
        token_id := v_session.token_id;
        scope := v_session.scope;
        RETURN NEXT;
    END IF;
END
$$;
REVOKE ALL ON FUNCTION roadwork_authenticate(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION roadwork_authenticate(text) TO roadwork_app;

-- Service accounts never sign in with a password.
CREATE OR REPLACE FUNCTION roadwork_signin_account(p_email text)
    RETURNS TABLE (user_id uuid, org_id uuid, password_hash text, active boolean)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$ SELECT id, org_id, password_hash, active FROM users WHERE email = lower(btrim(p_email)) AND kind = 'person' $$;

-- Hands undispatched events to the enabled endpoints that want them (across organizations: the worker serves them all).
-- SKIP LOCKED lets several server processes dispatch at once without waiting on or repeating each other.
CREATE FUNCTION roadwork_dispatch_events(p_limit integer) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
DECLARE
    v_count integer;
BEGIN
    WITH batch AS (
        SELECT id, seq, org_id, type FROM outbox_events WHERE dispatched_at IS NULL ORDER BY seq LIMIT p_limit FOR UPDATE SKIP LOCKED
    ), owed AS (
        INSERT INTO webhook_deliveries (org_id, endpoint_id, event_id, event_seq)
        SELECT b.org_id, e.id, b.id, b.seq FROM batch b
        JOIN webhook_endpoints e ON e.org_id = b.org_id AND e.enabled AND b.type = ANY (e.event_types)
        ON CONFLICT (endpoint_id, event_id) DO NOTHING
    )
    UPDATE outbox_events o SET dispatched_at = now() FROM batch b WHERE o.id = b.id;
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END
$$;

-- Takes up to p_endpoints endpoints with deliveries due (each locked with SKIP LOCKED, then leased so no other process
-- sends to it until the lease ends) and returns their oldest p_per_endpoint pending deliveries, oldest first.
CREATE FUNCTION roadwork_claim_deliveries(p_endpoints integer, p_per_endpoint integer, p_lease_seconds integer)
    RETURNS TABLE (delivery_id uuid, endpoint_id uuid, org_id uuid, url text, secret text, format text, attempts integer,
                   event_id uuid, event_type text, object_type text, object_id uuid, actor_id uuid, data jsonb,
                   occurred_at timestamptz)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
BEGIN
    RETURN QUERY
    WITH claimed AS (
        SELECT e.id FROM webhook_endpoints e
        WHERE e.enabled AND (e.leased_until IS NULL OR e.leased_until < now()) AND (e.retry_at IS NULL OR e.retry_at <= now())
          AND EXISTS (SELECT FROM webhook_deliveries d WHERE d.endpoint_id = e.id AND d.state = 'pending')
        LIMIT p_endpoints FOR UPDATE SKIP LOCKED
    ), leased AS (
        UPDATE webhook_endpoints e SET leased_until = now() + make_interval(secs => p_lease_seconds)
        FROM claimed c WHERE e.id = c.id
        RETURNING e.id, e.org_id, e.url, e.secret, e.format
    )
    SELECT d.id, l.id, l.org_id, l.url, l.secret, l.format, d.attempts, v.id, v.type, v.object_type, v.object_id, v.actor_id,
           v.data, v.occurred_at
    FROM leased l CROSS JOIN LATERAL (
        SELECT d.id, d.attempts, d.event_id, d.event_seq FROM webhook_deliveries d
        WHERE d.endpoint_id = l.id AND d.state = 'pending' ORDER BY d.event_seq LIMIT p_per_endpoint
    ) d JOIN outbox_events v ON v.id = d.event_id
    ORDER BY l.id, d.event_seq;
END
$$;

-- Records one attempt. A success clears the endpoint's failure streak; a failure backs the endpoint off exponentially
-- (p_backoff_base seconds doubling up to p_backoff_max), gives a delivery up after p_give_up_hours of attempts, and
-- switches the endpoint off (telling its admins) once it has failed for p_disable_hours without a success.
CREATE FUNCTION roadwork_record_attempt(p_delivery uuid, p_ok boolean, p_status integer, p_latency_ms integer, p_response text,
                                        p_error text, p_backoff_base double precision, p_backoff_max double precision,
                                        p_give_up_hours double precision, p_disable_hours double precision)
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
DECLARE
    d webhook_deliveries;
    e webhook_endpoints;
BEGIN
    UPDATE webhook_deliveries SET attempts = attempts + 1, last_attempt_at = now(), last_status = p_status,
        last_latency_ms = p_latency_ms, last_response = left(p_response, 500), last_error = left(p_error, 500),
        state = CASE WHEN p_ok THEN 'delivered'
                     WHEN created_at < now() - make_interval(secs => p_give_up_hours * 3600) THEN 'failed' ELSE 'pending' END,
        delivered_at = CASE WHEN p_ok THEN now() END
    WHERE id = p_delivery RETURNING * INTO d;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF p_ok THEN
        UPDATE webhook_endpoints SET failing_since = NULL, failures = 0, retry_at = NULL WHERE id = d.endpoint_id;
        RETURN;
    END IF;
    UPDATE webhook_endpoints
    SET failing_since = coalesce(failing_since, now()), failures = failures + 1,
        retry_at = now() + make_interval(secs => least(p_backoff_max, p_backoff_base * power(2, least(failures, 30)))),
        leased_until = NULL
    WHERE id = d.endpoint_id RETURNING * INTO e;
    IF e.enabled AND e.failing_since < now() - make_interval(secs => p_disable_hours * 3600) THEN
        UPDATE webhook_endpoints SET enabled = false, version = version + 1, updated_at = now(),
            disabled_reason = format('Switched off on %s after failing for %s hours (%s attempts); last error: %s',
                                     to_char(now(), 'YYYY-MM-DD HH24:MI "UTC"'), round(p_disable_hours::numeric, 1), e.failures,
                                     coalesce(p_error, 'HTTP ' || p_status))
        WHERE id = e.id;
        -- Every active admin of the organization is told, in the notifications the home page shows.
        INSERT INTO notifications (org_id, user_id, message)
        SELECT e.org_id, u.id, format('Webhook endpoint %s was switched off after failing for %s hours; see Admin → Webhooks.',
                                      e.url, round(p_disable_hours::numeric, 1))
        FROM users u WHERE u.org_id = e.org_id AND u.role = 'admin' AND u.active AND u.kind = 'person';
    END IF;
END
$$;

-- Ends an endpoint's lease once its batch is sent, so the next batch need not wait for the lease to run out.
CREATE FUNCTION roadwork_release_endpoint(p_endpoint uuid) RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp
    AS $$ UPDATE webhook_endpoints SET leased_until = NULL WHERE id = p_endpoint $$;

-- Organizations with an endpoint that wants emerging walls: the worker looks for new ones there.
CREATE FUNCTION roadwork_organizations_watching(p_type text) RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$ SELECT DISTINCT org_id FROM webhook_endpoints WHERE enabled AND p_type = ANY (event_types) $$;

-- Pending deliveries in all organizations, for the worker's metrics and the bench's "does it keep up".
CREATE FUNCTION roadwork_webhook_backlog() RETURNS TABLE (undispatched bigint, pending bigint)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$ SELECT (SELECT count(*) FROM outbox_events WHERE dispatched_at IS NULL),
                 (SELECT count(*) FROM webhook_deliveries WHERE state = 'pending') $$;

REVOKE ALL ON FUNCTION roadwork_dispatch_events(integer), roadwork_claim_deliveries(integer, integer, integer),
    roadwork_record_attempt(uuid, boolean, integer, integer, text, text, double precision, double precision, double precision, double precision),
    roadwork_release_endpoint(uuid), roadwork_organizations_watching(text), roadwork_webhook_backlog() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION roadwork_dispatch_events(integer), roadwork_claim_deliveries(integer, integer, integer),
    roadwork_record_attempt(uuid, boolean, integer, integer, text, text, double precision, double precision, double precision, double precision),
    roadwork_release_endpoint(uuid), roadwork_organizations_watching(text), roadwork_webhook_backlog() TO roadwork_app;

-- Records a batch of successful deliveries at once (the usual case), so a busy endpoint costs one statement per batch.
CREATE FUNCTION roadwork_record_delivered(p_deliveries uuid[], p_statuses integer[], p_latencies integer[], p_responses text[])
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
BEGIN
    UPDATE webhook_deliveries d SET attempts = d.attempts + 1, last_attempt_at = now(), state = 'delivered', delivered_at = now(),
        last_status = x.status, last_latency_ms = x.latency, last_response = left(x.response, 500), last_error = NULL
    FROM unnest(p_deliveries, p_statuses, p_latencies, p_responses) x(id, status, latency, response) WHERE d.id = x.id;
    UPDATE webhook_endpoints e SET failing_since = NULL, failures = 0, retry_at = NULL
    WHERE e.id IN (SELECT endpoint_id FROM webhook_deliveries WHERE id = ANY (p_deliveries)) AND e.failures > 0;
END
$$;
REVOKE ALL ON FUNCTION roadwork_record_delivered(uuid[], integer[], integer[], text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION roadwork_record_delivered(uuid[], integer[], integer[], text[]) TO roadwork_app;

-- Keeps the outbox and the delivery logs from growing without end: deliveries made or given up over 30 days ago, and
-- events over 30 days old that no endpoint still owes. Run by the worker about once an hour.
CREATE FUNCTION roadwork_prune_events() RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
    DELETE FROM webhook_deliveries WHERE state <> 'pending' AND created_at < now() - interval '30 days';
    DELETE FROM outbox_events v WHERE v.dispatched_at < now() - interval '30 days'
        AND NOT EXISTS (SELECT FROM webhook_deliveries d WHERE d.event_id = v.id);
    $$;
REVOKE ALL ON FUNCTION roadwork_prune_events() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION roadwork_prune_events() TO roadwork_app;
