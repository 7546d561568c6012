-- Row-level security keeps non-leakproof operators such as pg_trgm's `%` away from indexes, so under the server role
-- the similar-objections search read every objection of the organization (63 ms alone, 680 ms at 32 clients).
-- This function runs as the owner, where the trigram index is usable, and filters by the transaction's organization
-- itself: it sees exactly the rows the policy would let through, and none when no organization is set.
CREATE FUNCTION roadwork_similar_objections(p_text text, p_limit integer)
    RETURNS TABLE (id uuid, score double precision)
    -- PL/pgSQL keeps the query's plan between calls (a SQL function plans it on every call); ROWS 5 lets callers join
    -- back to objections by primary key rather than hashing all of them.
    LANGUAGE plpgsql STABLE SECURITY DEFINER ROWS 5 SET search_path = public, pg_temp
    AS $$
BEGIN
    RETURN QUERY
    SELECT o.id, greatest(similarity(o.statement, p_text), word_similarity(o.statement, p_text))::double precision AS score
    FROM objections o
    WHERE o.org_id = roadwork_current_org() AND o.status = 'open' AND o.statement % p_text
    ORDER BY score DESC, o.report_count DESC, o.id
    LIMIT p_limit;
END
$$;

REVOKE ALL ON FUNCTION roadwork_similar_objections(text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION roadwork_similar_objections(text, integer) TO roadwork_app;
