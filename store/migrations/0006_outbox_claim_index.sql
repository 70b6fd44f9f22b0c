-- The worker claims the oldest due pending rows (ORDER BY id). Without an index of pending
-- rows by id it walks every row already sent, which grows without bound: under a webhook
-- flood post-backs stalled behind the scan (seen in perf/).
CREATE INDEX outbox_pending_by_id ON outbox (id) WHERE state = 'pending';
