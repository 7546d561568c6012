-- CSV exports page through each list by (created_at, id); the feedback list had no index in that order.
CREATE INDEX content_feedback_list_idx ON content_feedback (org_id, created_at DESC, id);
