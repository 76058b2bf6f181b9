"""Today's statistics per queue: offered, answered (and within the service-level threshold),
abandoned (short abandons apart), overflowed, wait and handle times.

Service level = answered within the queue's threshold ÷ calls that left the queue today (answered,
abandoned after the short-abandon threshold, overflowed), in percent. ASA = total wait of answered
calls ÷ answered. AHT = (talk + wrap-up) ÷ calls handled.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class QueueCounters:
    offered: int = 0  # calls that entered the queue today
    answered: int = 0
    answered_in_sl: int = 0
    abandoned: int = 0
    short_abandoned: int = 0
    overflowed: int = 0
    wait_answered: float = 0.0
    handled: int = 0
    handle_seconds: float = 0.0

    def add(self, other: QueueCounters) -> None:
        for name in self.__slots__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def service_level(self) -> float | None:
        left = self.answered + (self.abandoned - self.short_abandoned) + self.overflowed
        return 100.0 * self.answered_in_sl / left if left else None

    @property
    def asa(self) -> float | None:
        return self.wait_answered / self.answered if self.answered else None

    @property
    def aht(self) -> float | None:
        return self.handle_seconds / self.handled if self.handled else None


class DayClock:
    """Where today begins, for an UTC offset: counters reset when ``now`` crosses midnight."""

    def __init__(self, utc_offset_hours: float) -> None:
        self._offset = utc_offset_hours * 3600.0
        self.day_end = 0.0

    def rolled(self, now: float) -> bool:
        if now < self.day_end:
            return False
        local = now + self._offset
        self.day_end = (local // 86400.0 + 1) * 86400.0 - self._offset
        return True
