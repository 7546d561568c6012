-- Won and lost by wall looks up, for each account that reported a wall, the stage of its latest report that closed the
-- deal. Without an index that is a scan of the account's reports per account (a second for a wall of 5,000 accounts at a
-- million reports); only reports at a closed stage are indexed.
CREATE INDEX field_reports_closed_stage_idx ON field_reports (org_id, account_key, occurred_on DESC, created_at DESC)
    WHERE stage IN ('closed_won', 'closed_lost');
