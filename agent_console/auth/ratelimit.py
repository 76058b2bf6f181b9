"""Login rate limiting: attempts per key (username + client address) within a sliding window.

An attempt is counted *before* the password is checked, in one step with the check of the limit
(:meth:`LoginLimiter.attempt`), so 40 concurrent wrong passwords are not all verified: the first
``max_failures`` are, the others get 429. A successful login forgets the key's attempts.

``LoginLimiter`` is the port; ``InMemoryLoginLimiter`` serves one process (its steps never await,
so each is atomic on the event loop). A Redis-backed limiter for several instances implements the
same coroutines (``attempt`` as one script or ``INCR`` with expiry).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Protocol


class LoginLimiter(Protocol):
    async def attempt(self, key: str) -> float:
        """Count one attempt of ``key`` unless it is over its limit: 0 when it may try now (and is
        counted), else the seconds until it may (and nothing is counted)."""
        ...

    async def retry_after(self, key: str) -> float:
        """Seconds until ``key`` may try again; 0 when it may try now."""
        ...

    async def failed(self, key: str) -> None:
        """Record one failed attempt."""
        ...

    async def succeeded(self, key: str) -> None:
        """Forget the failures of ``key`` after a successful login."""
        ...


def login_key(username: str, client_host: str | None) -> str:
    return f"{username.strip().lower()}|{client_host or '-'}"


class InMemoryLoginLimiter:
    """At most ``max_failures`` failures per ``window_seconds`` per key; state lives in this process."""

    def __init__(
        self,
        max_failures: int = 5,
        window_seconds: float = 60.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        if max_failures < 1 or window_seconds <= 0:
            raise ValueError("max_failures must be >= 1 and window_seconds > 0")
        self.max_failures = max_failures
        self.window_seconds = window_seconds
        self._clock = clock
        self._max_keys = max_keys
        self._failures: dict[str, deque[float]] = {}

    async def attempt(self, key: str) -> float:
        wait = self._wait(key)
        if wait == 0:
            self._record(key)
        return wait

    async def retry_after(self, key: str) -> float:
        return self._wait(key)

    def _wait(self, key: str) -> float:
        now = self._clock()
        stamps = self._pruned(key, now)
        if stamps is None or len(stamps) < self.max_failures:
            return 0.0
        return max(stamps[0] + self.window_seconds - now, 0.0)

    async def failed(self, key: str) -> None:
        self._record(key)

    def _record(self, key: str) -> None:
        now = self._clock()
        stamps = self._pruned(key, now)
        if stamps is None:
            if len(self._failures) >= self._max_keys:
                self._evict_stale(now)
            stamps = self._failures[key] = deque(maxlen=self.max_failures)
        stamps.append(now)

    async def succeeded(self, key: str) -> None:
        self._failures.pop(key, None)

    def _pruned(self, key: str, now: float) -> deque[float] | None:
        stamps = self._failures.get(key)
        if stamps is None:
            return None
        while stamps and stamps[0] <= now - self.window_seconds:
            stamps.popleft()
        if not stamps:
            del self._failures[key]
            return None
        return stamps

    def _evict_stale(self, now: float) -> None:
        for key in list(self._failures):
            self._pruned(key, now)
        while len(self._failures) >= self._max_keys:  # still full of live keys: drop the oldest entries
            self._failures.pop(next(iter(self._failures)))
