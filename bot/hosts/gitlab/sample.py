"""GitLab's ``Merge Request Hook`` ``open``, authenticated with ``X-Gitlab-Token``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.hosts.sample import Sample


def _set_author(payload: dict[str, Any], handle: str) -> None:
    payload["user"]["username"] = handle  # the user who opened it is the author


def _headers(body: bytes, secret: str, delivery: str) -> dict[str, str]:
    return {
        "X-Gitlab-Event": "Merge Request Hook",
        "X-Gitlab-Event-UUID": delivery,
        "X-Gitlab-Token": secret,  # GitLab sends the secret itself, no signature
    }


SAMPLE = Sample(Path(__file__).parent, "Merge Request Hook", _set_author, _headers)
