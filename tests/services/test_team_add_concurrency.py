"""team/add racing itself: overlapping new users listed in different orders."""

from __future__ import annotations

import asyncio

import httpx

from tests.conftest import member


async def test_team_adds_listing_the_same_new_users_in_opposite_orders_never_fail(
    client: httpx.AsyncClient,
) -> None:
    # Each pair of requests inserts the same new users in opposite orders: unless every
    # writer inserts users in one order, the two inserts wait on each other (deadlock: 500).
    ids = [f"u{i:02d}" for i in range(400)]
    for round_ in range(10):
        forward = [member(f"{u}-{round_}") for u in ids]
        backward = list(reversed(forward))
        responses = await asyncio.gather(
            client.post("/team/add", json={"team_name": f"a{round_}", "members": forward}),
            client.post("/team/add", json={"team_name": f"b{round_}", "members": backward}),
        )
        assert sorted(r.status_code for r in responses) == [201, 201], [r.text for r in responses]
