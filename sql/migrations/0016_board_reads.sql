-- The content board reads each column (a status) newest-changed first: one index range per column instead of walking
-- every bite of the organization past the published ones.
CREATE INDEX content_items_board_idx ON content_items (org_id, status, updated_at DESC, id DESC);
