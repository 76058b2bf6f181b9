"""The login limiter for several server processes: the same sliding window as the in-memory one,
kept in Redis (one sorted set of attempt times per key), each step one Lua script so that counting
an attempt and checking the limit stay one atomic step across processes. Redis's own clock is used,
so the processes need not agree on the time.

``create_app`` uses it when ``settings.redis_url`` is set (``build_redis_limiter``).
"""

from __future__ import annotations

import uuid

from redis.asyncio import Redis

_PRUNE_AND_COUNT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local window = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local n = redis.call('ZCARD', KEYS[1])
local wait = 0
if n >= tonumber(ARGV[2]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  wait = tonumber(oldest[2]) + window - now
  if wait < 0 then wait = 0 end
end
"""

_ATTEMPT = _PRUNE_AND_COUNT + """
if wait == 0 and ARGV[3] == '1' then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000))
end
return tostring(wait)
"""


class RedisLoginLimiter:
    """At most ``max_failures`` attempts per ``window_seconds`` per key, shared by every process."""

    def __init__(self, redis: Redis, max_failures: int = 5, window_seconds: float = 60.0, *,
                 prefix: str = "callcenter:login:") -> None:
        if max_failures < 1 or window_seconds <= 0:
            raise ValueError("max_failures must be >= 1 and window_seconds > 0")
        self.redis = redis
        self.max_failures = max_failures
        self.window_seconds = window_seconds
        self.prefix = prefix
        self._script = redis.register_script(_ATTEMPT)

    async def _run(self, key: str, *, record: bool) -> float:
        result = await self._script(
            keys=[self.prefix + key],
            args=[self.window_seconds, self.max_failures, "1" if record else "0", uuid.uuid4().hex],
        )
        return float(result)

    async def attempt(self, key: str) -> float:
        return await self._run(key, record=True)

    async def retry_after(self, key: str) -> float:
        return await self._run(key, record=False)

    async def failed(self, key: str) -> None:
        await self.redis.zadd(self.prefix + key, {uuid.uuid4().hex: float((await self.redis.time())[0])})

    async def succeeded(self, key: str) -> None:
        await self.redis.delete(self.prefix + key)


def build_redis_limiter(
    redis_url: str, max_failures: int = 5, window_seconds: float = 60.0
) -> RedisLoginLimiter:
    return RedisLoginLimiter(Redis.from_url(redis_url), max_failures, window_seconds)
