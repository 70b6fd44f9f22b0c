"""What the endpoints use, in one typed object: the only place that reads ``app.state``."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry
from starlette.requests import Request

from bot.services.dashboard import Dashboard
from bot.services.deactivation import Deactivations
from bot.services.deliveries import WebhookSync
from bot.services.outbox_admin import OutboxAdmin
from bot.services.pull_requests import PullRequests
from bot.services.readiness import Readiness
from bot.services.review_reads import ReviewReads
from bot.services.simulate import Simulator
from bot.services.stats import Stats
from bot.services.team_config import TeamsReloader
from bot.services.teams import Teams
from bot.services.users import Users
from config.settings import Settings


@dataclass(frozen=True)
class Services:
    settings: Settings
    teams: Teams
    users: Users
    pull_requests: PullRequests
    deactivations: Deactivations
    stats: Stats
    teams_reloader: TeamsReloader | None  # None: TEAMS_FILE is not set
    deliveries: WebhookSync
    outbox: OutboxAdmin
    metrics_registry: CollectorRegistry  # this process's resource gauges
    readiness: Readiness
    dashboard: Dashboard
    simulator: Simulator
    review_reads: ReviewReads


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


def services_if_started(request: Request) -> Services | None:
    """The services, or None before the lifespan has built them (a scrape during start)."""
    found: Services | None = getattr(request.app.state, "services", None)
    return found
