"""The shared store the AI path waits on without holding a thread: redis-py's asyncio client
when the cache is Redis, else Django's own cache (the local-memory one of the embedded
defaults, which never waits on anything).

The entries are Django's cache entries: the same key prefix and version and, on Redis, the
values encoded as django-redis encodes them, so the admin's cache page, the rate limits' and
the staff page's sync code, and this module all see one cache.
"""

from __future__ import annotations

from typing import Any, Protocol

import redis.asyncio
from django.conf import settings
from django.core.cache import caches
from django_redis.cache import RedisCache

from consultations.llm.loop_clients import LoopClients


class SharedStore(Protocol):
    async def get(self, key: str, default: Any = None) -> Any: ...

    async def add(self, key: str, value: Any, timeout: float) -> bool:
        """Store `value` unless `key` holds one already; whether it was stored."""
        ...

    async def set(self, key: str, value: Any, timeout: float) -> None: ...

    async def delete(self, key: str) -> bool: ...

    async def count(self, windows: list[tuple[str, int]]) -> list[int]:
        """Count one more in each `(key, seconds)` window, atomically; the counts, in order.
        A window's first count sets its end."""
        ...

    # A lock is a key holding its holder's token; these take one round trip each on Redis.

    async def claim(
        self, lock: str, token: str, timeout: float, *, key: str, default: Any = None
    ) -> tuple[bool, Any]:
        """Take `lock` for `token` unless it is held; whether it was taken, with the value
        under `key` as it is now."""
        ...

    async def release(self, lock: str, token: str) -> None:
        """Free `lock` if `token` still holds it (it may have expired, and another taken it)."""
        ...

    async def set_and_release(
        self, key: str, value: Any, timeout: float, *, lock: str, token: str
    ) -> None:
        """`set(key, value, timeout)`, then `release(lock, token)`."""
        ...


def shared_store() -> SharedStore:
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        return _RedisStore(backend)
    return _DjangoStore(backend)


# One client (and its connections) per event loop and Redis address: an asyncio client
# belongs to the loop it first ran in.
_clients: LoopClients[redis.asyncio.Redis] = LoopClients(close=lambda client: client.aclose())


class _RedisStore:
    def __init__(self, backend: RedisCache) -> None:
        self.backend = backend
        self.codec = backend.client  # django-redis's encode/decode, for the same bytes

    def _redis(self) -> redis.asyncio.Redis:
        config = settings.CACHES["default"]
        location, options = config["LOCATION"], config.get("OPTIONS", {})
        return _clients.get(
            lambda: redis.asyncio.Redis.from_url(
                location,
                socket_timeout=options.get("SOCKET_TIMEOUT"),
                socket_connect_timeout=options.get("SOCKET_CONNECT_TIMEOUT"),
            ),
            key=location,
        )

    def _key(self, key: str) -> str:
        return self.backend.make_and_validate_key(key)

    async def get(self, key: str, default: Any = None) -> Any:
        raw = await self._redis().get(self._key(key))
        return default if raw is None else self.codec.decode(raw)

    async def add(self, key: str, value: Any, timeout: float) -> bool:
        stored = await self._redis().set(
            self._key(key), self.codec.encode(value), px=_ms(timeout), nx=True
        )
        return bool(stored)

    async def set(self, key: str, value: Any, timeout: float) -> None:
        await self._redis().set(self._key(key), self.codec.encode(value), px=_ms(timeout))

    async def delete(self, key: str) -> bool:
        return bool(await self._redis().delete(self._key(key)))

    async def count(self, windows: list[tuple[str, int]]) -> list[int]:
        # One round trip: INCR, and EXPIRE NX so that only a window's first count sets its end.
        pipe = self._redis().pipeline(transaction=False)
        for key, seconds in windows:
            redis_key = self._key(key)
            pipe.incr(redis_key)
            pipe.expire(redis_key, seconds, nx=True)
        return (await pipe.execute())[::2]

    async def claim(
        self, lock: str, token: str, timeout: float, *, key: str, default: Any = None
    ) -> tuple[bool, Any]:
        pipe = self._redis().pipeline(transaction=False)
        pipe.set(self._key(lock), self.codec.encode(token), px=_ms(timeout), nx=True)
        pipe.get(self._key(key))
        taken, raw = await pipe.execute()
        return bool(taken), default if raw is None else self.codec.decode(raw)

    async def release(self, lock: str, token: str) -> None:
        await self._redis().eval(_RELEASE, 1, self._key(lock), self.codec.encode(token))

    async def set_and_release(
        self, key: str, value: Any, timeout: float, *, lock: str, token: str
    ) -> None:
        pipe = self._redis().pipeline(transaction=False)
        pipe.set(self._key(key), self.codec.encode(value), px=_ms(timeout))
        pipe.eval(_RELEASE, 1, self._key(lock), self.codec.encode(token))
        await pipe.execute()


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


# Deletes KEYS[1] when it holds ARGV[1] (encoded as the values are): atomic on the server.
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


class _DjangoStore:
    """Any other Django cache, called in place: the local-memory cache answers at once."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend

    async def get(self, key: str, default: Any = None) -> Any:
        return self.backend.get(key, default)

    async def add(self, key: str, value: Any, timeout: float) -> bool:
        return self.backend.add(key, value, timeout)

    async def set(self, key: str, value: Any, timeout: float) -> None:
        self.backend.set(key, value, timeout)

    async def delete(self, key: str) -> bool:
        return self.backend.delete(key)

    async def count(self, windows: list[tuple[str, int]]) -> list[int]:
        counts = []
        for key, seconds in windows:
            self.backend.add(key, 0, timeout=seconds)
            try:
                counts.append(self.backend.incr(key))
            except ValueError:  # the counter expired between add and incr: its first count
                self.backend.add(key, 1, timeout=seconds)
                counts.append(1)
        return counts

    async def claim(
        self, lock: str, token: str, timeout: float, *, key: str, default: Any = None
    ) -> tuple[bool, Any]:
        return self.backend.add(lock, token, timeout), self.backend.get(key, default)

    async def release(self, lock: str, token: str) -> None:
        # Not atomic between threads: at worst a lock another caller just took is freed, and
        # a key is computed once more. Never a wrong value.
        if self.backend.get(lock) == token:
            self.backend.delete(lock)

    async def set_and_release(
        self, key: str, value: Any, timeout: float, *, lock: str, token: str
    ) -> None:
        self.backend.set(key, value, timeout)
        await self.release(lock, token)
