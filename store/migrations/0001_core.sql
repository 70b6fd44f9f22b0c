-- The reference contract's entities: teams, users, pull requests and their reviewers.

CREATE TABLE teams (
    team_name   text PRIMARY KEY CHECK (team_name <> ''),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    user_id     text PRIMARY KEY CHECK (user_id <> ''),
    username    text NOT NULL,
    team_name   text NOT NULL REFERENCES teams (team_name),
    is_active   boolean NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
-- Candidates by team: the hot query of every assignment.
CREATE INDEX users_by_team ON users (team_name, user_id) INCLUDE (is_active);

CREATE TABLE pull_requests (
    pull_request_id    text PRIMARY KEY CHECK (pull_request_id <> ''),
    pull_request_name  text NOT NULL,
    author_id          text NOT NULL REFERENCES users (user_id),
    status             text NOT NULL DEFAULT 'OPEN' CHECK (status IN ('OPEN', 'MERGED', 'CLOSED')),
    created_at         timestamptz NOT NULL DEFAULT now(),
    merged_at          timestamptz,
    CHECK ((status = 'MERGED') = (merged_at IS NOT NULL))
);
CREATE INDEX pull_requests_by_author ON pull_requests (author_id);

-- One row per (PR, reviewer). `slot` keeps the order of assigned_reviewers stable when a
-- reviewer is replaced. The author can never review their own PR (checked in the store
-- under the PR's row lock, since a CHECK cannot see another table).
CREATE TABLE pr_reviewers (
    pull_request_id  text NOT NULL REFERENCES pull_requests (pull_request_id) ON DELETE CASCADE,
    user_id          text NOT NULL REFERENCES users (user_id),
    slot             smallint NOT NULL CHECK (slot >= 0),
    assigned_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (pull_request_id, user_id),
    UNIQUE (pull_request_id, slot)
);
-- Reviews by user: GET /users/getReview and the open load of a reviewer.
CREATE INDEX pr_reviewers_by_user ON pr_reviewers (user_id, pull_request_id);
