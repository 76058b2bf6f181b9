"""The ACD's shared state: atomic agent reservations and the global order of each queue.

``StateStore`` is the interface; ``MemoryStore`` (the default, one process) and
``routing.redis_store.RedisStore`` (several engine instances) implement it and pass the same
contract tests (tests/routing/test_store_contract.py).

- ``reserve(agent, call, ttl)`` succeeds only if the agent holds no other call and the call is
  not reserved to another agent; the reservation expires after ``ttl`` seconds unless refreshed,
  so a crashed instance never keeps an agent forever.
- ``enqueue(queue, call, score)`` places a call in its queue's global order (lower score first,
  ties in arrival order); ``position`` is 1-based.
"""

from __future__ import annotations

import itertools
import time
from bisect import bisect_left, insort
from collections.abc import Callable
from typing import Protocol


class StateStore(Protocol):
    async def reserve(self, agent_id: str, call_id: str, ttl: float) -> bool: ...

    async def refresh(self, agent_id: str, call_id: str, ttl: float) -> bool: ...

    async def release(self, agent_id: str, call_id: str = "") -> bool:
        """Free the agent if held for ``call_id`` ("" = whatever they hold)."""
        ...

    async def holder(self, agent_id: str) -> str | None: ...

    async def enqueue(self, queue: str, call_id: str, score: float) -> None: ...

    async def dequeue(self, queue: str, call_id: str) -> None: ...

    async def position(self, queue: str, call_id: str) -> int | None: ...

    async def order(self, queue: str) -> list[str]: ...

    async def apply_queue_changes(self, changes: list[tuple[str, str, float | None]]) -> None:
        """Enqueue (a score) or dequeue (None) many calls in one round trip."""
        ...

    async def commit(self, changes: list[tuple[str, str, float | None]], releases: list[tuple[str, str]],
                     reserves: list[tuple[str, str, float]]) -> list[bool]:
        """Queue changes, then releases (agent, call), then reservations (agent, call, ttl), in one
        round trip; returns whether each reservation succeeded."""
        ...


class MemoryStore:
    """One process's store; ``clock`` is injectable so expiry is testable."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._agents: dict[str, tuple[str, float]] = {}  # agent → (call, expires)
        self._calls: dict[str, tuple[str, float]] = {}  # call → (agent, expires)
        self._queues: dict[str, list[tuple[float, int, str]]] = {}
        self._entries: dict[tuple[str, str], tuple[float, int, str]] = {}
        self._seq = itertools.count()

    def _live(self, table: dict[str, tuple[str, float]], key: str) -> str | None:
        item = table.get(key)
        if item is None:
            return None
        if item[1] <= self._clock():
            del table[key]
            return None
        return item[0]

    async def reserve(self, agent_id: str, call_id: str, ttl: float) -> bool:
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
        return await self.reserve(agent_id, call_id, ttl)

    async def release(self, agent_id: str, call_id: str = "") -> bool:
        held = self._live(self._agents, agent_id)
        if held is None or (call_id and held != call_id):
            return False
        del self._agents[agent_id]
        if self._live(self._calls, held) == agent_id:
            del self._calls[held]
        return True

    async def holder(self, agent_id: str) -> str | None:
        return self._live(self._agents, agent_id)

    async def enqueue(self, queue: str, call_id: str, score: float) -> None:
        await self.dequeue(queue, call_id)
        entry = (score, next(self._seq), call_id)
        insort(self._queues.setdefault(queue, []), entry)
        self._entries[(queue, call_id)] = entry

    async def dequeue(self, queue: str, call_id: str) -> None:
        entry = self._entries.pop((queue, call_id), None)
        if entry is not None:
            entries = self._queues[queue]
            del entries[bisect_left(entries, entry)]

    async def position(self, queue: str, call_id: str) -> int | None:
        entry = self._entries.get((queue, call_id))
        return None if entry is None else bisect_left(self._queues[queue], entry) + 1

    async def order(self, queue: str) -> list[str]:
        return [entry[2] for entry in self._queues.get(queue, [])]

    async def apply_queue_changes(self, changes: list[tuple[str, str, float | None]]) -> None:
        for queue, call_id, score in changes:
            if score is None:
                await self.dequeue(queue, call_id)
            else:
                await self.enqueue(queue, call_id, score)

    async def commit(self, changes: list[tuple[str, str, float | None]], releases: list[tuple[str, str]],
                     reserves: list[tuple[str, str, float]]) -> list[bool]:
        await self.apply_queue_changes(changes)
        for agent_id, call_id in releases:
            await self.release(agent_id, call_id)
        return [await self.reserve(agent_id, call_id, ttl) for agent_id, call_id, ttl in reserves]
