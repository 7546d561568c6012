-- Reports, events, deliveries and mails are written all day and never updated much: with random ids (version 4) every
-- insert lands on a random page of the primary key (and of each list index that ends with the id), so a big table's
-- inserts miss the cache and dirty pages everywhere. Their ids are now version 7 (RFC 9562): the Unix time in
-- milliseconds, then random bits. New rows go to the right edge of those indexes; ids stay unguessable and unique.
CREATE FUNCTION roadwork_uuid7() RETURNS uuid
    LANGUAGE sql VOLATILE PARALLEL SAFE
    AS $$
    SELECT encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
                                          PLACING substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
                                          FROM 1 FOR 6),
                                  52, 1), 53, 1), 'hex')::uuid
    $$;

ALTER TABLE field_reports ALTER COLUMN id SET DEFAULT roadwork_uuid7();
ALTER TABLE outbox_events ALTER COLUMN id SET DEFAULT roadwork_uuid7();
ALTER TABLE webhook_deliveries ALTER COLUMN id SET DEFAULT roadwork_uuid7();
ALTER TABLE mail_messages ALTER COLUMN id SET DEFAULT roadwork_uuid7();

-- The indexes that lead with the counted objection held an entry for every untriaged report too (a null key no query asks
-- for: every reader names an objection, or joins on one). Most imported reports are untriaged; they no longer write
-- these three indexes.
DROP INDEX field_reports_counted_idx;
CREATE INDEX field_reports_counted_idx ON field_reports (counted_objection_id, occurred_on) WHERE counted_objection_id IS NOT NULL;
DROP INDEX field_reports_objection_list_idx;
CREATE INDEX field_reports_objection_list_idx ON field_reports (counted_objection_id, created_at DESC, id DESC)
    WHERE counted_objection_id IS NOT NULL;
DROP INDEX field_reports_recent_idx;
CREATE INDEX field_reports_recent_idx ON field_reports (org_id, occurred_on, counted_objection_id) WHERE counted_objection_id IS NOT NULL;
