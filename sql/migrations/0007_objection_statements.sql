-- Every report rewrites its objection's row (counts, score), and each new row version also went into the trigram index on
-- the statement: about half the cost of that update. Statements, which rarely change, now have a table and index of their own.
CREATE TABLE objection_statements (
    objection_id uuid PRIMARY KEY,
    org_id uuid NOT NULL,
    statement text NOT NULL,
    FOREIGN KEY (org_id, objection_id) REFERENCES objections (org_id, id) ON DELETE CASCADE
);
CREATE INDEX objection_statements_trgm_idx ON objection_statements USING gin (statement gin_trgm_ops) WITH (fastupdate = off);

ALTER TABLE objection_statements ENABLE ROW LEVEL SECURITY;
CREATE POLICY objection_statements_tenant ON objection_statements
    USING (org_id = roadwork_current_org()) WITH CHECK (org_id = roadwork_current_org());
GRANT SELECT, INSERT, UPDATE ON objection_statements TO roadwork_app;

-- Keeps the copy equal to the objection's statement.
CREATE FUNCTION roadwork_copy_statement() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO objection_statements (objection_id, org_id, statement) VALUES (NEW.id, NEW.org_id, NEW.statement)
    ON CONFLICT (objection_id) DO UPDATE SET statement = EXCLUDED.statement;
    RETURN NULL;
END
$$;

CREATE TRIGGER objections_statement_added AFTER INSERT ON objections
    FOR EACH ROW EXECUTE FUNCTION roadwork_copy_statement();
CREATE TRIGGER objections_statement_changed AFTER UPDATE OF statement ON objections
    FOR EACH ROW WHEN (OLD.statement IS DISTINCT FROM NEW.statement) EXECUTE FUNCTION roadwork_copy_statement();

INSERT INTO objection_statements (objection_id, org_id, statement) SELECT id, org_id, statement FROM objections;
DROP INDEX objections_statement_trgm_idx;

-- The same search (and kept plan, migration 0006) over the copies; it now returns the objections' columns too, so callers
-- need not join back to objections for them.
DROP FUNCTION roadwork_similar_objections(text, integer);
CREATE FUNCTION roadwork_similar_objections(p_text text, p_limit integer)
    RETURNS TABLE (id uuid, statement text, obstacle_id uuid, status text, merged_into_id uuid, report_count integer,
                   version integer, created_at timestamptz, updated_at timestamptz, score double precision)
    LANGUAGE plpgsql STABLE SECURITY DEFINER ROWS 5 SET search_path = public, pg_temp SET plan_cache_mode = force_generic_plan
    AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    SELECT o.id, o.statement, o.obstacle_id, o.status, o.merged_into_id, o.report_count, o.version, o.created_at, o.updated_at,
           greatest(similarity(s.statement, p_text), word_similarity(s.statement, p_text))::double precision AS score
    FROM objection_statements s JOIN objections o ON o.id = s.objection_id
    WHERE s.org_id = roadwork_current_org() AND o.status = 'open' AND s.statement % p_text
    ORDER BY score DESC, o.report_count DESC, o.id
    LIMIT p_limit;
END
$$;

REVOKE ALL ON FUNCTION roadwork_similar_objections(text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION roadwork_similar_objections(text, integer) TO roadwork_app;
