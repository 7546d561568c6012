-- Opportunities are won by teaching buyers something too: a bite addresses either an objection or an opportunity.
ALTER TABLE content_items ALTER COLUMN objection_id DROP NOT NULL;
ALTER TABLE content_items ADD COLUMN opportunity_id uuid;
ALTER TABLE content_items ADD CONSTRAINT content_items_one_target CHECK ((objection_id IS NULL) <> (opportunity_id IS NULL));
ALTER TABLE content_items ADD CONSTRAINT content_items_opportunity_fkey
    FOREIGN KEY (org_id, opportunity_id) REFERENCES focus_items (org_id, id);
-- One bite at a time for an opportunity, as for an objection.
CREATE UNIQUE INDEX content_items_one_active_opportunity ON content_items (opportunity_id)
    WHERE status IN ('todo', 'in_progress', 'in_review');
CREATE INDEX content_items_opportunity_idx ON content_items (opportunity_id, status, updated_at DESC) WHERE opportunity_id IS NOT NULL;

-- obstacle_progress now keeps the counts of every Top 5 item: an obstacle's through its objections, an opportunity's
-- from the bites that address it directly.
COMMENT ON TABLE obstacle_progress IS 'Bites (not retired) and published bites per focus item: an obstacle''s objections'' bites, an opportunity''s own.';

CREATE OR REPLACE FUNCTION roadwork_content_progress() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    v_item uuid;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status <> 'retired' THEN
        v_item := OLD.opportunity_id;
        IF v_item IS NULL THEN
            SELECT obstacle_id INTO v_item FROM objections WHERE id = OLD.objection_id FOR SHARE;
        END IF;
        IF v_item IS NOT NULL THEN
            PERFORM roadwork_add_progress(OLD.org_id, v_item, -1, CASE WHEN OLD.status = 'published' THEN -1 ELSE 0 END);
        END IF;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.status <> 'retired' THEN
        v_item := NEW.opportunity_id;
        IF v_item IS NULL THEN
            SELECT obstacle_id INTO v_item FROM objections WHERE id = NEW.objection_id FOR SHARE;
        END IF;
        IF v_item IS NOT NULL THEN
            PERFORM roadwork_add_progress(NEW.org_id, v_item, 1, CASE WHEN NEW.status = 'published' THEN 1 ELSE 0 END);
        END IF;
    END IF;
    RETURN NULL;
END
$$;
