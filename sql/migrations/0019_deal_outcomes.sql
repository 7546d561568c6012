-- How a reported deal ended, recorded by a rep in one step (or read from a report filed at a closed stage): what
-- "won and lost by wall" counts. One row per account of an organization; recording again replaces it.
CREATE TABLE deal_outcomes (
    org_id uuid NOT NULL REFERENCES organizations (id),
    account_key text NOT NULL,
    account text NOT NULL CHECK (length(btrim(account)) BETWEEN 1 AND 200),
    outcome text NOT NULL CHECK (outcome IN ('closed_won', 'closed_lost')),
    amount numeric CHECK (amount >= 0),
    recorded_by uuid NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1,
    PRIMARY KEY (org_id, account_key),
    FOREIGN KEY (org_id, recorded_by) REFERENCES users (org_id, id)
);
ALTER TABLE deal_outcomes ENABLE ROW LEVEL SECURITY;
CREATE POLICY deal_outcomes_tenant ON deal_outcomes USING (org_id = roadwork_current_org()) WITH CHECK (org_id = roadwork_current_org());
GRANT SELECT, INSERT, UPDATE ON deal_outcomes TO roadwork_app;

-- A rep's deals: their reports by account, for the home page's "your deals".
CREATE INDEX field_reports_reporter_account_idx ON field_reports (org_id, reporter_id, account_key);
-- A deal's reports by account, newest first: its latest closed stage when no outcome was recorded.
CREATE INDEX field_reports_account_idx ON field_reports (org_id, account_key, occurred_on DESC);
