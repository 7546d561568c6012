-- Live joint reviews: every change to a review (opened, lineup or notes edited, signed, applied) is announced on the
-- channel roadwork_review when its transaction commits, as "<org id> <review id>". Each server process listens and tells
-- the review pages it has open, so both heads see an edit within a second, whichever process either of them reached.
CREATE FUNCTION roadwork_review_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- A sign-off names its review; a review is its own.
    PERFORM pg_notify('roadwork_review', NEW.org_id::text || ' ' || coalesce(to_jsonb(NEW)->>'review_id', to_jsonb(NEW)->>'id'));
    RETURN NULL;
END
$$;
CREATE TRIGGER joint_reviews_announce AFTER INSERT OR UPDATE ON joint_reviews FOR EACH ROW EXECUTE FUNCTION roadwork_review_changed();
CREATE TRIGGER review_signoffs_announce AFTER INSERT ON review_signoffs FOR EACH ROW EXECUTE FUNCTION roadwork_review_changed();
