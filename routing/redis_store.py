"""``StateStore`` on Redis (redis.asyncio): several engine instances share agents and queue order.

Keys under ``prefix``: ``agent:<id>`` → the call it is reserved for, ``call:<id>`` → the agent,
both with the reservation's expiry; ``q:<queue>`` a sorted set of ``<seq>:<call>`` members by
score (the zero-padded sequence keeps ties in arrival order), ``qm:<queue>`` call → member,
``seq`` the arrival counter, ``qd:<queue>`` call → the entry's descriptor (several instances),
``inbox:<owner>`` the (call, agent) handed to an instance, ``alive:<owner>`` its liveness.
Reservation, release, queue moves and a handover are one Lua script each, so they are atomic
across instances; ``commit`` runs all of one decision's in one script (``_COMMIT``: one round
trip, atomic as a whole), ``heads`` reads all the queues asked for in one; both on a connection
of their own (``_ScriptLink``).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import NoScriptError

from routing.store import HEAD_SCAN, Handover, Heads, owner_prefix

_REFRESH = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
return 1
"""

# KEYS: (agent, call) per reservation; ARGV: ttl ms, then (call, agent) per reservation
_REFRESH_MANY = """
local out = {}
for i = 1, #KEYS, 2 do
  local call, agent = ARGV[i + 1], ARGV[i + 2]
  if redis.call('GET', KEYS[i]) == call then
    redis.call('PEXPIRE', KEYS[i], ARGV[1])
    redis.call('SET', KEYS[i + 1], agent, 'PX', ARGV[1])
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
return out
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

_POSITION = """
local member = redis.call('HGET', KEYS[2], ARGV[1])
if not member then return -1 end
return redis.call('ZRANK', KEYS[1], member)
"""

# One decision's store work in one script (one round trip, atomic as a whole): ARGV[1] the prefix of
# call keys, then operations in order, each an op code and its arguments, with its keys next in KEYS:
#   E call score descriptor   (q, qm, seq, qd)   enqueue: a member ``<seq>:<call>`` by score, the
#                                                descriptor kept (or dropped when empty)
#   D call                    (q, qm, qd)        dequeue
#   R call agent              (agent)            release the agent if it holds ``call`` ('' = any)
#   V call agent ttl          (agent, call)      reserve unless either is held by another: 1/0
#   H call agent ttl          (agent, call, q, qm, qd, inbox, alive)
#                                                handover: the agent reserved for another instance's
#                                                queued call and ``call agent`` left in its inbox, if
#                                                the owner is alive (else its entry goes): 1/0
# Returns the results of the V and H operations, in order.
_COMMIT = """
local prefix = ARGV[1]
local k, a = 1, 2
local out = {}
local n = #ARGV
while a <= n do
  local op = ARGV[a]
  if op == 'E' then
    local q, qm, sq, qd = KEYS[k], KEYS[k + 1], KEYS[k + 2], KEYS[k + 3]
    local call, score, desc = ARGV[a + 1], ARGV[a + 2], ARGV[a + 3]
    k = k + 4; a = a + 4
    local old = redis.call('HGET', qm, call)
    if old then redis.call('ZREM', q, old) end
    local member = string.format('%016d', redis.call('INCR', sq)) .. ':' .. call
    redis.call('ZADD', q, score, member)
    redis.call('HSET', qm, call, member)
    if desc ~= '' then redis.call('HSET', qd, call, desc) else redis.call('HDEL', qd, call) end
  elseif op == 'D' then
    local q, qm, qd = KEYS[k], KEYS[k + 1], KEYS[k + 2]
    local call = ARGV[a + 1]
    k = k + 3; a = a + 2
    redis.call('HDEL', qd, call)
    local old = redis.call('HGET', qm, call)
    if old then
      redis.call('ZREM', q, old)
      redis.call('HDEL', qm, call)
    end
  elseif op == 'R' then
    local ak = KEYS[k]
    local call, agent = ARGV[a + 1], ARGV[a + 2]
    k = k + 1; a = a + 3
    local held = redis.call('GET', ak)
    if held and (call == '' or held == call) then
      redis.call('DEL', ak)
      local ck = prefix .. held
      if redis.call('GET', ck) == agent then redis.call('DEL', ck) end
    end
  elseif op == 'V' then
    local ak, ck = KEYS[k], KEYS[k + 1]
    local call, agent, ttl = ARGV[a + 1], ARGV[a + 2], ARGV[a + 3]
    k = k + 2; a = a + 4
    local held = redis.call('GET', ak)
    local owner = redis.call('GET', ck)
    if (held and held ~= call) or (owner and owner ~= agent) then
      out[#out + 1] = 0
    else
      redis.call('SET', ak, call, 'PX', ttl)
      redis.call('SET', ck, agent, 'PX', ttl)
      out[#out + 1] = 1
    end
  elseif op == 'H' then
    local ak, ck, q, qm, qd, inbox, alive = KEYS[k], KEYS[k + 1], KEYS[k + 2], KEYS[k + 3], KEYS[k + 4],
      KEYS[k + 5], KEYS[k + 6]
    local call, agent, ttl = ARGV[a + 1], ARGV[a + 2], ARGV[a + 3]
    k = k + 7; a = a + 4
    local member = redis.call('HGET', qm, call)
    if not member then
      out[#out + 1] = 0
    elseif redis.call('EXISTS', alive) == 0 then
      redis.call('ZREM', q, member)
      redis.call('HDEL', qm, call)
      redis.call('HDEL', qd, call)
      out[#out + 1] = 0
    elseif redis.call('EXISTS', ak) == 1 or redis.call('EXISTS', ck) == 1 then
      out[#out + 1] = 0
    else
      redis.call('SET', ak, call, 'PX', ttl)
      redis.call('SET', ck, agent, 'PX', ttl)
      redis.call('RPUSH', inbox, call .. ' ' .. agent)
      out[#out + 1] = 1
    end
  else
    return redis.error_reply('commit: unknown operation ' .. tostring(op))
  end
end
return out
"""

# KEYS: (q, qm, qd) per queue; ARGV: count, scan, the asking owner's descriptor prefix. Returns, per
# queue, {call, score, descriptor, ...}: up to count entries among the first scan.
_HEADS_MANY = """
local out = {}
local count, scan, mine = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
for j = 1, #KEYS, 3 do
  local items = redis.call('ZRANGE', KEYS[j], 0, scan - 1, 'WITHSCORES')
  local found = {}
  for i = 1, #items, 2 do
    local call = string.sub(items[i], 18)
    local desc = redis.call('HGET', KEYS[j + 2], call) or ''
    if mine == '' or string.sub(desc, 1, #mine) ~= mine then
      found[#found + 1] = call
      found[#found + 1] = items[i + 1]
      found[#found + 1] = desc
      if #found >= 3 * count then break end
    end
  end
  out[#out + 1] = found
end
return out
"""

COMMIT_CHUNK = 256
"""Operations per commit script: a resync writing thousands of entries runs as several short
scripts (each atomic), so Redis is never blocked long by one."""


@dataclass(frozen=True, slots=True)
class _Lua:
    text: str
    sha: str  # how Redis names the script

    @staticmethod
    def of(text: str) -> _Lua:
        return _Lua(text, hashlib.sha1(text.encode()).hexdigest())


class _ScriptLink:
    """A connection of its own for the scripts of every decision (the commit; the heads with
    several instances).

    Through the client, a command's connection checkout, retry wrapper and instrumentation cost
    about as much CPU as the loopback round trip itself (measured: PING 216 µs through the client,
    122 µs on a connection). Commands on the link take turns (a lock); a connection error or a
    cancellation mid-command disconnects it (redis-py's connection does, so no reply is left
    unread) and the next command connects again; a script Redis does not know (restarted,
    flushed) is loaded and run again."""

    def __init__(self, client: Redis) -> None:
        self._pool = client.connection_pool
        self._conn: AbstractConnection | None = None
        self._lock = asyncio.Lock()

    async def run(self, script: _Lua, keys: list[str], args: list[str | int]) -> Any:
        async with self._lock:
            if self._conn is None:
                self._conn = self._pool.make_connection()  # type: ignore[no-untyped-call]
            conn = self._conn
            try:
                await conn.send_command("EVALSHA", script.sha, len(keys), *keys, *args)
                return await conn.read_response()
            except NoScriptError:
                await conn.send_command("SCRIPT", "LOAD", script.text)
                await conn.read_response()
                await conn.send_command("EVALSHA", script.sha, len(keys), *keys, *args)
                return await conn.read_response()

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.disconnect()
            self._conn = None


class RedisStore:
    def __init__(self, client: Redis, prefix: str = "cc:routing:") -> None:
        self._r = client
        self.prefix = prefix
        self._refresh = client.register_script(_REFRESH)
        self._refresh_many = client.register_script(_REFRESH_MANY)
        self._release = client.register_script(_RELEASE)
        self._position = client.register_script(_POSITION)
        self._link = _ScriptLink(client)
        self._commit = _Lua.of(_COMMIT)
        self._heads_many = _Lua.of(_HEADS_MANY)

    @classmethod
    def from_url(cls, url: str, prefix: str = "cc:routing:") -> RedisStore:
        return cls(Redis.from_url(url, decode_responses=True), prefix)

    async def close(self) -> None:
        await self._link.close()
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
        return (await self.commit([], [], [(agent_id, call_id, ttl)]))[0]

    async def refresh(self, agent_id: str, call_id: str, ttl: float) -> bool:
        done: Any = await self._refresh(keys=[self._agent(agent_id), self._call(call_id)],
                                        args=[call_id, agent_id, max(1, int(ttl * 1000))])
        return bool(done)

    async def refresh_many(self, held: Sequence[tuple[str, str]], ttl: float) -> list[bool]:
        refreshed: list[bool] = []
        for i in range(0, len(held), COMMIT_CHUNK):
            chunk = held[i:i + COMMIT_CHUNK]
            keys = [k for agent_id, call_id in chunk for k in (self._agent(agent_id), self._call(call_id))]
            args: list[str | int] = [max(1, int(ttl * 1000))]
            for agent_id, call_id in chunk:
                args += [call_id, agent_id]
            results: Any = await self._refresh_many(keys=keys, args=args)
            refreshed += [bool(r) for r in results]
        return refreshed

    async def release(self, agent_id: str, call_id: str = "") -> bool:
        done: Any = await self._release(keys=[self._agent(agent_id)],
                                        args=[call_id, agent_id, f"{self.prefix}call:"])
        return bool(done)

    async def holder(self, agent_id: str) -> str | None:
        value: Any = await self._r.get(self._agent(agent_id))
        return None if value is None else _text(value)

    async def enqueue(self, queue: str, call_id: str, score: float, descriptor: str = "") -> None:
        await self.commit([(queue, call_id, score)], [], [], descriptors={call_id: descriptor})

    async def dequeue(self, queue: str, call_id: str) -> None:
        await self.commit([(queue, call_id, None)], [], [])

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
        """One script for all the queues: one round trip."""
        if not queues:
            return {}
        mine = owner_prefix(skip_owner) if skip_owner else ""
        keys = [key for queue in queues for key in self._dequeue_keys(queue)]
        results: Any = await self._link.run(self._heads_many, keys, [count, count * HEAD_SCAN, mine])
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
        """One script, one round trip (up to ``COMMIT_CHUNK`` operations; more run as several)."""
        if not (changes or releases or reserves or handovers):
            return []
        p = self.prefix
        ops: list[tuple[list[str], list[str | int]]] = []
        for queue, call_id, score in changes:
            if score is None:
                ops.append(([f"{p}q:{queue}", f"{p}qm:{queue}", f"{p}qd:{queue}"], ["D", call_id]))
            else:
                descriptor = (descriptors or {}).get(call_id, "")
                ops.append(([f"{p}q:{queue}", f"{p}qm:{queue}", f"{p}seq", f"{p}qd:{queue}"],
                            ["E", call_id, repr(float(score)), descriptor]))
        for agent_id, call_id in releases:
            ops.append(([f"{p}agent:{agent_id}"], ["R", call_id, agent_id]))
        for agent_id, call_id, ttl in reserves:
            ops.append(([f"{p}agent:{agent_id}", f"{p}call:{call_id}"],
                        ["V", call_id, agent_id, max(1, int(ttl * 1000))]))
        for agent_id, queue, call_id, owner, ttl in handovers:
            ops.append(([f"{p}agent:{agent_id}", f"{p}call:{call_id}", f"{p}q:{queue}", f"{p}qm:{queue}",
                         f"{p}qd:{queue}", f"{p}inbox:{owner}", f"{p}alive:{owner}"],
                        ["H", call_id, agent_id, max(1, int(ttl * 1000))]))
        granted: list[bool] = []
        for i in range(0, len(ops), COMMIT_CHUNK):
            keys: list[str] = []
            args: list[str | int] = [f"{p}call:"]
            for op_keys, op_args in ops[i:i + COMMIT_CHUNK]:
                keys += op_keys
                args += op_args
            results: Any = await self._link.run(self._commit, keys, args)
            granted += [bool(r) for r in results]
        return granted


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
