-- Comment commands (issue 13): the outbox also carries reactions and replies, assignment
-- events say which command did it, and an away period may be set by its member.

-- A reaction or a reply names no reviewer: user_id is optional, and what to send lives
-- in `payload` (reaction: {"comment_id", "reaction"}; reply: {"text"}).
ALTER TABLE outbox ALTER COLUMN user_id DROP NOT NULL,
    ADD COLUMN payload jsonb,
    DROP CONSTRAINT outbox_kind_check,
    ADD CONSTRAINT outbox_kind_check CHECK (kind IN ('request', 'remove', 'react', 'reply')),
    -- Rows of one PR go out in order within a lane: reviewer changes in one, comments
    -- (reactions, replies) in another, so a reply the host keeps refusing never holds up a
    -- reviewer request (and the other way round).
    ADD COLUMN lane text NOT NULL DEFAULT 'reviewers',
    -- A refused command on a PR reviewbot cannot record (its author is no member) is
    -- still answered: its reaction and reply name a PR that is not in pull_requests.
    DROP CONSTRAINT outbox_pull_request_id_fkey;
CREATE INDEX outbox_pending_by_lane ON outbox (pull_request_id, lane, id) WHERE state = 'pending';

-- Who set an away period: the team file ('file') or the member with a comment command
-- ('command'). `teams apply` rewrites only the file's periods and lists the others.
ALTER TABLE user_away ADD COLUMN source text NOT NULL DEFAULT 'file'
    CHECK (source IN ('file', 'command'));
DROP INDEX user_away_until;
CREATE UNIQUE INDEX user_away_until ON user_away (user_id, source) WHERE first_day IS NULL;

-- The command and its author on the assignment events it makes: selection's explanation
-- (reviewbot.explain) gets a "reason" from the transaction-local reviewbot.reason, and an
-- event no selection explains (a reviewer named by handle, a removal) gets the reason alone.
CREATE OR REPLACE FUNCTION assignment_events_explain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    pending jsonb := NULLIF(current_setting('reviewbot.explain', true), '')::jsonb;
    reason jsonb := NULLIF(current_setting('reviewbot.reason', true), '')::jsonb;
BEGIN
    IF NEW.explain IS NULL AND NEW.user_id IS NOT NULL AND pending IS NOT NULL
       AND pending -> 'chosen' ? NEW.user_id THEN
        NEW.explain := pending;
    END IF;
    IF reason IS NOT NULL THEN
        NEW.explain := COALESCE(NEW.explain, '{}'::jsonb) || jsonb_build_object('reason', reason);
    END IF;
    RETURN NEW;
END $$;
