-- Open data downloads stream newest first in the order of this index, with the case id to
-- break ties, so their first rows leave at once instead of after a sort of every case
-- (maps/opendata.py).
-- depends: 029_case_documents

DROP INDEX incidents_org_created_idx;
CREATE INDEX incidents_org_created_idx ON incidents (organization_id, created_at DESC, id DESC);
