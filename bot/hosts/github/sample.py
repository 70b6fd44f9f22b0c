"""GitHub's ``pull_request`` ``opened``, signed with ``X-Hub-Signature-256``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.hosts.sample import Sample, hmac_sha256


def _set_author(payload: dict[str, Any], handle: str) -> None:
    payload["pull_request"]["user"]["login"] = handle


def _headers(body: bytes, secret: str, delivery: str) -> dict[str, str]:
    return {
        "X-GitHub-Event": "pull_request",
        "X-GitHub-Delivery": delivery,
        "X-Hub-Signature-256": "sha256=" + hmac_sha256(secret, body),
    }


SAMPLE = Sample(Path(__file__).parent, "pull_request", _set_author, _headers)
