-- Who was assigned to what, when and why: the source of statistics and of "explain".
CREATE TABLE assignment_events (
    id                bigserial PRIMARY KEY,
    pull_request_id   text NOT NULL REFERENCES pull_requests (pull_request_id) ON DELETE CASCADE,
    kind              text NOT NULL CHECK (kind IN ('assigned', 'reassigned', 'removed')),
    user_id           text REFERENCES users (user_id),           -- the reviewer now on the PR
    replaced_user_id  text REFERENCES users (user_id),           -- the reviewer taken off
    source            text NOT NULL DEFAULT 'api',               -- api, webhook, deactivation, host
    explain           jsonb,                                     -- why this reviewer (strategies)
    at                timestamptz NOT NULL DEFAULT now(),
    CHECK (user_id IS NOT NULL OR replaced_user_id IS NOT NULL)
);
CREATE INDEX assignment_events_by_pr ON assignment_events (pull_request_id, id);
CREATE INDEX assignment_events_by_user ON assignment_events (user_id, at);

-- A member's handle on a code host (CONTRACT §4); absent means the user_id is the handle.
CREATE TABLE user_handles (
    user_id  text NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    host     text NOT NULL CHECK (host IN ('github', 'gitlab', 'gitea')),
    handle   text NOT NULL CHECK (handle <> ''),
    PRIMARY KEY (user_id, host),
    UNIQUE (host, handle)
);
