"""Webhook and outbox metrics at /metrics: deliveries by outcome, post-backs, depth."""

from __future__ import annotations

import re

import httpx
import respx

from tests.webhooks.conftest import Bot

PATH = "/repos/acme/widgets/pulls/7/requested_reviewers"


async def _sample(client: httpx.AsyncClient, name: str, **labels: str) -> float:
    text = (await client.get("/metrics")).text
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    found = re.search(re.escape(f"{name}{{{wanted}}}") + r" ([0-9.e+-]+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


async def test_deliveries_postbacks_and_depth_are_counted(
    bot: Bot, github_api: respx.MockRouter
) -> None:
    deliveries = "reviewbot_webhook_deliveries_total"
    applied = {"host": "github", "outcome": "applied"}
    refused = {"host": "github", "outcome": "unauthorized"}
    before_applied = await _sample(bot.client, deliveries, **applied)
    before_refused = await _sample(bot.client, deliveries, **refused)
    before_sent = await _sample(
        bot.client, "reviewbot_postbacks_total", host="github", result="sent"
    )

    assert (await bot.post("github", "pull_request__opened")).status_code == 200
    assert (await bot.post("github", "pull_request__opened", secret="wrong")).status_code == 401
    assert await _sample(bot.client, deliveries, **applied) == before_applied + 1
    assert await _sample(bot.client, deliveries, **refused) == before_refused + 1
    assert await _sample(bot.client, "reviewbot_outbox_depth", state="pending") == 2

    github_api.post(PATH).mock(return_value=httpx.Response(201, json={}))
    await bot.drain()
    assert await _sample(bot.client, "reviewbot_outbox_depth", state="pending") == 0
    sent = await _sample(bot.client, "reviewbot_postbacks_total", host="github", result="sent")
    assert sent == before_sent + 1  # both reviewers went out in one call
