from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ivr.analytics import IvrAnalytics, aggregate
from ivr.interpreter import run_flow
from ivr.model import Flow
from ivr.ports import TicketInfo

from .fakes import HANGUP, FakeCaller, FakePorts


async def test_analytics_count_entries_options_timeouts_invalid_hangups_and_self_service(
    default_flow: Flow,
) -> None:
    fake = FakePorts(tickets={"REP-000042": TicketInfo("REP-000042", "resolved", "repair")})
    scripts: list[list[str | None]] = [
        ["1", "9", "1", "2"],  # inquiry → agent
        ["1", "9", "7", "2", "2"],  # invalid, then repair → agent
        ["1", "9", None, HANGUP],  # timeout, then hangs up in the main menu
        ["1", "9", "4", "42#", "2"],  # ticket status, self-service, goodbye
    ]
    for n, script in enumerate(scripts):
        await run_flow(default_flow, FakeCaller(script, call_id=f"c{n}"), fake.ports())
    [stats] = aggregate(fake.saved).values()
    assert stats.calls == 4
    assert stats.outcomes == {"route": 2, "caller_hangup": 1, "hangup": 1}
    assert stats.self_service_completed == 1
    main = stats.nodes["main"]
    assert main.entered == 4
    assert main.options == {"1": 1, "2": 1, "4": 1}
    assert main.invalid == 1 and main.timeouts == 1 and main.hangups == 1
    assert stats.nodes["status_told"].entered == 1

    report = await IvrAnalytics(fake).report(
        "default", datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC) + timedelta(days=1)
    )
    assert report[0]["nodes"]["main"]["options"] == {"1": 1, "2": 1, "4": 1}
    assert report[0]["self_service_completed"] == 1
