"""The shared cache (Redis in production), tuned for what uses it on every request: the rate
limits' counters (django-ratelimit: `add`, then `incr`)."""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient

# INCRBY only an existing key, as Django's `incr` does, in one round trip instead of two.
_INCR_EXISTING = (
    "if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('INCRBY', KEYS[1], ARGV[1]) "
    "end return false"
)


class _Client(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        # A redis.Redis is thread-safe; Django builds a new one on every call, which cost more
        # CPU than the round trip itself.
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._client(connection_pool=self._get_connection_pool(write))
            self._clients[index] = client
        return client

    def incr(self, key, delta):
        count = self.get_client(key, write=True).eval(_INCR_EXISTING, 1, key, delta)
        if count is None:
            raise ValueError(f"Key {key!r} not found.")
        return count


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _Client
