"""The Redis cache the rate limits count in (django-redis): Django's semantics, one round trip
for each of django-ratelimit's two steps."""

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.cache import caches
from django.test import RequestFactory
from django_ratelimit.core import get_usage
from django_redis import get_redis_connection
from django_redis.cache import RedisCache

from conftest import needs

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
    key = f"test:{uuid.uuid4().hex}"
    request = RequestFactory().get("/")

    def hit(_):
        usage = get_usage(request, group=key, key=lambda *_: "app", rate="1000/h", increment=True)
        return usage["count"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        counts = sorted(pool.map(hit, range(200)))
    assert counts == list(range(1, 201))
    redis = get_redis_connection()
    (stored,) = redis.keys(f"*{settings.RATELIMIT_CACHE_PREFIX}*")  # the one window's counter
    assert 0 < redis.ttl(stored) <= 3600 + 5


def test_a_rate_limit_count_is_one_add_and_one_incr_round_trip(cache, settings):
    db = get_redis_connection().connection_pool.connection_kwargs.get("db", 0)
    group = f"test-{uuid.uuid4().hex}"
    request = RequestFactory().get("/")
    sentinel = f"end-{group}"
    with get_redis_connection().monitor() as monitor:
        for _ in range(3):
            get_usage(request, group=group, key=lambda *_: "app", rate="1000/h", increment=True)
        get_redis_connection().echo(sentinel)
        sent = []
        while (command := monitor.next_command())["command"] != f"ECHO {sentinel}":
            # Other processes' commands pass too, and a script's own calls show as "lua".
            ours = command["db"] == db and settings.RATELIMIT_CACHE_PREFIX in command["command"]
            if ours and command["client_type"] != "lua":
                sent.append(command["command"].split()[0])
    # The first request's SET NX makes the counter; each later one is SET NX (refused) + EVAL.
    assert sent == ["SET", "SET", "EVAL", "SET", "EVAL"]
