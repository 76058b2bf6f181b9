"""``StateStore`` on Redis (redis.asyncio): several engine instances share agents and queue order.

Keys under ``prefix``: ``agent:<id>`` → the call it is reserved for, ``call:<id>`` → the agent,
both with the reservation's expiry; ``q:<queue>`` a sorted set of ``<seq>:<call>`` members by
score (the zero-padded sequence keeps ties in arrival order), ``qm:<queue>`` call → member,
``seq`` the arrival counter, ``qd:<queue>`` call → the entry's descriptor (several instances),
``inbox:<owner>`` the (call, agent) handed to an instance, ``alive:<owner>`` its liveness.
Reservation, release, queue moves and a handover are one Lua script each, so they are atomic
across instances.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from redis.asyncio import Redis

from routing.store import HEAD_SCAN, Handover, Heads, owner_prefix

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
if ARGV[3] and ARGV[3] ~= '' then redis.call('HSET', KEYS[4], ARGV[1], ARGV[3])
else redis.call('HDEL', KEYS[4], ARGV[1]) end
return seq
"""

_DEQUEUE = """
redis.call('HDEL', KEYS[3], ARGV[1])
local old = redis.call('HGET', KEYS[2], ARGV[1])
if not old then return 0 end
redis.call('ZREM', KEYS[1], old)
redis.call('HDEL', KEYS[2], ARGV[1])
return 1
"""

# KEYS: q, qm, qd; ARGV: count, scan, the descriptor prefix of the asking owner (its own entries are
# skipped). Returns {call, score, descriptor, ...}: up to count entries among the first scan.
_HEADS = """
local items = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1, 'WITHSCORES')
local out = {}
local mine = ARGV[3]
for i = 1, #items, 2 do
  local call = string.sub(items[i], 18)
  local desc = redis.call('HGET', KEYS[3], call) or ''
  if mine == '' or string.sub(desc, 1, #mine) ~= mine then
    out[#out + 1] = call
    out[#out + 1] = items[i + 1]
    out[#out + 1] = desc
    if #out >= 3 * tonumber(ARGV[1]) then break end
  end
end
return out
"""

# KEYS: agent, call, q, qm, qd, inbox, alive; ARGV: call, agent, ttl ms
_HANDOVER = """
local member = redis.call('HGET', KEYS[4], ARGV[1])
if not member then return 0 end
if redis.call('EXISTS', KEYS[7]) == 0 then
  redis.call('ZREM', KEYS[3], member)
  redis.call('HDEL', KEYS[4], ARGV[1])
  redis.call('HDEL', KEYS[5], ARGV[1])
  return 0
end
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
redis.call('RPUSH', KEYS[6], ARGV[1] .. ' ' .. ARGV[2])
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
        self._heads = client.register_script(_HEADS)
        self._handover = client.register_script(_HANDOVER)

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
        p = self.prefix
        return [f"{p}q:{queue}", f"{p}qm:{queue}", f"{p}seq", f"{p}qd:{queue}"]

    def _dequeue_keys(self, queue: str) -> list[str]:
        p = self.prefix
        return [f"{p}q:{queue}", f"{p}qm:{queue}", f"{p}qd:{queue}"]

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
        return None if value is None else _text(value)

    async def enqueue(self, queue: str, call_id: str, score: float, descriptor: str = "") -> None:
        await self._enqueue(keys=self._queue_keys(queue), args=[call_id, repr(float(score)), descriptor])

    async def dequeue(self, queue: str, call_id: str) -> None:
        await self._dequeue(keys=self._dequeue_keys(queue), args=[call_id])

    async def position(self, queue: str, call_id: str) -> int | None:
        rank: Any = await self._position(keys=self._queue_keys(queue)[:2], args=[call_id])
        return None if int(rank) < 0 else int(rank) + 1

    async def order(self, queue: str) -> list[str]:
        members: Any = await self._r.zrange(f"{self.prefix}q:{queue}", 0, -1)
        return [_text(m).split(":", 1)[1] for m in members]

    async def apply_queue_changes(self, changes: list[tuple[str, str, float | None]],
                                  descriptors: Mapping[str, str] | None = None) -> None:
        await self.commit(changes, [], [], descriptors=descriptors)

    async def heads(self, queues: Sequence[str], count: int, skip_owner: str = "") -> Heads:
        if not queues:
            return {}
        pipe = self._r.pipeline(transaction=False)
        mine = owner_prefix(skip_owner) if skip_owner else ""
        for queue in queues:
            await self._heads(keys=self._dequeue_keys(queue), args=[count, count * HEAD_SCAN, mine],
                              client=pipe)
        results: list[Any] = await pipe.execute()
        out: Heads = {}
        for queue, flat in zip(queues, results, strict=True):
            items = [_text(x) for x in flat]
            out[queue] = [(items[i], float(items[i + 1]), items[i + 2]) for i in range(0, len(items), 3)]
        return out

    async def take_handovers(self, owner: str, wait: float) -> list[tuple[str, str]]:
        key = f"{self.prefix}inbox:{owner}"
        raw: list[Any] = []
        if wait > 0:
            first: Any = await self._r.blpop([key], timeout=wait)
            if first is None:
                return []
            raw.append(first[1])
        rest: Any = await self._r.lpop(key, 1000)
        raw.extend(rest or [])
        pairs = [_text(item).split(" ", 1) for item in raw]
        return [(pair[0], pair[1]) for pair in pairs if len(pair) == 2]

    async def alive(self, owner: str, ttl: float) -> None:
        await self._r.set(f"{self.prefix}alive:{owner}", "1", px=max(1, int(ttl * 1000)))

    async def commit(self, changes: list[tuple[str, str, float | None]], releases: list[tuple[str, str]],
                     reserves: list[tuple[str, str, float]], handovers: Sequence[Handover] = (),
                     descriptors: Mapping[str, str] | None = None) -> list[bool]:
        """One pipelined round trip; each script in it is atomic on its own."""
        if not (changes or releases or reserves or handovers):
            return []
        pipe = self._r.pipeline(transaction=False)
        for queue, call_id, score in changes:
            if score is None:
                await self._dequeue(keys=self._dequeue_keys(queue), args=[call_id], client=pipe)
            else:
                descriptor = (descriptors or {}).get(call_id, "")
                await self._enqueue(keys=self._queue_keys(queue),
                                    args=[call_id, repr(float(score)), descriptor], client=pipe)
        for agent_id, call_id in releases:
            await self._release(keys=[self._agent(agent_id)], args=[call_id, agent_id, f"{self.prefix}call:"],
                                client=pipe)
        for agent_id, call_id, ttl in reserves:
            await self._reserve(keys=[self._agent(agent_id), self._call(call_id)],
                                args=[call_id, agent_id, max(1, int(ttl * 1000))], client=pipe)
        p = self.prefix
        for agent_id, queue, call_id, owner, ttl in handovers:
            keys = [self._agent(agent_id), self._call(call_id), *self._dequeue_keys(queue),
                    f"{p}inbox:{owner}", f"{p}alive:{owner}"]
            await self._handover(keys=keys, args=[call_id, agent_id, max(1, int(ttl * 1000))], client=pipe)
        results: list[Any] = await pipe.execute()
        wanted = len(reserves) + len(handovers)
        return [bool(r) for r in results[len(results) - wanted:]] if wanted else []


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
