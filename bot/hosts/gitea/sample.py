"""Gitea/Forgejo's ``pull_request`` ``opened``, signed with ``X-Gitea-Signature``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.hosts.sample import Sample, hmac_sha256


def _set_author(payload: dict[str, Any], handle: str) -> None:
    payload["pull_request"]["user"]["login"] = handle


def _headers(body: bytes, secret: str, delivery: str) -> dict[str, str]:
    return {
        "X-Gitea-Event": "pull_request",
        "X-Gitea-Delivery": delivery,
        "X-Gitea-Signature": hmac_sha256(secret, body),
    }


SAMPLE = Sample(Path(__file__).parent, "pull_request", _set_author, _headers)
