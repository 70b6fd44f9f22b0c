"""Webhook-specific errors; they join the tree in ``bot.core.errors`` (mapped once, at the edge).

ReviewbotError
├── Unauthorized (core)     401  missing or wrong signature / token
├── WebhookNotConfigured    403  the host's secret variable is not set
└── UnsupportedMediaType    415  the delivery is not JSON
"""

from __future__ import annotations

from bot.core.errors import ReviewbotError


class WebhookNotConfigured(ReviewbotError):
    status = 403
    code = "WEBHOOK_NOT_CONFIGURED"


class UnsupportedMediaType(ReviewbotError):
    status = 415
    code = "UNSUPPORTED_MEDIA_TYPE"
