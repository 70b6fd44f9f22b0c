"""Every error the service can answer with, in one tree.

    ReviewbotError                 (code, message; mapped to HTTP once, in handlers/errors.py)
    ├── BadRequest                 400 BAD_REQUEST   malformed JSON, missing or mistyped field
    ├── Unauthorized               401 UNAUTHORIZED  missing or wrong token or webhook signature
    │   └── PayloadTooLarge        413 PAYLOAD_TOO_LARGE  (handlers/codec.py: request bodies)
    ├── WebhookNotConfigured       403 WEBHOOK_NOT_CONFIGURED  the host's secret is not set
    ├── NotFound                   404 NOT_FOUND     no such team, user or pull request
    ├── TeamExists                 400 TEAM_EXISTS
    ├── PrExists                   409 PR_EXISTS
    ├── PrMerged                   409 PR_MERGED     reviewers of a merged PR never change
    ├── NotAssigned                409 NOT_ASSIGNED  the user is not a reviewer of the PR
    ├── NoCandidate                409 NO_CANDIDATE  nobody is left to take the review
    ├── NoTeamsFile                409 NO_TEAMS_FILE  reload asked but TEAMS_FILE is not set
    ├── UnsupportedMediaType       415 UNSUPPORTED_MEDIA_TYPE  a webhook delivery that is not JSON
    ├── TeamsFileInvalid           422 INVALID_TEAMS_FILE  reload refused; the running config stays
    └── Busy                       503 BUSY          bulk deactivation kept losing lock races

The HTTP status lives with the error so the mapping is one table, not a chain of ifs.
"""

from __future__ import annotations


class ReviewbotError(Exception):
    status = 500
    code = "INTERNAL"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(ReviewbotError):
    status = 400
    code = "BAD_REQUEST"


class Unauthorized(ReviewbotError):
    status = 401
    code = "UNAUTHORIZED"


class NotFound(ReviewbotError):
    status = 404
    code = "NOT_FOUND"


class TeamExists(ReviewbotError):
    status = 400
    code = "TEAM_EXISTS"


class PrExists(ReviewbotError):
    status = 409
    code = "PR_EXISTS"


class PrMerged(ReviewbotError):
    status = 409
    code = "PR_MERGED"


class NotAssigned(ReviewbotError):
    status = 409
    code = "NOT_ASSIGNED"


class NoCandidate(ReviewbotError):
    status = 409
    code = "NO_CANDIDATE"


class WebhookNotConfigured(ReviewbotError):
    status = 403
    code = "WEBHOOK_NOT_CONFIGURED"


class NoTeamsFile(ReviewbotError):
    status = 409
    code = "NO_TEAMS_FILE"


class UnsupportedMediaType(ReviewbotError):
    status = 415
    code = "UNSUPPORTED_MEDIA_TYPE"


class TeamsFileInvalid(ReviewbotError):
    status = 422
    code = "INVALID_TEAMS_FILE"


class Busy(ReviewbotError):
    """Concurrent writers kept winning the locks we need; nothing was applied."""

    status = 503
    code = "BUSY"
