-- roadwork_add_progress inserted first and fell back to an update on conflict; PostgreSQL checks CHECK constraints on
-- the row proposed for insertion before it looks for a conflict, so every decrement (-1 bites) was refused and a bite
-- could not leave a counted status nor an objection leave its obstacle. Update first; insert only a row that is new.
CREATE OR REPLACE FUNCTION roadwork_add_progress(p_org uuid, p_obstacle uuid, p_bites integer, p_published integer) RETURNS void
    LANGUAGE plpgsql AS $$
BEGIN
    UPDATE obstacle_progress SET bites = bites + p_bites, published = published + p_published WHERE obstacle_id = p_obstacle;
    IF NOT FOUND THEN
        INSERT INTO obstacle_progress AS p (org_id, obstacle_id, bites, published) VALUES (p_org, p_obstacle, p_bites, p_published)
        ON CONFLICT (obstacle_id) DO UPDATE SET bites = p.bites + EXCLUDED.bites, published = p.published + EXCLUDED.published;
    END IF;
END
$$;
