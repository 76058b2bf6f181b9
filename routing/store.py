"""The ACD's shared state: atomic agent reservations and the global order of each queue.

``StateStore`` is the interface; ``MemoryStore`` (the default, one process) and
``routing.redis_store.RedisStore`` (several engine instances) implement it and pass the same
contract tests (tests/routing/test_store_contract.py).

- ``reserve(agent, call, ttl)`` succeeds only if the agent holds no other call and the call is
  not reserved to another agent; the reservation expires after ``ttl`` seconds unless refreshed,
  so a crashed instance never keeps an agent forever.
- ``enqueue(queue, call, score)`` places a call in its queue's global order (lower score first,
  ties in arrival order); ``position`` is 1-based.
- Several instances, one global order: each waiting call's entry carries a descriptor (its owner
  instance, priority, entry time, requirements, agents tried: ``routing.engine`` writes and reads
  it); ``heads(queues, count)`` reads the first entries of queues with their descriptors, and
  ``commit(..., handovers=[(agent, queue, call, owner, ttl)])`` reserves a free agent for another
  instance's call that is still queued and unreserved and leaves ``(call, agent)`` in the owner's
  inbox, atomically; the owner reads its inbox with ``take_handovers(owner, timeout)``. An owner
  that stopped refreshing ``alive(owner, ttl)`` gets nothing: its entries are dropped instead.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from bisect import bisect_left, insort
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

#: (agent, queue, call, owner instance, ttl)
Handover = tuple[str, str, str, str, float]
#: per queue, its first entries: (call, score, descriptor)
Heads = dict[str, list[tuple[str, float, str]]]
HEAD_SCAN = 4
"""``heads(queues, count, skip_owner)`` looks at the first ``count × HEAD_SCAN`` entries of a queue."""


def owner_prefix(owner: str) -> str:
    """How a descriptor of ``owner`` begins (``routing.engine.Entry.describe`` writes the owner first)."""
    return '{"o":' + json.dumps(owner, ensure_ascii=False) + ","


class StateStore(Protocol):
    async def reserve(self, agent_id: str, call_id: str, ttl: float) -> bool: ...

    async def refresh(self, agent_id: str, call_id: str, ttl: float) -> bool: ...

    async def refresh_many(self, held: Sequence[tuple[str, str]], ttl: float) -> list[bool]:
        """``refresh`` for each (agent, call), in one round trip."""
        ...

    async def release(self, agent_id: str, call_id: str = "") -> bool:
        """Free the agent if held for ``call_id`` ("" = whatever they hold)."""
        ...

    async def holder(self, agent_id: str) -> str | None: ...

    async def enqueue(self, queue: str, call_id: str, score: float, descriptor: str = "") -> None: ...

    async def dequeue(self, queue: str, call_id: str) -> None: ...

    async def position(self, queue: str, call_id: str) -> int | None: ...

    async def order(self, queue: str) -> list[str]: ...

    async def apply_queue_changes(self, changes: list[tuple[str, str, float | None]],
                                  descriptors: Mapping[str, str] | None = None) -> None:
        """Enqueue (a score) or dequeue (None) many calls in one round trip."""
        ...

    async def commit(self, changes: list[tuple[str, str, float | None]], releases: list[tuple[str, str]],
                     reserves: list[tuple[str, str, float]], handovers: Sequence[Handover] = (),
                     descriptors: Mapping[str, str] | None = None) -> list[bool]:
        """Queue changes (an enqueued call's descriptor from ``descriptors``), then releases (agent,
        call), then reservations (agent, call, ttl), then handovers, in one round trip; returns
        whether each reservation, then each handover, succeeded."""
        ...

    async def heads(self, queues: Sequence[str], count: int, skip_owner: str = "") -> Heads:
        """Up to ``count`` of the first entries of each queue, with their descriptors, leaving out
        those whose descriptor names ``skip_owner``."""
        ...

    async def take_handovers(self, owner: str, wait: float) -> list[tuple[str, str]]:
        """The (call, agent) handed to ``owner`` since the last take; waits up to ``wait`` seconds for one."""
        ...

    async def alive(self, owner: str, ttl: float) -> None:
        """``owner`` is running for ``ttl`` seconds more (handovers to it are accepted meanwhile)."""
        ...


class MemoryStore:
    """One process's store; ``clock`` is injectable so expiry is testable."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._agents: dict[str, tuple[str, float]] = {}  # agent → (call, expires)
        self._calls: dict[str, tuple[str, float]] = {}  # call → (agent, expires)
        self._queues: dict[str, list[tuple[float, int, str]]] = {}
        self._entries: dict[tuple[str, str], tuple[float, int, str]] = {}
        self._descriptors: dict[tuple[str, str], str] = {}
        self._seq = itertools.count()
        self._inboxes: dict[str, list[tuple[str, str]]] = {}
        self._posted: dict[str, asyncio.Event] = {}
        self._alive: dict[str, float] = {}

    def _live(self, table: dict[str, tuple[str, float]], key: str) -> str | None:
        item = table.get(key)
        if item is None:
            return None
        if item[1] <= self._clock():
            del table[key]
            return None
        return item[0]

    async def reserve(self, agent_id: str, call_id: str, ttl: float) -> bool:
        return self._reserve(agent_id, call_id, ttl)

    def _reserve(self, agent_id: str, call_id: str, ttl: float) -> bool:
        held = self._live(self._agents, agent_id)
        if held is not None and held != call_id:
            return False
        owner = self._live(self._calls, call_id)
        if owner is not None and owner != agent_id:
            return False
        expires = self._clock() + ttl
        self._agents[agent_id] = (call_id, expires)
        self._calls[call_id] = (agent_id, expires)
        return True

    async def refresh(self, agent_id: str, call_id: str, ttl: float) -> bool:
        if self._live(self._agents, agent_id) != call_id:
            return False
        return self._reserve(agent_id, call_id, ttl)

    async def refresh_many(self, held: Sequence[tuple[str, str]], ttl: float) -> list[bool]:
        return [await self.refresh(agent_id, call_id, ttl) for agent_id, call_id in held]

    async def release(self, agent_id: str, call_id: str = "") -> bool:
        return self._release(agent_id, call_id)

    def _release(self, agent_id: str, call_id: str = "") -> bool:
        held = self._live(self._agents, agent_id)
        if held is None or (call_id and held != call_id):
            return False
        del self._agents[agent_id]
        if self._live(self._calls, held) == agent_id:
            del self._calls[held]
        return True

    async def holder(self, agent_id: str) -> str | None:
        return self._live(self._agents, agent_id)

    async def enqueue(self, queue: str, call_id: str, score: float, descriptor: str = "") -> None:
        self._enqueue(queue, call_id, score, descriptor)

    def _enqueue(self, queue: str, call_id: str, score: float, descriptor: str = "") -> None:
        self._dequeue(queue, call_id)
        entry = (score, next(self._seq), call_id)
        insort(self._queues.setdefault(queue, []), entry)
        self._entries[(queue, call_id)] = entry
        if descriptor:
            self._descriptors[(queue, call_id)] = descriptor

    async def dequeue(self, queue: str, call_id: str) -> None:
        self._dequeue(queue, call_id)

    def _dequeue(self, queue: str, call_id: str) -> None:
        self._descriptors.pop((queue, call_id), None)
        entry = self._entries.pop((queue, call_id), None)
        if entry is not None:
            entries = self._queues[queue]
            del entries[bisect_left(entries, entry)]

    async def position(self, queue: str, call_id: str) -> int | None:
        entry = self._entries.get((queue, call_id))
        return None if entry is None else bisect_left(self._queues[queue], entry) + 1

    async def order(self, queue: str) -> list[str]:
        return [entry[2] for entry in self._queues.get(queue, [])]

    async def apply_queue_changes(self, changes: list[tuple[str, str, float | None]],
                                  descriptors: Mapping[str, str] | None = None) -> None:
        self._apply(changes, descriptors)

    def _apply(self, changes: list[tuple[str, str, float | None]],
               descriptors: Mapping[str, str] | None) -> None:
        for queue, call_id, score in changes:
            if score is None:
                self._dequeue(queue, call_id)
            else:
                self._enqueue(queue, call_id, score, (descriptors or {}).get(call_id, ""))

    async def commit(self, changes: list[tuple[str, str, float | None]], releases: list[tuple[str, str]],
                     reserves: list[tuple[str, str, float]], handovers: Sequence[Handover] = (),
                     descriptors: Mapping[str, str] | None = None) -> list[bool]:
        self._apply(changes, descriptors)  # no await in between: one atomic step, as Redis's script
        for agent_id, call_id in releases:
            self._release(agent_id, call_id)
        granted = [self._reserve(agent_id, call_id, ttl) for agent_id, call_id, ttl in reserves]
        return granted + [self._hand_over(*handover) for handover in handovers]

    def _hand_over(self, agent_id: str, queue: str, call_id: str, owner: str, ttl: float) -> bool:
        if (queue, call_id) not in self._entries:
            return False
        if self._alive.get(owner, 0.0) <= self._clock():  # the owner is gone: its entry goes too
            entry = self._entries.pop((queue, call_id))
            del self._queues[queue][bisect_left(self._queues[queue], entry)]
            self._descriptors.pop((queue, call_id), None)
            return False
        if self._live(self._agents, agent_id) is not None or self._live(self._calls, call_id) is not None:
            return False
        expires = self._clock() + ttl
        self._agents[agent_id] = (call_id, expires)
        self._calls[call_id] = (agent_id, expires)
        self._inboxes.setdefault(owner, []).append((call_id, agent_id))
        self._posted.setdefault(owner, asyncio.Event()).set()
        return True

    async def heads(self, queues: Sequence[str], count: int, skip_owner: str = "") -> Heads:
        mine = owner_prefix(skip_owner) if skip_owner else None
        out: Heads = {}
        for queue in queues:
            found = out[queue] = []
            for score, _seq, call_id in self._queues.get(queue, [])[:count * HEAD_SCAN]:
                descriptor = self._descriptors.get((queue, call_id), "")
                if mine is None or not descriptor.startswith(mine):
                    found.append((call_id, score, descriptor))
                    if len(found) >= count:
                        break
        return out

    async def take_handovers(self, owner: str, wait: float) -> list[tuple[str, str]]:
        posted = self._posted.setdefault(owner, asyncio.Event())
        if not self._inboxes.get(owner) and wait > 0:
            try:
                async with asyncio.timeout(wait):
                    await posted.wait()
            except TimeoutError:
                pass
        posted.clear()
        return self._inboxes.pop(owner, [])

    async def alive(self, owner: str, ttl: float) -> None:
        self._alive[owner] = self._clock() + ttl
