"""The Redis cache the rate limits count in: Django's semantics, fewer round trips."""

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.cache import caches
from django.test import RequestFactory
from django_ratelimit.core import get_usage

from conftest import needs
from payments_service.cache import RedisCache

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
    redis = cache._cache.get_client(write=True)
    (stored,) = redis.keys(f"*{settings.RATELIMIT_CACHE_PREFIX}*")  # the one window's counter
    assert 0 < redis.ttl(stored) <= 3600 + 5
