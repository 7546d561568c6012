-- The joint review's agenda is built from the data each time it is shown; what the heads say about a line is kept,
-- keyed by the line ("mover:<objection id>", "uncovered:<objection id>", "stalled:<focus item id>", …).
CREATE TABLE review_agenda_notes (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id uuid NOT NULL REFERENCES organizations (id),
    review_id uuid NOT NULL,
    line text NOT NULL CHECK (length(line) BETWEEN 1 AND 100),
    author_id uuid NOT NULL,
    body text NOT NULL CHECK (length(btrim(body)) BETWEEN 1 AND 2000),
    created_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (org_id, review_id) REFERENCES joint_reviews (org_id, id),
    FOREIGN KEY (org_id, author_id) REFERENCES users (org_id, id)
);
CREATE INDEX review_agenda_notes_review_idx ON review_agenda_notes (review_id, created_at);
ALTER TABLE review_agenda_notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY review_agenda_notes_tenant ON review_agenda_notes USING (org_id = roadwork_current_org()) WITH CHECK (org_id = roadwork_current_org());
GRANT SELECT, INSERT ON review_agenda_notes TO roadwork_app;
