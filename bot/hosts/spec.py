"""What reviewbot knows about one code host, as plain data: the card the registry lists.

Each host folder (``bot/hosts/<name>/``) declares one ``HostSpec`` in its ``spec.py``;
``bot.hosts.registry`` lists them, and webhook routes, settings, team-file handle keys and
the outbox's messages are derived from that list. A card is pure: importing it loads no
I/O library, so ``config/`` may read it; its ``io`` loads the host's client and SQL only
when the app starts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from bot.core.paths.codeowners import CodeOwnersFormat
from bot.hosts.events import Parsed, PrRef

if TYPE_CHECKING:  # for annotations only: config/ imports the cards, not the other way
    from bot.hosts.base import HostIO
    from config.settings import Env, Secret


ROOT_CODEOWNERS = CodeOwnersFormat(("CODEOWNERS",))


class HostSettings(Protocol):
    """One host's settings: a frozen dataclass in its spec.py, read once at start."""

    @property
    def webhook_secret(self) -> Secret | None: ...


S = TypeVar("S", bound=HostSettings)


@dataclass(frozen=True, slots=True)
class HostSpec(Generic[S]):
    # The one name for the host: its webhook path ``/webhooks/<name>``, its PR-id prefix,
    # its handle key in the team file, its label in the outbox and in metrics.
    name: str
    pr_separator: str  # between the repository and the number in a PR id
    event_headers: tuple[str, ...]  # lower-case; the first one present names the event
    delivery_headers: tuple[str, ...]  # lower-case; the first one present is the delivery id
    # (headers, secret) -> None, or raises bot.core.errors.Unauthorized: run before the
    # body is read, it refuses what needs no body to refuse (a missing signature…).
    precheck: Callable[[Mapping[str, str], str], None]
    # (headers, raw body, secret) -> None, or raises bot.core.errors.Unauthorized.
    verify: Callable[[Mapping[str, str], bytes, str], None]
    parse: Callable[[str, Any], Parsed]  # (event name, decoded JSON object) -> typed result
    # Whether a repository path (``owner/name``, a project path) is one the host allows:
    # checked wherever a PR reference is parsed (bot.hosts.paths).
    valid_repo: Callable[[str], bool]
    # Its settings from the environment (names, defaults, secrets wrapped in Secret).
    read_settings: Callable[[Env], S]
    webhook_secret_variable: str  # named when a delivery arrives and no secret is set
    credentials: str  # what to set for post-backs, named when they fail for lack of it
    # The I/O half (REST client, SQL), imported on first call: config/ never loads it.
    io: Callable[[], HostIO[S]]
    # Every environment variable read_settings reads, for `reviewbot COMMAND --help`.
    variables: tuple[str, ...] = ()
    # Where the host looks for CODEOWNERS (in its documented order) and how it reads it.
    codeowners: CodeOwnersFormat = ROOT_CODEOWNERS
    # (settings, PR reference) -> the PR's page in a browser, or None when the settings do
    # not say where the host is. Pure: the dashboard links each host PR with it.
    web_url: Callable[[S, PrRef], str | None] | None = None
