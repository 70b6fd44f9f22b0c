-- One round trip per API write (issue 18): create, reassign and merge as one server-side
-- function each, called as a single statement outside any explicit transaction, so the
-- statement's own transaction commits with it. The choice of reviewers stays in Python
-- (bot.core.selection): these functions only lock, re-check and write what the app chose,
-- and return a status the service maps to today's errors. Nothing is written unless the
-- status is 'ok'.
--
-- VOLATILE plpgsql under READ COMMITTED takes a fresh snapshot per statement, which keeps
-- the "lock first, then read" rules of store/pull_requests.py and store/selection.py: a
-- statement that waited for a lock is followed by one that reads what was committed.

-- The re-check after the lock is the rule of store.selection's lock_available (active,
-- still in the team, not away, under their cap), written out in each function: a SQL
-- function holding it was planned again on every call (≈ 4x the cost of the check).

-- pr_reviewers.pr_open (0004) is set by a per-row trigger that looks the PR up. The create
-- function has just inserted the PR as OPEN and says so; every other writer leaves the
-- column out (NULL now that it has no default) and the trigger fills it in as before.
ALTER TABLE pr_reviewers ALTER COLUMN pr_open DROP DEFAULT;
DROP TRIGGER pr_reviewers_pr_open ON pr_reviewers;
CREATE TRIGGER pr_reviewers_pr_open BEFORE INSERT ON pr_reviewers
    FOR EACH ROW WHEN (NEW.pr_open IS NULL) EXECUTE FUNCTION pr_reviewers_pr_open();

-- Create: the author's team must be the one the app chose from (p_team), and every chosen
-- reviewer still assignable there; else 'stale' (the app takes the transactional path).
-- Statuses: ok, no_author, stale, exists.
CREATE FUNCTION reviewbot_create_pr(
    p_pr text, p_name text, p_author text, p_team text, p_chosen text[], p_today date,
    p_explain text)
RETURNS TABLE (status text, team_name text, created_at timestamptz)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
    author_team text;
    created timestamptz;
    locked int;
BEGIN
    SELECT u.team_name INTO author_team FROM users u WHERE u.user_id = p_author;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'no_author'::text, NULL::text, NULL::timestamptz;
        RETURN;
    END IF;
    IF author_team IS DISTINCT FROM p_team THEN
        RETURN QUERY SELECT 'stale'::text, author_team, NULL::timestamptz;
        RETURN;
    END IF;
    IF cardinality(p_chosen) > 0 THEN
        -- Lock first (in id order, as lock_available), then check with a fresh snapshot.
        PERFORM 1 FROM users u WHERE u.user_id = ANY(p_chosen) ORDER BY u.user_id
            FOR SHARE;
        SELECT count(*) INTO locked FROM users u
         WHERE u.user_id = ANY(p_chosen) AND u.team_name = p_team AND u.is_active
           AND NOT EXISTS (SELECT 1 FROM user_away a
                            WHERE a.user_id = u.user_id AND a.last_day >= p_today
                              AND (a.first_day IS NULL OR a.first_day <= p_today))
           AND (u.max_open_reviews IS NULL
                OR (SELECT count(*) FROM pr_reviewers r
                     WHERE r.user_id = u.user_id AND r.pr_open) < u.max_open_reviews);
        IF locked <> cardinality(p_chosen) THEN
            RETURN QUERY SELECT 'stale'::text, author_team, NULL::timestamptz;
            RETURN;
        END IF;
    END IF;
    INSERT INTO pull_requests (pull_request_id, pull_request_name, author_id)
    VALUES (p_pr, p_name, p_author)
    ON CONFLICT DO NOTHING RETURNING pull_requests.created_at INTO created;
    IF created IS NULL THEN
        RETURN QUERY SELECT 'exists'::text, author_team, NULL::timestamptz;
        RETURN;
    END IF;
    IF cardinality(p_chosen) > 0 THEN
        -- The explanation goes on the events directly (the trigger of 0004 then leaves
        -- it alone): no transaction-local setting to write and parse back per event.
        WITH added AS (
            INSERT INTO pr_reviewers (pull_request_id, user_id, slot, pr_open)
            SELECT p_pr, c.user_id, c.ord - 1, true
              FROM unnest(p_chosen) WITH ORDINALITY AS c(user_id, ord)
            RETURNING pr_reviewers.user_id)
        INSERT INTO assignment_events (pull_request_id, kind, user_id, source, explain)
        SELECT p_pr, 'assigned', a.user_id, 'api', p_explain::jsonb FROM added a;
    END IF;
    RETURN QUERY SELECT 'ok'::text, author_team, created;
END $$;

-- Reassign with the random strategy, drawing as Python's random.sample(eligible, 1) would:
-- p_words are the next 32-bit outputs of the app's generator (peeked, not consumed);
-- randbelow(n) takes the top bit_length(n) bits of each word until one is below n, and
-- a single eligible member needs no draw. A pick found unassignable under lock is marked
-- 'unavailable' and the draw repeats, up to 8 rounds (bot.services.choosing). The app
-- then consumes exactly words_used outputs, so its generator moves as on the
-- transactional path. p_members / p_cached: the cached team in order, with the reason a
-- member is unavailable in the cache (inactive, away) or NULL.
-- Statuses: ok, no_pr, no_user, merged, not_assigned, no_candidate, stale (the old
-- reviewer is not in p_team), slow (the words ran out).
CREATE FUNCTION reviewbot_reassign(
    p_pr text, p_old text, p_team text, p_members text[], p_cached text[],
    p_words bigint[], p_today date)
RETURNS TABLE (status text, new_id text, words_used int, team_name text,
               pull_request_name text, author_id text, pr_status text,
               created_at timestamptz, merged_at timestamptz, reviewers text[])
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
    pr record;
    old_team text;
    skip text[];
    eligible text[];
    used int := 0;
    n int;
    bits int;
    drawn bigint;
    pick text;
    round int;
    why_chosen jsonb;
BEGIN
    PERFORM 1 FROM pull_requests p WHERE p.pull_request_id = p_pr FOR UPDATE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'no_pr'::text, NULL::text, 0, NULL::text, NULL::text, NULL::text,
            NULL::text, NULL::timestamptz, NULL::timestamptz, NULL::text[];
        RETURN;
    END IF;
    -- A statement after the lock: it sees what the transaction we may have waited for wrote.
    SELECT p.pull_request_name, p.author_id, p.status, p.created_at, p.merged_at,
           ARRAY(SELECT r.user_id FROM pr_reviewers r
                  WHERE r.pull_request_id = p.pull_request_id ORDER BY r.slot) AS reviewers,
           u.user_id AS old_id, u.team_name AS old_team
      INTO pr FROM pull_requests p LEFT JOIN users u ON u.user_id = p_old
     WHERE p.pull_request_id = p_pr;
    old_team := pr.old_team;
    IF pr.old_id IS NULL THEN
        RETURN QUERY SELECT 'no_user'::text, NULL::text, 0, NULL::text, NULL::text,
            NULL::text, NULL::text, NULL::timestamptz, NULL::timestamptz, NULL::text[];
        RETURN;
    END IF;
    IF pr.status = 'MERGED' THEN
        status := 'merged';
    ELSIF NOT p_old = ANY(pr.reviewers) THEN
        status := 'not_assigned';
    ELSIF old_team IS DISTINCT FROM p_team THEN
        status := 'stale';
    END IF;
    IF status IS NOT NULL THEN
        RETURN QUERY SELECT status, NULL::text, 0, old_team, pr.pull_request_name,
            pr.author_id, pr.status, pr.created_at, pr.merged_at, pr.reviewers;
        RETURN;
    END IF;
    -- The exclusions, with exclusion_reasons' precedence: author over replaced over
    -- already reviewing; then what the cache says. One statement, not a loop.
    skip := ARRAY(SELECT CASE WHEN m = pr.author_id THEN 'author'
                              WHEN m = p_old THEN 'replaced'
                              WHEN m = ANY(pr.reviewers) THEN 'already_reviewing'
                              ELSE c END
                    FROM unnest(p_members, p_cached) WITH ORDINALITY AS s(m, c, o) ORDER BY o);
    FOR round IN 1 .. 8 LOOP
        eligible := ARRAY(SELECT m FROM unnest(p_members, skip) AS s(m, why)
                           WHERE why IS NULL);
        n := coalesce(cardinality(eligible), 0);
        EXIT WHEN n = 0;
        IF n = 1 THEN
            pick := eligible[1];
        ELSE
            bits := 0;
            WHILE (n >> bits) > 0 LOOP
                bits := bits + 1;
            END LOOP;
            LOOP
                IF used >= coalesce(cardinality(p_words), 0) THEN
                    RETURN QUERY SELECT 'slow'::text, NULL::text, 0, old_team, NULL::text,
                        NULL::text, NULL::text, NULL::timestamptz, NULL::timestamptz,
                        NULL::text[];
                    RETURN;
                END IF;
                used := used + 1;
                drawn := p_words[used] >> (32 - bits);
                EXIT WHEN drawn < n;
            END LOOP;
            pick := eligible[drawn + 1];
        END IF;
        PERFORM 1 FROM users u WHERE u.user_id = pick FOR SHARE;
        PERFORM 1 FROM users u
         WHERE u.user_id = pick AND u.team_name = p_team AND u.is_active
           AND NOT EXISTS (SELECT 1 FROM user_away a
                            WHERE a.user_id = u.user_id AND a.last_day >= p_today
                              AND (a.first_day IS NULL OR a.first_day <= p_today))
           AND (u.max_open_reviews IS NULL
                OR (SELECT count(*) FROM pr_reviewers r
                     WHERE r.user_id = u.user_id AND r.pr_open) < u.max_open_reviews);
        EXIT WHEN FOUND;
        skip[array_position(p_members, pick)] := 'unavailable';
        pick := NULL;
    END LOOP;
    IF pick IS NULL THEN
        RETURN QUERY SELECT 'no_candidate'::text, NULL::text, used, old_team, NULL::text,
            NULL::text, NULL::text, NULL::timestamptz, NULL::timestamptz, NULL::text[];
        RETURN;
    END IF;
    -- The explanation Selection.explain() gives for the last round.
    SELECT jsonb_build_object(
               'strategy', 'random',
               'count', 1,
               'chosen', jsonb_build_array(pick),
               'candidates', coalesce(jsonb_agg(jsonb_build_object('user_id', m) ORDER BY o)
                                      FILTER (WHERE why IS NULL), '[]'::jsonb),
               'skipped', coalesce(jsonb_agg(jsonb_build_object('user_id', m, 'reason', why)
                                             ORDER BY o) FILTER (WHERE why IS NOT NULL),
                                   '[]'::jsonb))
      INTO why_chosen FROM unnest(p_members, skip) WITH ORDINALITY AS s(m, why, o);
    WITH replaced AS (
        UPDATE pr_reviewers r SET user_id = pick, assigned_at = now()
         WHERE r.pull_request_id = p_pr AND r.user_id = p_old
        RETURNING r.user_id)
    INSERT INTO assignment_events (pull_request_id, kind, user_id, replaced_user_id, source,
                                   explain)
    SELECT p_pr, 'reassigned', x.user_id, p_old, 'api', why_chosen FROM replaced x;
    RETURN QUERY SELECT 'ok'::text, pick, used, old_team, pr.pull_request_name, pr.author_id,
        pr.status, pr.created_at, pr.merged_at, pr.reviewers;
END $$;

-- Merge: mark MERGED (keeping the first merged_at), then read the PR back in a statement
-- of its own (see store.pull_requests.merge for why). No row: no such PR.
CREATE FUNCTION reviewbot_merge(p_pr text)
RETURNS TABLE (pull_request_id text, pull_request_name text, author_id text, status text,
               created_at timestamptz, merged_at timestamptz, reviewers text[])
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
BEGIN
    UPDATE pull_requests p SET status = 'MERGED', merged_at = COALESCE(p.merged_at, now())
     WHERE p.pull_request_id = p_pr;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    RETURN QUERY
    SELECT p.pull_request_id, p.pull_request_name, p.author_id, p.status, p.created_at,
           p.merged_at, ARRAY(SELECT r.user_id FROM pr_reviewers r
                              WHERE r.pull_request_id = p.pull_request_id ORDER BY r.slot)
      FROM pull_requests p WHERE p.pull_request_id = p_pr;
END $$;
