-- "Where you're signed in": each session keeps the address and browser it was opened from, so a person can tell their
-- sessions apart before ending them.
ALTER TABLE sessions ADD COLUMN address text, ADD COLUMN user_agent text;

-- Asking for a password reset is a change (a link now exists that can set the password): it is audited like every
-- other change, in the function's own statement. Unknown emails still change nothing and record nothing.
CREATE OR REPLACE FUNCTION roadwork_request_password_reset(p_email text, p_token text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
DECLARE
    v_user users%ROWTYPE;
    v_token uuid;
    v_event uuid;
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
    INSERT INTO outbox_events (org_id, type, object_type, object_id, actor_id, data)
    VALUES (v_user.org_id, 'user.password_reset_requested', 'user', v_user.id, NULL,
            jsonb_build_object('object', jsonb_build_object('user_id', v_user.id), 'previous', 'null'::jsonb))
    RETURNING id INTO v_event;
    INSERT INTO audit_events (org_id, actor_id, action, object_type, object_id, before, after, event_id)
    VALUES (v_user.org_id, NULL, 'user.password_reset_requested', 'user', v_user.id, NULL, jsonb_build_object('user_id', v_user.id), v_event);
END
$$;
