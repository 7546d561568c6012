-- Field reports imported from a CRM's CSV export: a fingerprint per imported row, so importing a file twice files
-- nothing twice; the column mapping each organization last used; uploads from the import page, kept until imported.

ALTER TABLE field_reports ADD COLUMN import_fingerprint uuid;
-- Partial: reports filed by people have no fingerprint and add nothing to this index.
CREATE UNIQUE INDEX field_reports_import_fingerprint_key ON field_reports (org_id, import_fingerprint)
    WHERE import_fingerprint IS NOT NULL;

CREATE TABLE import_mappings (
    org_id uuid PRIMARY KEY REFERENCES organizations (id),
    mapping jsonb NOT NULL,
    updated_by uuid,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE import_uploads (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id uuid NOT NULL REFERENCES organizations (id),
    user_id uuid NOT NULL,
    file_name text NOT NULL CHECK (length(file_name) <= 300),
    -- The file as uploaded, base64 (it may not even be UTF-8: the import says so).
    data_base64 text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id)
);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['import_mappings', 'import_uploads'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY %I ON %I USING (org_id = roadwork_current_org()) WITH CHECK (org_id = roadwork_current_org())',
                       t || '_tenant', t);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO roadwork_app', t);
    END LOOP;
END
$$;
