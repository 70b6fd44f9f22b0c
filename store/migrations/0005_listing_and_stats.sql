-- Issue 5: listing and statistics.

-- GET /pullRequest/list pages through PRs by (created_at, pull_request_id) with a keyset
-- cursor; this index serves both the order and the "after the cursor" condition.
CREATE INDEX pull_requests_by_created ON pull_requests (created_at, pull_request_id);

-- GET /stats counts reassignments and removals per replaced reviewer in a time window.
CREATE INDEX assignment_events_by_replaced ON assignment_events (replaced_user_id, at)
    WHERE replaced_user_id IS NOT NULL;
