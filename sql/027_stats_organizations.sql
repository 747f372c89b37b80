-- A province's statistics count the cases of the organizations within it (issue 12, item 4):
-- kept figures say which organizations they count, so that the worker finds them out of date
-- when a case of any of those organizations changes (stats_changes is per organization).
-- depends: 026_stats_kept_overdue

ALTER TABLE stats_cache ADD COLUMN organization_ids integer[];
UPDATE stats_cache SET organization_ids = ARRAY[organization_id];
ALTER TABLE stats_cache ALTER COLUMN organization_ids SET NOT NULL;
