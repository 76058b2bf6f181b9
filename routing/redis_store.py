"""``StateStore`` on Redis (redis.asyncio): several engine instances share agents and queue order.

Keys under ``prefix``: ``agent:<id>`` → the call it is reserved for, ``call:<id>`` → the agent,
both with the reservation's expiry; ``q:<queue>`` a sorted set of ``<seq>:<call>`` members by
score (the zero-padded sequence keeps ties in arrival order), ``qm:<queue>`` call → member,
``seq`` the arrival counter. Reservation, release and queue moves are one Lua script each, so
they are atomic across instances.
"""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

_RESERVE = """
local a = redis.call('GET', KEYS[1])
if a and a ~= ARGV[1] then return 0 end
local c = redis.call('GET', KEYS[2])
if c and c ~= ARGV[2] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
return 1
"""

_REFRESH = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
return 1
"""

_RELEASE = """
local a = redis.call('GET', KEYS[1])
if not a then return 0 end
if ARGV[1] ~= '' and a ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
local ck = ARGV[3] .. a
if redis.call('GET', ck) == ARGV[2] then redis.call('DEL', ck) end
return 1
"""

_ENQUEUE = """
local old = redis.call('HGET', KEYS[2], ARGV[1])
if old then redis.call('ZREM', KEYS[1], old) end
local seq = redis.call('INCR', KEYS[3])
local member = string.format('%016d', seq) .. ':' .. ARGV[1]
redis.call('ZADD', KEYS[1], ARGV[2], member)
redis.call('HSET', KEYS[2], ARGV[1], member)
return seq
"""

_DEQUEUE = """
local old = redis.call('HGET', KEYS[2], ARGV[1])
if not old then return 0 end
redis.call('ZREM', KEYS[1], old)
redis.call('HDEL', KEYS[2], ARGV[1])
return 1
"""

_POSITION = """
local member = redis.call('HGET', KEYS[2], ARGV[1])
if not member then return -1 end
return redis.call('ZRANK', KEYS[1], member)
"""


class RedisStore:
    def __init__(self, client: Redis, prefix: str = "cc:routing:") -> None:
        self._r = client
        self.prefix = prefix
        self._reserve = client.register_script(_RESERVE)
        self._refresh = client.register_script(_REFRESH)
        self._release = client.register_script(_RELEASE)
        self._enqueue = client.register_script(_ENQUEUE)
        self._dequeue = client.register_script(_DEQUEUE)
        self._position = client.register_script(_POSITION)

    @classmethod
    def from_url(cls, url: str, prefix: str = "cc:routing:") -> RedisStore:
        return cls(Redis.from_url(url, decode_responses=True), prefix)

    async def close(self) -> None:
        await self._r.aclose()

    def _agent(self, agent_id: str) -> str:
        return f"{self.prefix}agent:{agent_id}"

    def _call(self, call_id: str) -> str:
        return f"{self.prefix}call:{call_id}"

    def _queue_keys(self, queue: str) -> list[str]:
        return [f"{self.prefix}q:{queue}", f"{self.prefix}qm:{queue}", f"{self.prefix}seq"]

    async def reserve(self, agent_id: str, call_id: str, ttl: float) -> bool:
        done: Any = await self._reserve(keys=[self._agent(agent_id), self._call(call_id)],
                                        args=[call_id, agent_id, max(1, int(ttl * 1000))])
        return bool(done)

    async def refresh(self, agent_id: str, call_id: str, ttl: float) -> bool:
        done: Any = await self._refresh(keys=[self._agent(agent_id), self._call(call_id)],
                                        args=[call_id, agent_id, max(1, int(ttl * 1000))])
        return bool(done)

    async def release(self, agent_id: str, call_id: str = "") -> bool:
        done: Any = await self._release(keys=[self._agent(agent_id)],
                                        args=[call_id, agent_id, f"{self.prefix}call:"])
        return bool(done)

    async def holder(self, agent_id: str) -> str | None:
        value: Any = await self._r.get(self._agent(agent_id))
        return None if value is None else str(value)

    async def enqueue(self, queue: str, call_id: str, score: float) -> None:
        await self._enqueue(keys=self._queue_keys(queue), args=[call_id, repr(float(score))])

    async def dequeue(self, queue: str, call_id: str) -> None:
        await self._dequeue(keys=self._queue_keys(queue)[:2], args=[call_id])

    async def position(self, queue: str, call_id: str) -> int | None:
        rank: Any = await self._position(keys=self._queue_keys(queue)[:2], args=[call_id])
        return None if int(rank) < 0 else int(rank) + 1

    async def order(self, queue: str) -> list[str]:
        members: Any = await self._r.zrange(f"{self.prefix}q:{queue}", 0, -1)
        return [str(m).split(":", 1)[1] for m in members]

    async def apply_queue_changes(self, changes: list[tuple[str, str, float | None]]) -> None:
        await self.commit(changes, [], [])

    async def commit(self, changes: list[tuple[str, str, float | None]], releases: list[tuple[str, str]],
                     reserves: list[tuple[str, str, float]]) -> list[bool]:
        """One pipelined round trip; each script in it is atomic on its own."""
        if not (changes or releases or reserves):
            return []
        pipe = self._r.pipeline(transaction=False)
        for queue, call_id, score in changes:
            keys = self._queue_keys(queue)
            if score is None:
                await self._dequeue(keys=keys[:2], args=[call_id], client=pipe)
            else:
                await self._enqueue(keys=keys, args=[call_id, repr(float(score))], client=pipe)
        for agent_id, call_id in releases:
            await self._release(keys=[self._agent(agent_id)], args=[call_id, agent_id, f"{self.prefix}call:"],
                                client=pipe)
        for agent_id, call_id, ttl in reserves:
            await self._reserve(keys=[self._agent(agent_id), self._call(call_id)],
                                args=[call_id, agent_id, max(1, int(ttl * 1000))], client=pipe)
        results: list[Any] = await pipe.execute()
        return [bool(r) for r in results[len(results) - len(reserves):]] if reserves else []
