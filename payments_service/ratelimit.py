"""Rate limits as DRF throttles, counted in the shared cache (Redis in production, so every
process counts together). Exceeding one answers 429 with Retry-After.

django-ratelimit defines the rates (`600/m`), the fixed windows and the counters' keys. On Redis
(django-redis) one script counts: INCR, and EXPIRE on a window's first count, one round trip where
django-ratelimit's get_usage makes two (SET NX, then incr's EVAL). On any other cache (local
memory in development) get_usage counts, in the same keys. Its helpers are private: the version
is pinned, and test_cache.py proves through get_usage that both count in one counter."""

import logging
import time

from django.conf import settings
from django.core.cache import caches
from django_ratelimit.core import (
    EXPIRATION_FUDGE,
    _get_window,
    _make_cache_key,
    _split_rate,
    get_usage,
)
from django_redis.cache import RedisCache
from rest_framework.throttling import BaseThrottle

logger = logging.getLogger(__name__)

# KEYS[1]: a window's counter; ARGV[1]: its lifetime, given when the window's first count makes it
# (as get_usage's SET NX does), never extended by later counts.
_COUNT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""


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
    cache = caches["default"]
    try:
        if isinstance(cache, RedisCache):
            return _count_in_redis(cache, group=group, key=key, rate=rate)
        usage = get_usage(request, group=group, key=lambda *_: key, rate=rate, increment=True)
    except Exception:  # a cache outage must not take payments down with it
        logger.warning("rate limit %s not checked: cache unavailable", group)
        return True, 0
    if not usage:  # RATELIMIT_FAIL_OPEN: the cache did not answer
        return True, 0
    return not usage["should_limit"], usage["time_left"]


def _count_in_redis(cache: RedisCache, *, group: str, key: str, rate: str) -> tuple[bool, int]:
    """get_usage's count (same key, window and lifetime) in one round trip."""
    limit, period = _split_rate(rate)
    window = _get_window(key, period)
    name = cache.client.make_key(_make_cache_key(group, window, rate, key, get_usage.ALL))
    count = cache.client.get_client(write=True).eval(_COUNT, 1, name, period + EXPIRATION_FUDGE)
    return count <= limit, window - int(time.time())


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
