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
CREATE TRIGGER objection_terms_added_match AFTER INSERT ON objection_terms
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION roadwork_match_changed();
CREATE TRIGGER objection_terms_changed_match AFTER UPDATE ON objection_terms
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION roadwork_match_changed();
CREATE TRIGGER objection_terms_removed_match AFTER DELETE ON objection_terms
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION roadwork_match_changed();
CREATE TRIGGER synonym_terms_added_match AFTER INSERT ON synonym_terms
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION roadwork_match_changed();
CREATE TRIGGER synonym_terms_changed_match AFTER UPDATE ON synonym_terms
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION roadwork_match_changed();
CREATE TRIGGER synonym_terms_removed_match AFTER DELETE ON synonym_terms
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION roadwork_match_changed();
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
