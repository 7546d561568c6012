-- Suggestions computed once may be kept (the triage inbox keeps each report's) only while nothing the search reads has
-- changed. Each organization's match generation moves, in the changing transaction, with every change to what the search
-- reads: the words objections say and were taught (objection_terms, and with them the vocabulary's counts), the synonym
-- vocabulary, and which objections are open. Filing a report changes none of these (its teaching is queued).
ALTER TABLE search_totals ADD COLUMN generation bigint NOT NULL DEFAULT 0;

CREATE FUNCTION roadwork_match_changed() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    INSERT INTO search_totals AS t (org_id, generation) SELECT DISTINCT org_id, 1 FROM changed
    ON CONFLICT (org_id) DO UPDATE SET generation = t.generation + 1;
    RETURN NULL;
END
$$;

-- Once per statement, whatever the number of rows (a teaching round writes hundreds).
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['objection_terms', 'synonym_terms'] LOOP
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS changed FOR EACH STATEMENT '
                       'EXECUTE FUNCTION roadwork_match_changed()', t || '_added_match', t);
        EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I REFERENCING NEW TABLE AS changed FOR EACH STATEMENT '
                       'EXECUTE FUNCTION roadwork_match_changed()', t || '_changed_match', t);
        EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS changed FOR EACH STATEMENT '
                       'EXECUTE FUNCTION roadwork_match_changed()', t || '_removed_match', t);
    END LOOP;
END
$$;

-- Only open objections are suggested: dismissing one, merging it or opening it again changes the answers. (A trigger
-- with a column list cannot have a transition table, and these changes come one objection at a time.)
CREATE FUNCTION roadwork_objection_status_changed() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    INSERT INTO search_totals AS t (org_id, generation) VALUES (NEW.org_id, 1)
    ON CONFLICT (org_id) DO UPDATE SET generation = t.generation + 1;
    RETURN NULL;
END
$$;
CREATE TRIGGER objections_status_match AFTER UPDATE OF status ON objections
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION roadwork_objection_status_changed();
