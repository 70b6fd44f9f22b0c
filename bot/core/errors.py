"""Every error the service can answer with, in one tree.

    ReviewbotError                 message; the edge (handlers/errors.py) maps each class
    │                              to an HTTP status and the contract's error code
    ├── BadRequest                 malformed JSON, a missing or mistyped field
    │   ├── PayloadTooLarge        a request body over its size limit
    │   └── RequestTimeout         a request body not received within its deadline
    ├── Unauthorized               a missing or wrong token or webhook signature
    ├── Forbidden                  signed in, but not allowed (a user's retry, a bad CSRF token)
    ├── WebhookNotConfigured       the host's webhook secret is not set
    ├── NotFound                   no such team, user or pull request
    ├── TeamExists
    ├── PrExists
    ├── PrMerged                   reviewers of a merged PR never change
    ├── NotAssigned                the user is not a reviewer of the PR
    ├── NoCandidate                nobody is left to take the review
    ├── NoTeamsFile                a reload was asked but TEAMS_FILE is not set
    ├── UnsupportedMediaType       a webhook delivery that is not JSON
    ├── TeamsFileInvalid           a reload was refused; the running config stays
    ├── Busy                       bulk deactivation kept losing lock races
    ├── SimulationTooLarge         a replay beyond its limits (window, PRs or time)
    └── Unavailable                PostgreSQL cannot be reached (down, restarting, full)

No HTTP here: whether an error is a 404 or a 409 is the edge's business, decided in one
table there (a test checks that every class in this module has a row).
"""

from __future__ import annotations


class ReviewbotError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(ReviewbotError):
    pass


class PayloadTooLarge(BadRequest):
    pass


class RequestTimeout(BadRequest):
    """The client did not send the whole body in time; nothing was applied."""


class Unauthorized(ReviewbotError):
    pass


class Forbidden(ReviewbotError):
    pass


class WebhookNotConfigured(ReviewbotError):
    pass


class NotFound(ReviewbotError):
    pass


class TeamExists(ReviewbotError):
    pass


class PrExists(ReviewbotError):
    pass


class PrMerged(ReviewbotError):
    pass


class NotAssigned(ReviewbotError):
    pass


class NoCandidate(ReviewbotError):
    pass


class NoTeamsFile(ReviewbotError):
    pass


class UnsupportedMediaType(ReviewbotError):
    pass


class TeamsFileInvalid(ReviewbotError):
    pass


class Busy(ReviewbotError):
    """Concurrent writers kept winning the locks we need; nothing was applied."""


class Unavailable(ReviewbotError):
    """The store cannot be used right now; nothing was applied, the client may retry."""


class SimulationTooLarge(ReviewbotError):
    """A replay asked for more than its limits allow (its window, PRs or time budget)."""
