import functools
import logging

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


def forgiving(fallback):
    """Answer `fallback` (a cache miss, nothing stored) when Redis cannot be reached."""

    def decorate(method):
        @functools.wraps(method)
        def call(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except RedisError as error:
                logger.warning("Redis unreachable, answering without the cache: %s", error)
                return fallback(*args, **kwargs) if callable(fallback) else fallback

        return call

    return decorate


def default_of(key, default=None, version=None):
    return default


def counted_once(key, delta=1, version=None):
    # A counter that cannot be read counts this call only: rate limits fail open.
    return delta


class ForgivingRedisCache(RedisCache):
    """Django's RedisCache that behaves as an empty cache while Redis is unreachable: pages
    are computed again, more slowly, and nothing fails. Each failed call gives up after the
    socket timeout of CACHES["default"]["OPTIONS"] and logs a warning.

    `ping()` still raises, for the health check."""

    get = forgiving(default_of)(RedisCache.get)
    set = forgiving(None)(RedisCache.set)
    add = forgiving(False)(RedisCache.add)
    touch = forgiving(False)(RedisCache.touch)
    delete = forgiving(False)(RedisCache.delete)
    get_many = forgiving({})(RedisCache.get_many)
    set_many = forgiving([])(RedisCache.set_many)
    delete_many = forgiving(None)(RedisCache.delete_many)
    has_key = forgiving(False)(RedisCache.has_key)
    clear = forgiving(False)(RedisCache.clear)
    incr = forgiving(counted_once)(RedisCache.incr)

    def ping(self):
        return self._cache.get_client(write=False).ping()
