"""Rate limits as DRF throttles, counted by django-ratelimit in the shared cache (Redis in
production, so every process counts together). Exceeding one answers 429 with Retry-After."""

import logging

from django.conf import settings
from django_ratelimit.core import get_usage
from rest_framework.throttling import BaseThrottle

logger = logging.getLogger(__name__)


def client_ip(request) -> str:
    """The caller's address: the peer, or the entry that the last trusted proxy appended."""
    hops = settings.TRUSTED_PROXY_HOPS
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if hops and len(forwarded) >= hops and forwarded[-hops]:
        return forwarded[-hops]
    return request.META.get("REMOTE_ADDR", "")


def rate_allows(request, *, group: str, key: str, rate: str) -> tuple[bool, int]:
    """Counts one event of `key` in `group`: whether it is within `rate`, and the seconds left
    in the current window. A cache outage allows it. `request` may be None for events that are
    not one caller's (the key is given, so django-ratelimit does not read it)."""
    try:
        usage = get_usage(request, group=group, key=lambda *_: key, rate=rate, increment=True)
    except Exception:  # a cache outage must not take payments down with it
        logger.warning("rate limit %s not checked: cache unavailable", group)
        return True, 0
    if not usage:  # RATELIMIT_FAIL_OPEN: the cache did not answer
        return True, 0
    return not usage["should_limit"], usage["time_left"]


class _RateLimit(BaseThrottle):
    group: str
    rate_setting: str

    def key(self, request) -> str:
        raise NotImplementedError

    def allow_request(self, request, view) -> bool:
        allowed, self.time_left = rate_allows(
            request,
            group=self.group,
            key=str(self.key(request)),
            rate=getattr(settings, self.rate_setting),
        )
        return allowed

    def wait(self) -> int:
        return max(1, self.time_left)


class ClientAppRateLimit(_RateLimit):
    group = "client-app"
    rate_setting = "RATE_LIMIT_CLIENT_APP"

    def key(self, request) -> str:
        return request.user.pk


class ConfirmIpRateLimit(_RateLimit):
    group = "confirm-ip"
    rate_setting = "RATE_LIMIT_CONFIRM_IP"

    def key(self, request) -> str:
        return client_ip(request)
