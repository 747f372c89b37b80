-- A reporter's "not fixed" (issue 12) reopens a resolved case as new: the department's staff
-- hear of it like a new case, by a message kind of its own.
-- depends: 023_map_packs

ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check CHECK (kind IN (
    'accepted', 'info_requested', 'resolved', 'rejected', 'forwarded', 'referred',
    'new_case', 'not_fixed', 'overdue', 'password_link'));
