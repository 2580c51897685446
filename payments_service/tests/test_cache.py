"""The Redis cache the rate limits count in (django-redis): Django's semantics, and a rate limit's
count in one round trip, in the counter django-ratelimit's get_usage keeps (so that processes of
the release before, which count with get_usage, count together with these)."""

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.cache import caches
from django.test import RequestFactory
from django_ratelimit.core import get_usage
from django_redis import get_redis_connection
from django_redis.cache import RedisCache

from conftest import needs
from payments_service.ratelimit import rate_allows

pytestmark = needs("Redis", "REDIS_URL")


@pytest.fixture
def cache():
    return caches["default"]


def test_the_redis_cache_is_this_one(cache):
    assert isinstance(cache, RedisCache)


def test_incr_of_a_missing_key_raises_like_django_and_creates_nothing(cache):
    key = f"test:{uuid.uuid4().hex}"
    with pytest.raises(ValueError):
        cache.incr(key)
    assert cache.get(key) is None


def test_counts_from_many_threads_are_exact_and_expire_with_their_window(cache, settings):
    group = f"test-{uuid.uuid4().hex}"

    def hit(_):
        return rate_allows(None, group=group, key="app", rate="150/h")[0]

    with ThreadPoolExecutor(max_workers=8) as pool:
        allowed = list(pool.map(hit, range(200)))
    assert allowed.count(True) == 150
    assert _usage(group, "150/h")["count"] == 200
    redis = get_redis_connection()
    (stored,) = redis.keys(f"*{settings.RATELIMIT_CACHE_PREFIX}*")  # the one window's counter
    assert 0 < redis.ttl(stored) <= 3600 + 5


def _usage(group: str, rate: str, *, increment: bool = False) -> dict:
    request = RequestFactory().get("/")
    return get_usage(request, group=group, key=lambda *_: "app", rate=rate, increment=increment)


def test_the_count_is_django_ratelimits_counter_both_ways(cache):
    group = f"test-{uuid.uuid4().hex}"
    assert [_usage(group, "3/h", increment=True)["count"] for _ in range(2)] == [1, 2]
    assert rate_allows(None, group=group, key="app", rate="3/h")[0] is True  # the third
    allowed, time_left = rate_allows(None, group=group, key="app", rate="3/h")
    assert allowed is False
    usage = _usage(group, "3/h")
    assert usage["count"] == 4 and usage["should_limit"]
    # Retry-After's seconds: the window's end, as get_usage tells it (a second may tick between)
    assert usage["time_left"] <= time_left <= usage["time_left"] + 1 <= 3600 + 1
    assert _usage(group, "3/h", increment=True)["count"] == 5


def test_a_rate_limit_count_is_one_round_trip(cache, settings):
    db = get_redis_connection().connection_pool.connection_kwargs.get("db", 0)
    group = f"test-{uuid.uuid4().hex}"
    sentinel = f"end-{group}"
    with get_redis_connection().monitor() as monitor:
        for _ in range(3):
            rate_allows(None, group=group, key="app", rate="1000/h")
        get_redis_connection().echo(sentinel)
        sent = []
        while (command := monitor.next_command())["command"] != f"ECHO {sentinel}":
            # Other processes' commands pass too, and a script's own calls show as "lua".
            ours = command["db"] == db and settings.RATELIMIT_CACHE_PREFIX in command["command"]
            if ours and command["client_type"] != "lua":
                sent.append(command["command"].split()[0])
    # One script per count: INCR, and EXPIRE on the window's first (get_usage: SET NX + EVAL).
    assert sent == ["EVAL", "EVAL", "EVAL"]
