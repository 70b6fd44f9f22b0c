"""A sample delivery per host, signed as the host signs it, for ``reviewbot webhook send``.

Each host folder holds ``sample.json`` (a pull request being opened, in the host's
documented shape, the same as the tests' fixture) and ``sample.py`` with ``SAMPLE``: the
event header's value, how to set the PR's author, and the headers the host would send.
Pure: bytes in, headers out.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class Sample:
    folder: Path  # the host's folder, holding sample.json
    event: str  # the value of the host's event header
    set_author: Callable[[dict[str, Any], str], None]  # (payload, handle)
    headers: Callable[[bytes, str, str], dict[str, str]]  # (body, secret, delivery id)

    def body(self, author: str | None = None) -> bytes:
        payload: dict[str, Any] = json.loads((self.folder / "sample.json").read_text("utf-8"))
        if author:
            self.set_author(payload, author)
        return json.dumps(payload).encode()


def hmac_sha256(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
