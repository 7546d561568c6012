-- Read paths the benchmarks showed slow: objections under an obstacle, trigram search latency, pull next.

-- The home page lists each obstacle's newest objections straight from an index.
DROP INDEX objections_obstacle_idx;
CREATE INDEX objections_obstacle_idx ON objections (org_id, obstacle_id, created_at DESC, id) WHERE obstacle_id IS NOT NULL;

-- Searches read the trigram index directly instead of a pending list that grows between vacuums.
ALTER INDEX objections_statement_trgm_idx SET (fastupdate = off);

-- The objection's active bite, kept by a trigger, so pull next never visits objections that already have one.
ALTER TABLE objections ADD COLUMN active_content_id uuid;
UPDATE objections o SET active_content_id = c.id
FROM content_items c WHERE c.objection_id = o.id AND c.status IN ('todo', 'in_progress', 'in_review');
CREATE INDEX objections_pullable_idx ON objections (org_id, rank_key DESC, last_reported_on DESC, id)
    WHERE status = 'open' AND rank_key IS NOT NULL AND active_content_id IS NULL;

CREATE FUNCTION roadwork_track_active_content() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE objections SET active_content_id = (
            SELECT id FROM content_items WHERE objection_id = OLD.objection_id AND status IN ('todo', 'in_progress', 'in_review') LIMIT 1)
        WHERE id = OLD.objection_id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        UPDATE objections SET active_content_id = (
            SELECT id FROM content_items WHERE objection_id = NEW.objection_id AND status IN ('todo', 'in_progress', 'in_review') LIMIT 1)
        WHERE id = NEW.objection_id;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER content_items_track_active AFTER INSERT OR DELETE OR UPDATE OF status, objection_id ON content_items
    FOR EACH ROW EXECUTE FUNCTION roadwork_track_active_content();
