-- Routing jobs name the worker that leased them, as outbox rows do (0007): a job whose
-- owner's session is gone (its instance was killed) is claimable at once instead of after
-- its lease runs out.
ALTER TABLE routing_jobs ADD COLUMN claimed_by bigint;
