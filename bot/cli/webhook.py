"""``reviewbot webhook send HOST``: a correctly signed sample delivery to a running instance.

The sample is the host's "pull request opened" (``bot/hosts/<host>/sample.json``), signed
with the host's webhook secret from the environment (or ``--secret``), so an operator sees
a reviewer request happen before wiring a real host. Exit status: 0 the instance applied
it, 1 it refused or ignored it (an unknown author, say) or could not be reached, 2 bad usage
(no secret).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import uuid

import httpx

from bot.hosts.registry import HOSTS
from bot.hosts.sample import Sample
from config.settings import Settings


def add_webhook_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    webhook = sub.add_parser(
        "webhook",
        help="send a signed sample webhook delivery to a running instance",
        description=__doc__.split("\n\n")[0].strip("`"),
    )
    actions = webhook.add_subparsers(dest="action", required=True, metavar="ACTION")
    send = actions.add_parser(
        "send",
        help="send a sample 'pull request opened' delivery",
        description="Send the host's sample 'pull request opened' delivery, signed with its "
        "webhook secret, to /webhooks/HOST of a running instance; print the answer.",
        epilog="reads: " + ", ".join(s.webhook_secret_variable for s in HOSTS.values()),
    )
    send.add_argument("host", choices=list(HOSTS), help="which host's delivery to imitate")
    send.add_argument(
        "--url", help="the instance's root URL (default: http://127.0.0.1:PORT, PORT from the env)"
    )
    send.add_argument(
        "--author",
        metavar="HANDLE",
        help="the PR author's handle on the host: the member's handle key in the team file, "
        "else their user id (default: the sample's author)",
    )
    send.add_argument("--secret", help="the webhook secret (default: from the environment)")


def sample_of(host: str) -> Sample:
    sample: Sample = importlib.import_module(f"bot.hosts.{host}.sample").SAMPLE
    return sample


def run_webhook(args: argparse.Namespace, settings: Settings) -> int:
    spec = HOSTS[args.host]
    configured = settings.code_hosts[args.host].webhook_secret
    secret = args.secret or (configured.reveal() if configured else None)
    if not secret:
        print(f"reviewbot: set {spec.webhook_secret_variable} or pass --secret", file=sys.stderr)
        return 2
    sample = sample_of(args.host)
    body = sample.body(args.author)
    headers = {
        "Content-Type": "application/json",
        **sample.headers(body, secret, str(uuid.uuid4())),
    }
    root = args.url or f"http://127.0.0.1:{settings.port}"
    url = f"{root.rstrip('/')}/webhooks/{args.host}"
    try:
        response = httpx.post(url, content=body, headers=headers, timeout=settings.host_timeout)
    except httpx.HTTPError as exc:
        logging.getLogger(__name__).error("cannot reach %s: %s", url, exc)
        return 1
    print(f"POST {url} ({sample.event}) -> {response.status_code}")
    print(response.text)
    if response.is_success and _ignored(response):
        print(f"reviewbot: the delivery was ignored: {_ignored(response)}", file=sys.stderr)
        return 1
    return 0 if response.is_success else 1


def _ignored(response: httpx.Response) -> str | None:
    """The reason the instance gave for doing nothing, if it did nothing."""
    try:
        body = response.json()
    except ValueError:
        return None
    if isinstance(body, dict) and body.get("status") == "ignored":
        return str(body.get("reason") or "no reason given")
    return None
