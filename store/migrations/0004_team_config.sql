-- Team configuration from YAML (issue 4): per-team strategy and reviewer count, the
-- round-robin cursor, per-member capacity and away periods, and "explain" on every event.

ALTER TABLE teams
    ADD COLUMN strategy   text NOT NULL DEFAULT 'random'
                          CHECK (strategy IN ('random', 'round_robin', 'least_loaded')),
    -- The contract allows 0..2 reviewers per PR; a team may ask for fewer.
    ADD COLUMN reviewers  smallint NOT NULL DEFAULT 2 CHECK (reviewers BETWEEN 0 AND 2),
    -- Round robin: a turn counter per team. Each pick stamps the member with the next
    -- turn; the member with the oldest stamp goes next. Kept here, under the team row's
    -- lock, so concurrent assignments (any process) take turns fairly.
    ADD COLUMN rr_cursor  bigint NOT NULL DEFAULT 0;

ALTER TABLE users
    -- Never assigned while this many of their reviews are OPEN; NULL = no cap.
    ADD COLUMN max_open_reviews integer CHECK (max_open_reviews >= 0),
    -- The team's rr_cursor when this member was last picked by round robin.
    ADD COLUMN rr_turn bigint NOT NULL DEFAULT 0;

-- Days a member is away (both ends inclusive, UTC dates). first_day NULL is an
-- `away_until` entry: away from any earlier day up to and including last_day.
CREATE TABLE user_away (
    user_id    text NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    first_day  date,
    last_day   date NOT NULL,
    CHECK (first_day IS NULL OR first_day <= last_day)
);
CREATE INDEX user_away_by_user ON user_away (user_id, last_day);
-- At most one away_until per member.
CREATE UNIQUE INDEX user_away_until ON user_away (user_id) WHERE first_day IS NULL;

-- Open load per reviewer (least_loaded, caps) without joining every PR: each reviewer row
-- knows whether its PR is open, kept so by triggers whatever path writes (API, webhooks),
-- and a partial index makes "open reviews of u" an index-only count of u's open rows.
ALTER TABLE pr_reviewers ADD COLUMN pr_open boolean NOT NULL DEFAULT true;
UPDATE pr_reviewers r SET pr_open = false
  FROM pull_requests p
 WHERE p.pull_request_id = r.pull_request_id AND p.status <> 'OPEN';
CREATE INDEX pr_reviewers_open_by_user ON pr_reviewers (user_id) WHERE pr_open;

CREATE FUNCTION pr_reviewers_pr_open() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.pr_open := EXISTS (SELECT 1 FROM pull_requests p
                            WHERE p.pull_request_id = NEW.pull_request_id AND p.status = 'OPEN');
    RETURN NEW;
END $$;
CREATE TRIGGER pr_reviewers_pr_open BEFORE INSERT ON pr_reviewers
    FOR EACH ROW EXECUTE FUNCTION pr_reviewers_pr_open();

CREATE FUNCTION pull_requests_status_to_reviewers() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE pr_reviewers SET pr_open = (NEW.status = 'OPEN')
     WHERE pull_request_id = NEW.pull_request_id;
    RETURN NULL;
END $$;
CREATE TRIGGER pull_requests_status_to_reviewers AFTER UPDATE OF status ON pull_requests
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION pull_requests_status_to_reviewers();

-- Why a reviewer was chosen. Selection (ReviewService.choose_and_lock) leaves its
-- explanation in the transaction-local setting reviewbot.explain; every assignment event
-- inserted afterwards in the same transaction for a reviewer it chose picks it up. So
-- every path (create, reassign, webhooks, bulk deactivation) records "explain" without
-- each caller passing it along, and without an extra round trip.
CREATE FUNCTION assignment_events_explain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    pending jsonb := NULLIF(current_setting('reviewbot.explain', true), '')::jsonb;
BEGIN
    IF NEW.explain IS NULL AND NEW.user_id IS NOT NULL AND pending IS NOT NULL
       AND pending -> 'chosen' ? NEW.user_id THEN
        NEW.explain := pending;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER assignment_events_explain BEFORE INSERT ON assignment_events
    FOR EACH ROW EXECUTE FUNCTION assignment_events_explain();
