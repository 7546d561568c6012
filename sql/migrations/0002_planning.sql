-- The planning domain: Top 5 focus items, joint reviews, objections, field reports, content, feedback,
-- notifications, audit events, and the per-objection aggregates the backlog reads.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE focus_items (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id uuid NOT NULL REFERENCES organizations (id),
    kind text NOT NULL CHECK (kind IN ('opportunity', 'obstacle')),
    title text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 300),
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 4000),
    status text NOT NULL DEFAULT 'candidate' CHECK (status IN ('candidate', 'top5', 'retired')),
    rank integer CHECK (rank BETWEEN 1 AND 5),
    version integer NOT NULL DEFAULT 1,
    created_by uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    -- A Top 5 item has a rank and nothing else does.
    CHECK ((status = 'top5') = (rank IS NOT NULL)),
    UNIQUE (org_id, id),
    UNIQUE (org_id, id, kind),
    -- Ranks 1–5 are distinct per organization and kind, so there are at most five; checked at commit
    -- so a lineup can be reshuffled inside one transaction.
    CONSTRAINT focus_items_rank_key UNIQUE (org_id, kind, rank) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, created_by) REFERENCES users (org_id, id)
);
CREATE INDEX focus_items_org_kind_idx ON focus_items (org_id, kind, status, title, id);

CREATE TABLE joint_reviews (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id uuid NOT NULL REFERENCES organizations (id),
    status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    lineup_version integer NOT NULL DEFAULT 1,
    opportunities uuid[] NOT NULL DEFAULT '{}' CHECK (cardinality(opportunities) <= 5),
    obstacles uuid[] NOT NULL DEFAULT '{}' CHECK (cardinality(obstacles) <= 5),
    notes text NOT NULL DEFAULT '' CHECK (length(notes) <= 10000),
    -- What was applied at close: titles, ranks before and after, and the top of the backlog then.
    snapshot jsonb,
    opened_by uuid NOT NULL,
    opened_at timestamptz NOT NULL DEFAULT now(),
    closed_at timestamptz,
    version integer NOT NULL DEFAULT 1,
    CHECK ((status = 'closed') = (closed_at IS NOT NULL)),
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, opened_by) REFERENCES users (org_id, id)
);
-- At most one open review per organization.
CREATE UNIQUE INDEX joint_reviews_one_open ON joint_reviews (org_id) WHERE status = 'open';
CREATE INDEX joint_reviews_history_idx ON joint_reviews (org_id, opened_at DESC, id);

CREATE TABLE review_signoffs (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id uuid NOT NULL,
    review_id uuid NOT NULL,
    user_id uuid NOT NULL,
    role text NOT NULL CHECK (role IN ('sales_head', 'marketing_head')),
    lineup_version integer NOT NULL,
    signed_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (review_id, user_id, lineup_version),
    FOREIGN KEY (org_id, review_id) REFERENCES joint_reviews (org_id, id),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id)
);

CREATE TABLE objections (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id uuid NOT NULL REFERENCES organizations (id),
    statement text NOT NULL CHECK (length(btrim(statement)) BETWEEN 1 AND 300),
    obstacle_id uuid,
    -- Lets the foreign key below insist that the linked focus item is an obstacle.
    obstacle_kind text NOT NULL GENERATED ALWAYS AS ('obstacle') STORED,
    status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'dismissed', 'merged')),
    merged_into_id uuid,
    created_by uuid NOT NULL,
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    -- Every report about it, merged ones included, whatever was published since.
    report_count integer NOT NULL DEFAULT 0,
    -- Backlog aggregates, kept up to date in the transaction of every write that moves them.
    counted_since date,
    accounts integer NOT NULL DEFAULT 0,
    reps integer NOT NULL DEFAULT 0,
    reports integer NOT NULL DEFAULT 0,
    value_at_stake numeric NOT NULL DEFAULT 0,
    last_reported_on date,
    -- log2 of Σ_a 2^(t_a/H)·v_a over counted accounts; NULL when nothing counts.
    demand_log2 double precision,
    strategic double precision NOT NULL DEFAULT 1,
    coverage double precision NOT NULL DEFAULT 1,
    helpful integer NOT NULL DEFAULT 0,
    feedback integer NOT NULL DEFAULT 0,
    -- Orders the backlog without the clock: log2(score) + now/H.
    rank_key double precision GENERATED ALWAYS AS (demand_log2 + ln(strategic * coverage) / ln(2.0)) STORED,
    CHECK ((status = 'merged') = (merged_into_id IS NOT NULL)),
    CHECK (merged_into_id IS DISTINCT FROM id),
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, obstacle_id, obstacle_kind) REFERENCES focus_items (org_id, id, kind),
    FOREIGN KEY (org_id, merged_into_id) REFERENCES objections (org_id, id),
    FOREIGN KEY (org_id, created_by) REFERENCES users (org_id, id)
);
CREATE INDEX objections_backlog_idx ON objections (org_id, rank_key DESC, last_reported_on DESC, id)
    WHERE status = 'open' AND rank_key IS NOT NULL;
CREATE INDEX objections_obstacle_idx ON objections (org_id, obstacle_id) WHERE obstacle_id IS NOT NULL;
CREATE INDEX objections_list_idx ON objections (org_id, created_at DESC, id);
CREATE INDEX objections_statement_trgm_idx ON objections USING gin (statement gin_trgm_ops);

CREATE TABLE field_reports (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id uuid NOT NULL REFERENCES organizations (id),
    reporter_id uuid NOT NULL,
    summary text NOT NULL CHECK (length(btrim(summary)) BETWEEN 1 AND 2000),
    account text NOT NULL CHECK (length(btrim(account)) BETWEEN 1 AND 200),
    account_key text NOT NULL GENERATED ALWAYS AS (lower(btrim(account))) STORED,
    deal_amount numeric CHECK (deal_amount >= 0),
    stage text CHECK (stage IN ('prospecting', 'discovery', 'evaluation', 'proposal', 'negotiation', 'closed_won', 'closed_lost')),
    competitor text CHECK (length(competitor) <= 200),
    persona text CHECK (length(persona) <= 200),
    industry text CHECK (length(industry) <= 200),
    product text CHECK (length(product) <= 200),
    occurred_on date NOT NULL,
    -- The objection the report is about (NULL = untriaged) and the one it counts for after merges.
    objection_id uuid,
    counted_objection_id uuid,
    triaged_by uuid,
    triaged_at timestamptz,
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((objection_id IS NULL) = (counted_objection_id IS NULL)),
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, reporter_id) REFERENCES users (org_id, id),
    FOREIGN KEY (org_id, objection_id) REFERENCES objections (org_id, id),
    FOREIGN KEY (org_id, counted_objection_id) REFERENCES objections (org_id, id)
);
CREATE INDEX field_reports_list_idx ON field_reports (org_id, created_at DESC, id);
CREATE INDEX field_reports_reporter_idx ON field_reports (org_id, reporter_id, created_at DESC, id);
CREATE INDEX field_reports_untriaged_idx ON field_reports (org_id, created_at DESC, id) WHERE objection_id IS NULL;
CREATE INDEX field_reports_counted_idx ON field_reports (counted_objection_id, occurred_on);
CREATE INDEX field_reports_recent_idx ON field_reports (org_id, occurred_on, counted_objection_id);

-- One row per (objection, account): the account's latest day and largest deal among counted reports.
CREATE TABLE objection_accounts (
    org_id uuid NOT NULL,
    objection_id uuid NOT NULL,
    account_key text NOT NULL,
    last_day date NOT NULL,
    max_amount numeric NOT NULL DEFAULT 0,
    reports integer NOT NULL,
    PRIMARY KEY (objection_id, account_key),
    FOREIGN KEY (org_id, objection_id) REFERENCES objections (org_id, id)
);

-- One row per (objection, reporter), for the distinct-reps count.
CREATE TABLE objection_reporters (
    org_id uuid NOT NULL,
    objection_id uuid NOT NULL,
    user_id uuid NOT NULL,
    reports integer NOT NULL,
    PRIMARY KEY (objection_id, user_id),
    FOREIGN KEY (org_id, objection_id) REFERENCES objections (org_id, id)
);

CREATE TABLE idempotency_keys (
    org_id uuid NOT NULL REFERENCES organizations (id),
    user_id uuid NOT NULL,
    key text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    request_hash text NOT NULL,
    response_status integer,
    response_body text,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, user_id, key)
);

CREATE TABLE content_items (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id uuid NOT NULL REFERENCES organizations (id),
    objection_id uuid NOT NULL,
    title text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 300),
    format text NOT NULL CHECK (format IN ('blog_post', 'video', 'podcast', 'one_pager', 'battlecard', 'case_study',
                                           'results_sheet', 'email_template', 'demo_script', 'other')),
    status text NOT NULL DEFAULT 'todo' CHECK (status IN ('todo', 'in_progress', 'in_review', 'published', 'retired')),
    assignee_id uuid,
    effort integer CHECK (effort BETWEEN 0 AND 1000),
    url text CHECK (length(url) <= 2000),
    published_at timestamptz,
    created_by uuid NOT NULL,
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (status <> 'published' OR (url IS NOT NULL AND published_at IS NOT NULL)),
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, objection_id) REFERENCES objections (org_id, id),
    FOREIGN KEY (org_id, assignee_id) REFERENCES users (org_id, id),
    FOREIGN KEY (org_id, created_by) REFERENCES users (org_id, id)
);
-- At most one active bite per objection.
CREATE UNIQUE INDEX content_items_one_active ON content_items (objection_id) WHERE status IN ('todo', 'in_progress', 'in_review');
CREATE INDEX content_items_list_idx ON content_items (org_id, updated_at DESC, id);
CREATE INDEX content_items_objection_idx ON content_items (objection_id, status);

CREATE TABLE content_feedback (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id uuid NOT NULL,
    content_id uuid NOT NULL,
    user_id uuid NOT NULL,
    helpful boolean NOT NULL,
    account text CHECK (length(account) <= 200),
    comment text CHECK (length(comment) <= 2000),
    created_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (org_id, content_id) REFERENCES content_items (org_id, id),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id)
);
CREATE INDEX content_feedback_content_idx ON content_feedback (content_id, created_at DESC);

CREATE TABLE notifications (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id uuid NOT NULL,
    user_id uuid NOT NULL,
    message text NOT NULL,
    content_id uuid,
    objection_id uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    read_at timestamptz,
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id)
);
CREATE INDEX notifications_user_idx ON notifications (org_id, user_id, created_at DESC, id);

CREATE TABLE audit_events (
    id bigserial PRIMARY KEY,
    org_id uuid NOT NULL REFERENCES organizations (id),
    actor_id uuid,
    action text NOT NULL,
    object_type text NOT NULL,
    object_id uuid,
    before jsonb,
    after jsonb,
    at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_events_org_idx ON audit_events (org_id, id DESC);
CREATE INDEX audit_events_object_idx ON audit_events (org_id, object_id, id DESC);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['focus_items', 'joint_reviews', 'review_signoffs', 'objections', 'field_reports',
                             'objection_accounts', 'objection_reporters', 'idempotency_keys', 'content_items',
                             'content_feedback', 'notifications', 'audit_events'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY %I ON %I USING (org_id = roadwork_current_org()) WITH CHECK (org_id = roadwork_current_org())',
                       t || '_tenant', t);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO roadwork_app', t);
    END LOOP;
END
$$;
GRANT USAGE ON SEQUENCE audit_events_id_seq TO roadwork_app;
