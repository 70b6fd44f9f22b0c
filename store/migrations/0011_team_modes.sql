-- Suggest-only and silent teams (issue 17).
--
-- teams.mode: assign (request reviewers, as before) | suggest | off.
-- pr_suggestions: for a PR of a suggest-mode team, whom reviewbot would request and why.
--   It is NOT pr_reviewers: nothing here counts as open load, in /stats, caps or
--   least_loaded. comment_id is the host's id of the one comment that shows the suggestion
--   (NULL until the first post is answered), so later changes edit that comment.
ALTER TABLE teams
    ADD COLUMN mode text NOT NULL DEFAULT 'assign' CHECK (mode IN ('assign', 'suggest', 'off'));

CREATE TABLE pr_suggestions (
    pull_request_id  text PRIMARY KEY REFERENCES pull_requests (pull_request_id) ON DELETE CASCADE,
    team_name        text NOT NULL,
    reviewers        text[] NOT NULL,
    explain          jsonb,
    comment_id       bigint,
    updated_at       timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE outbox
    DROP CONSTRAINT outbox_kind_check,
    ADD CONSTRAINT outbox_kind_check
        CHECK (kind IN ('request', 'remove', 'react', 'reply', 'suggest'));

-- The replay simulator (reviewbot simulate) reads, per stored PR, when it stopped being open
-- and which files it changed. closed_at is kept by a trigger, so every path that closes or
-- reopens a PR (webhooks, REST) records it without knowing about the simulator.
ALTER TABLE pull_requests ADD COLUMN closed_at timestamptz;

CREATE FUNCTION pull_requests_closed_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'CLOSED' AND OLD.status IS DISTINCT FROM 'CLOSED' THEN
        NEW.closed_at := now();
    ELSIF NEW.status = 'OPEN' THEN
        NEW.closed_at := NULL;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER pull_requests_closed_at BEFORE UPDATE OF status ON pull_requests
    FOR EACH ROW EXECUTE FUNCTION pull_requests_closed_at();

ALTER TABLE pr_routing ADD COLUMN changed_files text[];
-- (The replay reads PRs by creation time: pull_requests_by_created, migration 0005.)
