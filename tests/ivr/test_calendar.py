from __future__ import annotations

from datetime import UTC, datetime

from ivr.calendar import is_open, next_opening
from ivr.model import Flow, Schedule

SCHEDULE = Schedule.model_validate(
    {
        "timezone": "Asia/Shanghai",
        "hours": {"mon": ["09:00-12:00", "13:00-18:00"], "sat": ["10:00-24:00"]},
        "holidays": ["2026-12-07"],
        "workdays": ["2026-12-06"],
        "workday_hours": ["09:00-17:00"],
    }
)


def shanghai(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour - 8 if hour >= 8 else hour + 16, minute, tzinfo=UTC).replace(
        day=day if hour >= 8 else day - 1
    )


def test_weekly_hours_in_the_schedules_timezone() -> None:
    assert is_open(SCHEDULE, shanghai(14, 9))  # Monday 09:00
    assert not is_open(SCHEDULE, shanghai(14, 12, 30))  # lunch
    assert not is_open(SCHEDULE, shanghai(14, 18))  # closing time is closed
    assert not is_open(SCHEDULE, shanghai(15, 10))  # Tuesday has no hours
    assert is_open(SCHEDULE, shanghai(12, 23, 59))  # Saturday until midnight


def test_holiday_is_closed_and_make_up_sunday_is_open() -> None:
    assert not is_open(SCHEDULE, shanghai(7, 10))  # a Monday holiday
    assert is_open(SCHEDULE, shanghai(6, 10))  # Sunday, a make-up working day (调休)
    assert not is_open(SCHEDULE, shanghai(6, 17))


def test_next_opening_skips_holidays() -> None:
    opening = next_opening(SCHEDULE, shanghai(6, 18))
    assert opening is not None and opening.isoformat() == "2026-12-12T10:00:00+08:00"


def test_default_flow_calendar_knows_national_day_and_its_make_up_days(default_flow: Flow) -> None:
    schedule = default_flow.schedules["default"]
    assert not is_open(schedule, datetime(2026, 10, 5, 3, tzinfo=UTC))  # Monday of National Day week
    assert is_open(schedule, datetime(2026, 10, 10, 3, tzinfo=UTC))  # Saturday make-up day
    assert not is_open(schedule, datetime(2026, 9, 27, 3, tzinfo=UTC))  # Mid-Autumn Sunday
