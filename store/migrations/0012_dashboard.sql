-- Issue 16: the dashboard. Its oldest open PRs come from an index of open PRs alone (a
-- walk of every merged PR otherwise), and its 7/30-day assignment counts read only the
-- assignments of the window instead of every event ever recorded.
CREATE INDEX pull_requests_open_by_created ON pull_requests (created_at, pull_request_id)
    WHERE status = 'OPEN';
CREATE INDEX assignment_events_assigned_by_at ON assignment_events (at) INCLUDE (user_id)
    WHERE kind IN ('assigned', 'reassigned');
