-- Outbox claims tied to the claiming worker's liveness (issue 11). Each worker holds a
-- session-level advisory lock (OWNER_LOCK_CLASS, n) with n from this sequence on a
-- connection of its own, and stamps the rows it leases with `claimed_by = n`. When the
-- worker's process dies its session ends, the lock disappears from pg_locks, and the next
-- claim of any instance retakes the rows at once instead of waiting for `lease_until`
-- (which stays as the backstop for a frozen process). Rows leased without an owner (by a
-- worker older than this migration) are retaken only when their lease runs out.
ALTER TABLE outbox ADD COLUMN claimed_by integer;
CREATE SEQUENCE outbox_owner_seq AS integer MINVALUE 1 CYCLE;
