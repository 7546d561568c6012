-- Nothing refers to a report by (org_id, id), and its primary key already finds it by id: the unique index only cost every
-- filing a second index insert with a uniqueness check.
ALTER TABLE field_reports DROP CONSTRAINT field_reports_org_id_id_key;
