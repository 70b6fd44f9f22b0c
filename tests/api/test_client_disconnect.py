"""A client that hangs up half-way through its body is neither an ERROR nor a 500."""

from __future__ import annotations

import logging
import socket
import time

import httpx
import pytest

from bot.app import create_app
from config.settings import Secret, Settings
from tests.conftest import serving, with_hosts


def _send_half_a_body(base_url: str, path: str) -> None:
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        # A signature header of the right shape: a webhook body is read only after that.
        head = (
            f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"X-GitHub-Event: ping\r\nX-Hub-Signature-256: sha256={'0' * 64}\r\n"
            "Content-Length: 1000\r\n\r\n"
        )
        sock.sendall(head.encode() + b'{"team_name": "t", "mem')
        time.sleep(0.2)  # the server is now waiting for the rest


def _count(metrics: str, status: str) -> float:
    total = 0.0
    for line in metrics.splitlines():
        if line.startswith("reviewbot_http_requests_total{") and f'status="{status}"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


@pytest.mark.parametrize("path", ["/team/add", "/webhooks/github"])
def test_a_client_hanging_up_mid_body_is_logged_as_info_and_counted_apart(
    settings: Settings, caplog: pytest.LogCaptureFixture, path: str
) -> None:
    settings = with_hosts(settings, github={"webhook_secret": Secret("s")})
    with serving(create_app(settings)) as url, caplog.at_level(logging.INFO):
        before = httpx.get(f"{url}/metrics").text
        _send_half_a_body(url, path)
        deadline = time.monotonic() + 5
        while _count(httpx.get(f"{url}/metrics").text, "499") <= _count(before, "499"):
            assert time.monotonic() < deadline, "the disconnect was never counted"
            time.sleep(0.05)
        after = httpx.get(f"{url}/metrics").text
    assert _count(after, "500") == _count(before, "500")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("client went away" in r.getMessage() for r in caplog.records)
