-- Code-host webhooks: delivery dedupe, the post-back outbox, what host payloads taught us.

-- One row per applied delivery. The primary key makes a concurrent duplicate wait for the
-- first transaction and then see the conflict: each delivery is applied at most once.
CREATE TABLE webhook_deliveries (
    host          text NOT NULL,
    delivery_id   text NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (host, delivery_id)
);

-- Post-backs to code hosts, written in the transaction that changed the reviewers.
-- `pending` rows are sent by a worker that leases them (`lease_until`) so several instances
-- never send one row at once; `failed` rows wait for an admin; `done` and `replaced` are history.
CREATE TABLE outbox (
    id                bigserial PRIMARY KEY,
    host              text NOT NULL CHECK (host IN ('github', 'gitlab', 'gitea')),
    pull_request_id   text NOT NULL REFERENCES pull_requests (pull_request_id) ON DELETE CASCADE,
    kind              text NOT NULL CHECK (kind IN ('request', 'remove')),
    user_id           text NOT NULL REFERENCES users (user_id),
    state             text NOT NULL DEFAULT 'pending'
                      CHECK (state IN ('pending', 'done', 'failed', 'replaced')),
    attempts          integer NOT NULL DEFAULT 0,
    -- Consecutive rows of one PR and kind go out in one call; a refused batch is split and
    -- its rows sent alone, so the host's 422 names exactly one person.
    solo              boolean NOT NULL DEFAULT false,
    -- New rows are due at once whatever the app's and the database's clocks say.
    next_attempt_at   timestamptz NOT NULL DEFAULT '-infinity',
    lease_until       timestamptz,
    first_attempt_at  timestamptz,
    last_error        text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    finished_at       timestamptz
);
-- The worker's claim: the oldest due pending row of each PR.
CREATE INDEX outbox_pending ON outbox (pull_request_id, id) WHERE state = 'pending';
CREATE INDEX outbox_failed ON outbox (id) WHERE state = 'failed';

-- GitHub App installation of each repository, from the payloads' installation.id.
CREATE TABLE github_installations (
    repo             text PRIMARY KEY,
    installation_id  bigint NOT NULL,
    seen_at          timestamptz NOT NULL DEFAULT now()
);

-- GitLab numeric user ids seen in payloads (author_id, reviewers): saves user look-ups.
CREATE TABLE gitlab_users (
    gitlab_id  bigint PRIMARY KEY,
    username   text NOT NULL,
    seen_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX gitlab_users_by_name ON gitlab_users (username, seen_at DESC);
