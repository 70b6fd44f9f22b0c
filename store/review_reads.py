"""``/users/getReview`` answers for several users in one statement (bot/services/review_reads.py).

PostgreSQL builds the whole answer (PRs of every status, oldest first): the per-row Python
objects and the JSON encoding were most of a read's app CPU, and a user's list grows to
hundreds of PRs. One row per user that exists.
"""

from __future__ import annotations

from collections.abc import Sequence

from store.db import Connection

_REVIEWS_JSON_MANY = """
SELECT u.user_id,
       json_build_object(
         'user_id', u.user_id,
         'pull_requests', COALESCE(
           (SELECT json_agg(json_build_object(
                     'pull_request_id', p.pull_request_id,
                     'pull_request_name', p.pull_request_name,
                     'author_id', p.author_id,
                     'status', p.status)
                   ORDER BY p.created_at, p.pull_request_id)
              FROM pr_reviewers r
              JOIN pull_requests p ON p.pull_request_id = r.pull_request_id
             WHERE r.user_id = u.user_id),
           '[]'::json))::text
  FROM users u
 WHERE u.user_id = ANY($1::text[])"""


async def reviews_json_many(conn: Connection, user_ids: Sequence[str]) -> dict[str, bytes]:
    """{user_id: the getReview body as JSON bytes} for the users that exist."""
    rows = await conn.fetch(_REVIEWS_JSON_MANY, list(user_ids))
    return {row[0]: row[1].encode() for row in rows}
