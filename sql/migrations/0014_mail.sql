-- Email that closes the loop: mail queued from the outbox (or by a request that owes one, such as a password reset) and
-- sent by a background worker through SMTP; per-user preferences; single-use links for resets and invitations.

-- The queue and the log of every mail: one row per person and reason, written in a transaction and sent later. The
-- unique key makes "one mail per event per person" hold however many times the queueing runs.
CREATE TABLE mail_messages (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id uuid NOT NULL REFERENCES organizations (id),
    user_id uuid NOT NULL,
    kind text NOT NULL CHECK (kind IN ('content_shipped', 'digest', 'review', 'password_reset', 'invitation')),
    -- What the mail is for: 'event:<outbox id>', 'digest:<monday>', 'token:<password token id>'.
    dedupe_key text NOT NULL,
    event_id uuid,
    object_id uuid,
    -- A reset or invitation link's token, kept only until the mail is sent (the database keeps its hash).
    secret text,
    -- Lets the recipient act from the mail without signing in: unsubscribe from this kind, or say whether content helped.
    link_token text NOT NULL UNIQUE DEFAULT replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''),
    to_address text NOT NULL,
    subject text,
    state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed')),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    leased_until timestamptz,
    last_error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at timestamptz,
    UNIQUE (org_id, user_id, kind, dedupe_key),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id)
);
CREATE INDEX mail_messages_due_idx ON mail_messages (next_attempt_at) WHERE state = 'pending';
CREATE INDEX mail_messages_org_idx ON mail_messages (org_id, created_at DESC, id);

-- Opting out of a kind of mail; no row means the person gets it. Resets and invitations cannot be turned off.
CREATE TABLE mail_preferences (
    org_id uuid NOT NULL,
    user_id uuid NOT NULL,
    kind text NOT NULL CHECK (kind IN ('content_shipped', 'digest', 'review')),
    subscribed boolean NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, kind),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id)
);

-- Single-use links to choose a password: a reset (an hour) or an invitation (a week). Only the SHA-256 is kept.
CREATE TABLE password_tokens (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id uuid NOT NULL,
    user_id uuid NOT NULL,
    purpose text NOT NULL CHECK (purpose IN ('reset', 'invitation')),
    token_hash bytea NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id)
);
CREATE INDEX password_tokens_user_idx ON password_tokens (user_id, created_at DESC);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['mail_messages', 'mail_preferences', 'password_tokens'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY %I ON %I USING (org_id = roadwork_current_org()) WITH CHECK (org_id = roadwork_current_org())',
                       t || '_tenant', t);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO roadwork_app', t);
    END LOOP;
END
$$;

-- Events that owe mail are marked once their mail is queued. Only those types enter the index, so filing a report (whose
-- event owes no mail) does not pay for it.
ALTER TABLE outbox_events ADD COLUMN mailed_at timestamptz;
UPDATE outbox_events SET mailed_at = now() WHERE type IN ('content.published', 'review.opened', 'review.signed', 'review.applied');
CREATE INDEX outbox_events_unmailed_idx ON outbox_events (seq)
    WHERE mailed_at IS NULL AND type IN ('content.published', 'review.opened', 'review.signed', 'review.applied');

-- Queues the mail owed for up to p_limit events (across organizations: the worker serves them all): shipped content to
-- each rep who reported its wall, joint reviews to heads and marketers. Events older than three days (a server that ran
-- without SMTP for a while) are marked without mail rather than sent late.
CREATE FUNCTION roadwork_queue_event_mail(p_limit integer) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
DECLARE
    v_count integer;
BEGIN
    WITH batch AS (
        SELECT id, org_id, type, object_id, occurred_at FROM outbox_events
        WHERE mailed_at IS NULL AND type IN ('content.published', 'review.opened', 'review.signed', 'review.applied')
        ORDER BY seq LIMIT p_limit FOR UPDATE SKIP LOCKED
    ), recipients AS (
        SELECT DISTINCT b.id AS event_id, b.org_id, b.object_id, 'content_shipped' AS kind, u.id AS user_id, u.email
        FROM batch b
        JOIN content_items c ON c.org_id = b.org_id AND c.id = b.object_id
        JOIN field_reports r ON r.org_id = b.org_id AND r.counted_objection_id = c.objection_id
        JOIN users u ON u.org_id = b.org_id AND u.id = r.reporter_id AND u.role = 'rep'
        WHERE b.type = 'content.published'
        UNION ALL
        SELECT b.id, b.org_id, b.object_id, 'review', u.id, u.email
        FROM batch b
        JOIN users u ON u.org_id = b.org_id AND u.role IN ('sales_head', 'marketing_head', 'marketer')
        WHERE b.type LIKE 'review.%'
    ), queued AS (
        INSERT INTO mail_messages (org_id, user_id, kind, dedupe_key, event_id, object_id, to_address)
        SELECT r.org_id, r.user_id, r.kind, 'event:' || r.event_id, r.event_id, r.object_id, r.email
        FROM recipients r JOIN batch b ON b.id = r.event_id JOIN users u ON u.id = r.user_id
        WHERE b.occurred_at > now() - interval '3 days' AND u.active AND u.kind = 'person'
          AND NOT EXISTS (SELECT FROM mail_preferences p WHERE p.user_id = r.user_id AND p.kind = r.kind AND NOT p.subscribed)
        ON CONFLICT (org_id, user_id, kind, dedupe_key) DO NOTHING
    )
    UPDATE outbox_events o SET mailed_at = now() FROM batch b WHERE o.id = b.id;
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END
$$;

-- Queues the weekly digest `p_key` (the Monday it is for) for every active head and marketer who has not opted out
-- and existed before p_since; returns how many were queued. Running it again queues nobody twice.
CREATE FUNCTION roadwork_queue_digests(p_key text, p_since timestamptz) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
DECLARE
    v_count integer;
BEGIN
    INSERT INTO mail_messages (org_id, user_id, kind, dedupe_key, to_address)
    SELECT u.org_id, u.id, 'digest', 'digest:' || p_key, u.email FROM users u
    WHERE u.active AND u.kind = 'person' AND u.role IN ('sales_head', 'marketing_head', 'marketer') AND u.created_at < p_since
      AND NOT EXISTS (SELECT FROM mail_preferences p WHERE p.user_id = u.id AND p.kind = 'digest' AND NOT p.subscribed)
    ON CONFLICT (org_id, user_id, kind, dedupe_key) DO NOTHING;
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END
$$;

-- Leases up to p_limit mails that are due, oldest first; a worker that dies while sending leaves them to another once
-- the lease ends. Each claim counts as an attempt.
CREATE FUNCTION roadwork_claim_mail(p_limit integer, p_lease_seconds integer)
    RETURNS TABLE (id uuid, org_id uuid, user_id uuid, kind text, event_id uuid, event_type text, object_id uuid, secret text,
                   link_token text, to_address text, user_name text, attempts integer, created_at timestamptz)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
BEGIN
    RETURN QUERY
    WITH due AS (
        SELECT m.id FROM mail_messages m
        WHERE m.state = 'pending' AND m.next_attempt_at <= now() AND (m.leased_until IS NULL OR m.leased_until < now())
        ORDER BY m.next_attempt_at LIMIT p_limit FOR UPDATE SKIP LOCKED
    ), leased AS (
        UPDATE mail_messages m SET leased_until = now() + make_interval(secs => p_lease_seconds), attempts = m.attempts + 1
        FROM due WHERE m.id = due.id
        RETURNING m.id, m.org_id, m.user_id, m.kind, m.event_id, m.object_id, m.secret, m.link_token, m.to_address, m.attempts,
                  m.created_at
    )
    SELECT l.id, l.org_id, l.user_id, l.kind, l.event_id, v.type, l.object_id, l.secret, l.link_token, l.to_address, u.name,
           l.attempts, l.created_at
    FROM leased l JOIN users u ON u.id = l.user_id LEFT JOIN outbox_events v ON v.id = l.event_id
    ORDER BY l.created_at;
END
$$;

-- Records a sent mail; the reset or invitation token it carried is forgotten.
CREATE FUNCTION roadwork_mail_sent(p_id uuid, p_subject text) RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
    UPDATE mail_messages SET state = 'sent', sent_at = now(), subject = p_subject, secret = NULL, leased_until = NULL,
        last_error = NULL
    WHERE id = p_id
$$;

-- Records a failed attempt: tries again after p_base seconds doubling up to p_max, and gives up after p_give_up_hours.
CREATE FUNCTION roadwork_mail_failed(p_id uuid, p_error text, p_base double precision, p_max double precision,
                                     p_give_up_hours double precision) RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
    UPDATE mail_messages SET leased_until = NULL, last_error = left(p_error, 500),
        next_attempt_at = now() + make_interval(secs => least(p_max, p_base * power(2, greatest(attempts - 1, 0)))),
        state = CASE WHEN created_at < now() - make_interval(secs => p_give_up_hours * 3600) THEN 'failed' ELSE 'pending' END,
        secret = CASE WHEN created_at < now() - make_interval(secs => p_give_up_hours * 3600) THEN NULL ELSE secret END
    WHERE id = p_id
$$;

-- Finds the mail a link in it points back to (the visitor is not signed in, so the organization is not known yet).
CREATE FUNCTION roadwork_mail_link(p_token text)
    RETURNS TABLE (id uuid, org_id uuid, user_id uuid, kind text, object_id uuid, created_at timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
    SELECT m.id, m.org_id, m.user_id, m.kind, m.object_id, m.created_at FROM mail_messages m
    JOIN users u ON u.id = m.user_id AND u.active
    WHERE m.link_token = p_token
$$;

-- Asks for a password reset: for an active person with this email, makes a one-hour token and queues its mail; for
-- anyone else does nothing. At most five resets per person per hour. The caller answers the same either way.
CREATE FUNCTION roadwork_request_password_reset(p_email text, p_token text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
DECLARE
    v_user users%ROWTYPE;
    v_token uuid;
BEGIN
    SELECT * INTO v_user FROM users WHERE email = lower(btrim(p_email)) AND active AND kind = 'person';
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF (SELECT count(*) FROM password_tokens WHERE user_id = v_user.id AND created_at > now() - interval '1 hour') >= 5 THEN
        RETURN;
    END IF;
    INSERT INTO password_tokens (org_id, user_id, purpose, token_hash, expires_at)
    VALUES (v_user.org_id, v_user.id, 'reset', sha256(convert_to(p_token, 'UTF8')), now() + interval '1 hour')
    RETURNING id INTO v_token;
    INSERT INTO mail_messages (org_id, user_id, kind, dedupe_key, object_id, secret, to_address)
    VALUES (v_user.org_id, v_user.id, 'password_reset', 'token:' || v_token, v_token, p_token, v_user.email);
END
$$;

-- Finds the person a reset or invitation link is for, while it is unused and unexpired.
CREATE FUNCTION roadwork_password_token(p_token text)
    RETURNS TABLE (token_id uuid, org_id uuid, user_id uuid, purpose text, email text, name text)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
    SELECT t.id, t.org_id, t.user_id, t.purpose, u.email, u.name FROM password_tokens t JOIN users u ON u.id = t.user_id
    WHERE t.token_hash = sha256(convert_to(p_token, 'UTF8')) AND t.used_at IS NULL AND t.expires_at > now() AND u.active
$$;

-- Mail left to send, across organizations (for /metrics and the tests).
CREATE FUNCTION roadwork_mail_backlog() RETURNS TABLE (unqueued bigint, pending bigint)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
    SELECT (SELECT count(*) FROM outbox_events
            WHERE mailed_at IS NULL AND type IN ('content.published', 'review.opened', 'review.signed', 'review.applied')),
           (SELECT count(*) FROM mail_messages WHERE state = 'pending')
$$;

REVOKE ALL ON FUNCTION roadwork_queue_event_mail(integer), roadwork_queue_digests(text, timestamptz),
    roadwork_claim_mail(integer, integer), roadwork_mail_sent(uuid, text),
    roadwork_mail_failed(uuid, text, double precision, double precision, double precision), roadwork_mail_link(text),
    roadwork_request_password_reset(text, text), roadwork_password_token(text), roadwork_mail_backlog() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION roadwork_queue_event_mail(integer), roadwork_queue_digests(text, timestamptz),
    roadwork_claim_mail(integer, integer), roadwork_mail_sent(uuid, text),
    roadwork_mail_failed(uuid, text, double precision, double precision, double precision), roadwork_mail_link(text),
    roadwork_request_password_reset(text, text), roadwork_password_token(text), roadwork_mail_backlog() TO roadwork_app;
