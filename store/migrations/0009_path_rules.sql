-- Who reviews what (issue 14): path rules and CODEOWNERS.
--
-- routing_config: the `rules:` and `codeowners:` of the applied team files (one row).
-- team_handles: a team's name on a code host (`github: acme/dba`), so that CODEOWNERS team
--   entries map to reviewbot teams. The host is a registry name (checked by the app: a new
--   host then needs no migration here).
-- codeowners_cache: the CODEOWNERS file of each repository's default branch, per revision,
--   dropped on a push to the default branch or when older than the app's maximum age.
-- routing_jobs: PRs whose changed files and CODEOWNERS must be read from the host before
--   reviewers are chosen. Written by the webhook's own transaction (the handler never calls
--   the host), leased and run by the worker with the outbox's retries and give-up.
-- pr_routing: what the last choice made of the rules (for GET /pullRequest/explain).
CREATE TABLE routing_config (
    id          smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    rules       jsonb NOT NULL DEFAULT '[]',
    codeowners  jsonb NOT NULL DEFAULT '{"enabled": false, "reviewers": 1}',
    updated_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO routing_config (id) VALUES (1);

CREATE TABLE team_handles (
    team_name  text NOT NULL REFERENCES teams (team_name) ON DELETE CASCADE,
    host       text NOT NULL,
    handle     text NOT NULL CHECK (handle <> ''),
    PRIMARY KEY (team_name, host),
    UNIQUE (host, handle)
);

CREATE TABLE codeowners_cache (
    host        text NOT NULL,
    repo        text NOT NULL,
    revision    text NOT NULL,           -- the default branch (or blob) the file was read at
    path        text,                    -- where it was found; NULL: the repository has none
    body        text,
    fetched_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (host, repo)
);

CREATE TABLE routing_jobs (
    id                bigserial PRIMARY KEY,
    host              text NOT NULL,
    pull_request_id   text NOT NULL REFERENCES pull_requests (pull_request_id) ON DELETE CASCADE,
    reason            text NOT NULL CHECK (reason IN ('opened', 'new_commits')),
    default_branch    text,
    non_members       integer NOT NULL DEFAULT 0,
    state             text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
    attempts          integer NOT NULL DEFAULT 0,
    next_attempt_at   timestamptz NOT NULL DEFAULT '-infinity',
    lease_until       timestamptz,
    first_attempt_at  timestamptz,
    last_error        text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    finished_at       timestamptz
);
CREATE INDEX routing_jobs_pending ON routing_jobs (next_attempt_at, id) WHERE state = 'pending';

CREATE TABLE pr_routing (
    pull_request_id  text PRIMARY KEY REFERENCES pull_requests (pull_request_id) ON DELETE CASCADE,
    files            integer,            -- changed files read (NULL: none were given)
    notes            jsonb NOT NULL DEFAULT '[]',
    updated_at       timestamptz NOT NULL DEFAULT now()
);
