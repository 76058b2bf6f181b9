"""The in-process bus: ``publish`` offers the message to each subscriber's queue and returns."""

from __future__ import annotations

from bus.base import BusBase
from bus.errors import BusClosed


class InProcessBus(BusBase):
    """One asyncio event loop's bus. ``publish`` must be called from the loop's thread."""

    def publish(self, message: object) -> None:
        """Offer ``message`` (a frozen dataclass instance) to every subscriber of its type.

        Synchronous and never waits: a full queue records a gap for that subscriber only.
        Raises ``TypeError`` for anything but a frozen dataclass, ``BusClosed`` after ``close()``.
        """
        if self._fanout.closed:
            raise BusClosed(f"cannot publish {type(message).__qualname__}: the bus is closed")
        self._fanout.check(message)
        self._fanout.deliver(message)

    async def close(self) -> None:
        """Refuse new publishes; every subscriber drains what it holds, then its iteration ends."""
        self._fanout.finish()
