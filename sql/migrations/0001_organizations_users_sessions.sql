-- Foundation: organizations, users, sessions, sign-in throttling, and row-level security per organization.

-- The server signs in as (a member of) roadwork_app: not the table owner, no BYPASSRLS.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'roadwork_app') THEN
        CREATE ROLE roadwork_app NOLOGIN NOBYPASSRLS;
    END IF;
END
$$;

GRANT USAGE ON SCHEMA public TO roadwork_app;

-- The organization of the current transaction, set by the server with set_config('roadwork.org_id', …, true).
CREATE FUNCTION roadwork_current_org() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT nullif(current_setting('roadwork.org_id', true), '')::uuid $$;

CREATE TABLE organizations (
    id uuid PRIMARY KEY,
    name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    half_life_days double precision NOT NULL DEFAULT 30 CHECK (half_life_days > 0 AND half_life_days <= 3650),
    reference_deal_size double precision NOT NULL DEFAULT 10000 CHECK (reference_deal_size > 0),
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX organizations_name_key ON organizations (lower(name));

CREATE TABLE users (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id uuid NOT NULL REFERENCES organizations (id),
    email text NOT NULL CHECK (email = lower(btrim(email)) AND email LIKE '%_@_%'),
    name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    role text NOT NULL CHECK (role IN ('admin', 'sales_head', 'marketing_head', 'marketer', 'rep')),
    password_hash text NOT NULL,
    active boolean NOT NULL DEFAULT true,
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, id)
);
-- Sign-in is by email alone, so an email belongs to one user across all organizations.
CREATE UNIQUE INDEX users_email_key ON users (email);
CREATE INDEX users_org_name_idx ON users (org_id, name, id);

CREATE TABLE sessions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id uuid NOT NULL,
    user_id uuid NOT NULL,
    -- Only the SHA-256 of the token is kept: a database leak does not leak sessions.
    token_hash bytea NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz,
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id)
);
CREATE INDEX sessions_user_idx ON sessions (org_id, user_id) WHERE revoked_at IS NULL;

-- Failed sign-ins per email; not tenant data (the email may be unknown) and closed to roadwork_app,
-- reached only through the functions below.
CREATE TABLE signin_failures (
    email text PRIMARY KEY,
    failures integer NOT NULL,
    window_started_at timestamptz NOT NULL
);

ALTER TABLE organizations ENABLE ROW LEVEL SECURITY;
CREATE POLICY organizations_tenant ON organizations
    USING (id = roadwork_current_org()) WITH CHECK (id = roadwork_current_org());
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
CREATE POLICY users_tenant ON users
    USING (org_id = roadwork_current_org()) WITH CHECK (org_id = roadwork_current_org());
ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;
CREATE POLICY sessions_tenant ON sessions
    USING (org_id = roadwork_current_org()) WITH CHECK (org_id = roadwork_current_org());

GRANT SELECT, INSERT, UPDATE ON organizations, users, sessions TO roadwork_app;

-- Resolves a bearer token before any organization is known; sets the organization for the rest of the transaction.
CREATE FUNCTION roadwork_authenticate(token text)
    RETURNS TABLE (session_id uuid, user_id uuid, org_id uuid, email text, name text, role text, org_name text)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
BEGIN
    RETURN QUERY
        SELECT s.id, u.id, u.org_id, u.email, u.name, u.role, o.name
        FROM sessions s
        JOIN users u ON u.id = s.user_id
        JOIN organizations o ON o.id = u.org_id
        WHERE s.token_hash = sha256(convert_to(token, 'UTF8'))
          AND s.revoked_at IS NULL AND s.expires_at > now() AND u.active;
    IF FOUND THEN
        -- Scope the remainder of this transaction to the token's organization.
        PERFORM set_config('roadwork.org_id', (SELECT u.org_id::text FROM sessions s JOIN users u ON u.id = s.user_id
                                                WHERE s.token_hash = sha256(convert_to(token, 'UTF8'))), true);
    END IF;
END
$$;

-- The account behind an email, for checking a password before any organization is known.
CREATE FUNCTION roadwork_signin_account(p_email text)
    RETURNS TABLE (user_id uuid, org_id uuid, password_hash text, active boolean)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$ SELECT id, org_id, password_hash, active FROM users WHERE email = lower(btrim(p_email)) $$;

-- Seconds until this email may try again (0 = now).
CREATE FUNCTION roadwork_signin_wait_seconds(p_email text, p_max_failures integer, p_window_seconds integer)
    RETURNS integer
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
    SELECT coalesce((
        SELECT greatest(0, ceil(extract(epoch FROM window_started_at + make_interval(secs => p_window_seconds) - now())))::integer
        FROM signin_failures
        WHERE email = lower(btrim(p_email)) AND failures >= p_max_failures
    ), 0)
    $$;

-- Counts one failed sign-in in the current window (a new window starts once the old one has passed).
CREATE FUNCTION roadwork_signin_failed(p_email text, p_window_seconds integer)
    RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
    INSERT INTO signin_failures AS f (email, failures, window_started_at)
    VALUES (lower(btrim(p_email)), 1, now())
    ON CONFLICT (email) DO UPDATE SET
        failures = CASE WHEN f.window_started_at + make_interval(secs => p_window_seconds) < now() THEN 1 ELSE f.failures + 1 END,
        window_started_at = CASE WHEN f.window_started_at + make_interval(secs => p_window_seconds) < now() THEN now() ELSE f.window_started_at END
    $$;

-- A successful sign-in clears the email's failures.
CREATE FUNCTION roadwork_signin_succeeded(p_email text)
    RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp
    AS $$ DELETE FROM signin_failures WHERE email = lower(btrim(p_email)) $$;

-- Finds an organization by id or name for the command line, before any organization is set.
CREATE FUNCTION roadwork_find_organization(p_key text)
    RETURNS TABLE (id uuid, name text)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$ SELECT id, name FROM organizations WHERE id::text = lower(p_key) OR lower(name) = lower(btrim(p_key)) $$;

REVOKE ALL ON FUNCTION roadwork_authenticate(text), roadwork_signin_account(text),
    roadwork_signin_wait_seconds(text, integer, integer), roadwork_signin_failed(text, integer),
    roadwork_signin_succeeded(text), roadwork_find_organization(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION roadwork_authenticate(text), roadwork_signin_account(text),
    roadwork_signin_wait_seconds(text, integer, integer), roadwork_signin_failed(text, integer),
    roadwork_signin_succeeded(text), roadwork_find_organization(text) TO roadwork_app;
