-- Review follow-through (issue 15): response targets per team, working hours per member,
-- and per PR and reviewer when they were requested, first responded, nudged, escalated.

-- A team's SLA; no row (or all NULL) means no follow-through. Durations are working seconds.
CREATE TABLE team_sla (
    team_name             text PRIMARY KEY REFERENCES teams (team_name) ON DELETE CASCADE,
    first_response        integer CHECK (first_response > 0),
    nudge                 boolean NOT NULL DEFAULT false,
    escalate_after        integer CHECK (escalate_after > 0),
    prefer_working_hours  boolean NOT NULL DEFAULT false
);

-- A member's working time, as written in the team file; NULL: the default
-- (UTC, 09:00-17:00, mon-fri).
ALTER TABLE users
    ADD COLUMN timezone text,
    ADD COLUMN work_hours text,
    ADD COLUMN work_days text;

-- One row per (PR, reviewer) request. Kept after the reviewer leaves the PR (ended_at),
-- for the figures; a later request of the same person starts the row afresh.
-- `due_at` is when the scheduler looks at the row next (NULL: nothing to wait for).
CREATE TABLE review_requests (
    pull_request_id     text NOT NULL REFERENCES pull_requests (pull_request_id) ON DELETE CASCADE,
    user_id             text NOT NULL REFERENCES users (user_id),
    requested_at        timestamptz NOT NULL DEFAULT now(),
    first_responded_at  timestamptz,
    breached_at         timestamptz,  -- first_response passed without a response
    nudged_at           timestamptz,
    escalated_at        timestamptz,
    escalated_to        text,
    ended_at            timestamptz,
    due_at              timestamptz,
    PRIMARY KEY (pull_request_id, user_id)
);
CREATE INDEX review_requests_due ON review_requests (due_at) WHERE due_at IS NOT NULL;
CREATE INDEX review_requests_by_user ON review_requests (user_id, requested_at);

-- Whenever a reviewer is put on a PR (any path: API, webhook, command, outbox, bulk
-- deactivation), their request starts; when taken off, it ends. A trigger, so no path
-- can forget it.
CREATE FUNCTION review_requests_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN  -- a replacement is an UPDATE of user_id
        UPDATE review_requests SET ended_at = now(), due_at = NULL
         WHERE pull_request_id = OLD.pull_request_id AND user_id = OLD.user_id
           AND ended_at IS NULL;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO review_requests (pull_request_id, user_id, due_at)
        VALUES (NEW.pull_request_id, NEW.user_id, now())
        ON CONFLICT (pull_request_id, user_id) DO UPDATE
           SET requested_at = now(), first_responded_at = NULL, breached_at = NULL,
               nudged_at = NULL,
               escalated_at = NULL, escalated_to = NULL, ended_at = NULL, due_at = now()
         WHERE review_requests.ended_at IS NOT NULL;
        RETURN NEW;
    END IF;
    RETURN OLD;
END $$;
CREATE TRIGGER pr_reviewers_requests AFTER INSERT OR DELETE OR UPDATE OF user_id ON pr_reviewers
    FOR EACH ROW EXECUTE FUNCTION review_requests_track();

-- Requests of reviewers already on PRs when this migration runs start now.
INSERT INTO review_requests (pull_request_id, user_id, requested_at, due_at)
SELECT pull_request_id, user_id, assigned_at, now() FROM pr_reviewers
ON CONFLICT DO NOTHING;

-- When the first-response clock stops for a whole PR: a draft, or waiting on its author
-- (changes requested, no new commits since). `ended_at` NULL: paused now.
CREATE TABLE pr_pauses (
    id               bigserial PRIMARY KEY,
    pull_request_id  text NOT NULL REFERENCES pull_requests (pull_request_id) ON DELETE CASCADE,
    reason           text NOT NULL CHECK (reason IN ('draft', 'author', 'closed')),
    started_at       timestamptz NOT NULL DEFAULT now(),
    ended_at         timestamptz,
    CHECK (ended_at IS NULL OR ended_at >= started_at)
);
CREATE UNIQUE INDEX pr_pauses_open ON pr_pauses (pull_request_id, reason) WHERE ended_at IS NULL;
CREATE INDEX pr_pauses_by_pr ON pr_pauses (pull_request_id);
