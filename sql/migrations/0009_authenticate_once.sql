-- Authentication looked the session up twice: once for the answer, once more for the organization it scopes the
-- transaction to. Every API request pays for it, and filing now relies on that scope (it authenticates in its own
-- transaction), so the second lookup reuses the first's row.
CREATE OR REPLACE FUNCTION roadwork_authenticate(token text)
    RETURNS TABLE (session_id uuid, user_id uuid, org_id uuid, email text, name text, role text, org_name text)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
DECLARE
    found_session record;
BEGIN
    SELECT s.id AS session_id, u.id AS user_id, u.org_id AS org_id, u.email AS email, u.name AS name, u.role AS role,
           o.name AS org_name
    INTO found_session
    FROM sessions s
    JOIN users u ON u.id = s.user_id
    JOIN organizations o ON o.id = u.org_id
    WHERE s.token_hash = sha256(convert_to(token, 'UTF8'))
      AND s.revoked_at IS NULL AND s.expires_at > now() AND u.active;
    IF FOUND THEN
        -- Scope the remainder of this transaction to the token's organization.
        PERFORM set_config('roadwork.org_id', found_session.org_id::text, true);
        session_id := found_session.session_id;
        user_id := found_session.user_id;
        org_id := found_session.org_id;
        email := found_session.email;
        name := found_session.name;
        role := found_session.role;
        org_name := found_session.org_name;
        RETURN NEXT;
    END IF;
END
$$;
