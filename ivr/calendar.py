"""Business hours (pure): is a schedule open at a moment, and when does it next open.

A holiday is closed all day even on a weekday; a make-up working day (调休, e.g. the Sunday before
the Spring Festival week) is open with ``workday_hours`` even on a weekend. Everything else
follows the weekly ``hours`` in the schedule's timezone.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ivr.model import WEEKDAYS, Schedule, parse_span


def spans_on(schedule: Schedule, day: date) -> list[tuple[time, time]]:
    """The opening spans of one local calendar day."""
    if day in schedule.holidays:
        return []
    if day in schedule.workdays:
        return [parse_span(s) for s in schedule.workday_hours]
    return [parse_span(s) for s in schedule.hours.get(WEEKDAYS[day.weekday()], [])]


def local(schedule: Schedule, moment: datetime) -> datetime:
    """``moment`` (timezone-aware; naive means UTC) in the schedule's timezone."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(ZoneInfo(schedule.timezone))


def is_open(schedule: Schedule, moment: datetime) -> bool:
    here = local(schedule, moment)
    now = here.time().replace(tzinfo=None)
    return any(
        start <= now < end or (end == time.max and now >= start)
        for start, end in spans_on(schedule, here.date())
    )


def next_opening(schedule: Schedule, moment: datetime, *, horizon_days: int = 30) -> datetime | None:
    """The first opening strictly after ``moment`` (local time), or None within the horizon."""
    here = local(schedule, moment)
    for offset in range(horizon_days + 1):
        day = here.date() + timedelta(days=offset)
        for start, _end in sorted(spans_on(schedule, day)):
            candidate = datetime.combine(day, start, tzinfo=here.tzinfo)
            if candidate > here:
                return candidate
    return None
