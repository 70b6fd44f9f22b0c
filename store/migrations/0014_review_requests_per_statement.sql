-- Issue 18: the review-request bookkeeping of migration 0010 once per statement instead of
-- once per row. Bulk deactivation moves ~400 reviews in one statement; the row trigger ran
-- two statements of PL/pgSQL for each (≈ 40 % of that statement in EXPLAIN ANALYZE). The
-- same rules, set-based over the statement's transition tables: a reviewer put on a PR
-- starts their request (or starts it afresh if it had ended), one taken off ends it. An
-- UPDATE that changes no reviewer (pr_open when a PR is merged, assigned_at) changes
-- nothing: only the (PR, reviewer) pairs in one table and not the other count.
DROP TRIGGER pr_reviewers_requests ON pr_reviewers;
DROP FUNCTION review_requests_track();

CREATE FUNCTION review_requests_started() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO review_requests (pull_request_id, user_id, due_at)
    SELECT pull_request_id, user_id, now() FROM new_rows
    ON CONFLICT (pull_request_id, user_id) DO UPDATE
       SET requested_at = now(), first_responded_at = NULL, breached_at = NULL,
           nudged_at = NULL, escalated_at = NULL, escalated_to = NULL, ended_at = NULL,
           due_at = now()
     WHERE review_requests.ended_at IS NOT NULL;
    RETURN NULL;
END $$;

CREATE FUNCTION review_requests_ended() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE review_requests q SET ended_at = now(), due_at = NULL
      FROM old_rows o
     WHERE q.pull_request_id = o.pull_request_id AND q.user_id = o.user_id
       AND q.ended_at IS NULL;
    RETURN NULL;
END $$;

-- A replacement is an UPDATE of user_id: the old pair's request ends first, then the new
-- pair's starts (the order the row trigger kept for each row).
CREATE FUNCTION review_requests_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE review_requests q SET ended_at = now(), due_at = NULL
      FROM (SELECT pull_request_id, user_id FROM old_rows
            EXCEPT SELECT pull_request_id, user_id FROM new_rows) g
     WHERE q.pull_request_id = g.pull_request_id AND q.user_id = g.user_id
       AND q.ended_at IS NULL;
    INSERT INTO review_requests (pull_request_id, user_id, due_at)
    SELECT pull_request_id, user_id, now()
      FROM (SELECT pull_request_id, user_id FROM new_rows
            EXCEPT SELECT pull_request_id, user_id FROM old_rows) s
    ON CONFLICT (pull_request_id, user_id) DO UPDATE
       SET requested_at = now(), first_responded_at = NULL, breached_at = NULL,
           nudged_at = NULL, escalated_at = NULL, escalated_to = NULL, ended_at = NULL,
           due_at = now()
     WHERE review_requests.ended_at IS NOT NULL;
    RETURN NULL;
END $$;

CREATE TRIGGER pr_reviewers_requests_added AFTER INSERT ON pr_reviewers
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION review_requests_started();
CREATE TRIGGER pr_reviewers_requests_removed AFTER DELETE ON pr_reviewers
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION review_requests_ended();
CREATE TRIGGER pr_reviewers_requests_moved AFTER UPDATE ON pr_reviewers
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION review_requests_moved();

-- The assignment log's foreign keys: ≈ 20 % of the bulk statement (410 checks, one per
-- event and key, each locking the referenced row). Nothing deletes PRs or users, and every
-- writer of an event names a PR it has just locked or inserted and users it has just
-- locked or read under that lock, in the same transaction; the keys never caught anything
-- (docs/decisions.md). IF EXISTS: another change of this release may drop them too.
ALTER TABLE assignment_events DROP CONSTRAINT IF EXISTS assignment_events_pull_request_id_fkey;
ALTER TABLE assignment_events DROP CONSTRAINT IF EXISTS assignment_events_user_id_fkey;
ALTER TABLE assignment_events DROP CONSTRAINT IF EXISTS assignment_events_replaced_user_id_fkey;
