-- Two checks every filing paid for nothing (a fifth of the insert's time):
-- nothing refers to a report by (org_id, id), and its primary key already finds it by id, so the unique index on the pair
-- was a second index insert with a uniqueness check;
ALTER TABLE field_reports DROP CONSTRAINT field_reports_org_id_id_key;
-- and the reporter's key (org_id, reporter_id), never NULL, must match a user of that organization, whose own foreign key
-- proves the organization exists, so the report's separate key to organizations was a second lookup of the same fact.
ALTER TABLE field_reports DROP CONSTRAINT field_reports_org_id_fkey;
