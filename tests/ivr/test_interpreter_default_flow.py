"""The interpreter walking the shipped default flow with a scripted caller and fake ports."""

from __future__ import annotations

from datetime import UTC, datetime

from ivr.interpreter import run_flow
from ivr.model import Flow
from ivr.ports import CustomerInfo, TicketInfo, VoicemailRequest
from ivr.session import Text

from .fakes import HANGUP, Clock, FakeCaller, FakePorts

ZHANG = CustomerInfo(id="7", name="张三丰", tier="vip", language="zh")
SMITH = CustomerInfo(id="8", name="John Smith", tier="gold", language="en")


async def test_given_business_hours_when_caller_presses_2_then_routed_as_repair_with_language(
    default_flow: Flow,
) -> None:
    fake = FakePorts()
    caller = FakeCaller(["2", "9", "2", "2"])  # English, skip identification, repair, no survey
    result = await run_flow(default_flow, caller, fake.ports())
    assert result.outcome == "route"
    [request] = fake.routed
    assert request.queue == "default"
    assert request.intent == "repair"
    assert request.language == "en"
    assert request.skills == ("repair",)
    assert request.survey is False
    assert "For product or order inquiries" in " ".join(caller.texts())


async def test_known_vip_is_greeted_by_chinese_name_in_mandarin_and_gets_priority(default_flow: Flow) -> None:
    fake = FakePorts(customers_by_phone={"13800138000": ZHANG})
    caller = FakeCaller(["2", "1", "1"])  # English, inquiry, survey yes
    result = await run_flow(default_flow, caller, fake.ports())
    greeting = next(s for s in caller.heard if any(getattr(p, "text", "") == "张三丰" for p in s))
    name_part = next(p for p in greeting if isinstance(p, Text) and p.text == "张三丰")
    assert (
        isinstance(name_part, Text) and name_part.language == "zh"
    )  # a Chinese name is spoken by the Mandarin voice
    [request] = fake.routed
    assert request.priority == 8 and "vip" in request.skills
    assert request.tier == "vip" and request.customer_id == "7"
    assert request.intent == "inquiry" and request.survey is True
    assert result.path.variables["customer.name"] == "张三丰"


async def test_open_repair_is_offered_first_and_reaches_the_agent_with_that_ticket(
    default_flow: Flow,
) -> None:
    fake = FakePorts(
        customers_by_phone={"13800138000": SMITH},
        tickets={"REP-000123": TicketInfo("REP-000123", "in_progress", "repair", customer_id="8")},
    )
    caller = FakeCaller(["1", "1", "2"])  # Mandarin, about the repair, no survey
    await run_flow(default_flow, caller, fake.ports())
    offer = [t for t in caller.texts() if "维修单" in t]
    assert offer and "R E P 零零零一二三" in offer[0]
    [request] = fake.routed
    assert request.ticket == "REP-000123" and request.intent == "repair"


async def test_unknown_caller_identifies_by_account_number(default_flow: Flow) -> None:
    fake = FakePorts(customers_by_account={"556677": SMITH})
    caller = FakeCaller(["1", "2", "556677#", "3", "2"], number="13999999999")
    result = await run_flow(default_flow, caller, fake.ports())
    lookups = [s for s in result.path.steps if s.event == "lookup"]
    assert lookups[0].result["found"] == "false"
    assert lookups[1].result["found"] == "true" and lookups[1].result["customer.identified_by"] == "account"
    assert fake.routed[0].customer_id == "8" and fake.routed[0].intent == "complaint"
    assert "556677" in result.path.digits()


async def test_ticket_status_self_service_speaks_the_status_and_counts_as_self_service(
    default_flow: Flow,
) -> None:
    fake = FakePorts(tickets={"REP-000042": TicketInfo("REP-000042", "assigned", "repair")})
    caller = FakeCaller(["1", "9", "4", "42#", "2"])
    result = await run_flow(default_flow, caller, fake.ports())
    assert any("R E P 零零零零四二" in t and "已分派给工程师" in t for t in caller.texts())
    assert result.outcome == "hangup" and result.path.self_service
    assert fake.routed == []


async def test_invalid_then_timeouts_in_main_menu_end_with_an_agent(default_flow: Flow) -> None:
    fake = FakePorts()
    caller = FakeCaller(["1", "9", "7", None, None, None])
    result = await run_flow(default_flow, caller, fake.ports())
    events = [(s.node, s.event) for s in result.path.steps if s.node == "main"]
    assert ("main", "invalid") in events and events.count(("main", "timeout")) == 2
    assert any("输入有误" in t for t in caller.texts())
    assert result.outcome == "route" and fake.routed[0].skills == ("general",)


async def test_star_repeats_the_menu_and_zero_goes_to_an_agent(default_flow: Flow) -> None:
    fake = FakePorts()
    caller = FakeCaller(["1", "9", "*", "0", "2"])
    result = await run_flow(default_flow, caller, fake.ports())
    assert sum("产品或订单咨询" in t for t in caller.texts()) == 2
    assert [s.event for s in result.path.steps if s.node == "main"][1:3] == ["repeat", "option"]
    assert fake.routed[0].skills == ("general",)


async def test_caller_hanging_up_mid_menu_is_recorded_where_it_happened(default_flow: Flow) -> None:
    fake = FakePorts()
    result = await run_flow(default_flow, FakeCaller(["1", "9", HANGUP]), fake.ports())
    assert result.outcome == "caller_hangup" and result.path.ended_at_node == "main"
    assert fake.saved == [result.path] and fake.routed == []


async def test_after_hours_voicemail_becomes_a_callback_ticket_with_the_recording(default_flow: Flow) -> None:
    night = Clock(datetime(2026, 12, 1, 14, 0, tzinfo=UTC))  # 22:00 in Shanghai
    fake = FakePorts(clock=night)
    caller = FakeCaller(["1", "9", "1"], call_id="c-vm")
    result = await run_flow(default_flow, caller, fake.ports())
    assert result.outcome == "voicemail"
    [voicemail] = fake.voicemails
    assert voicemail.recording == "/var/spool/ivr/c-vm.wav" and voicemail.caller == "13800138000"
    assert result.ticket == "INQ-000001" and caller.hung_up


async def test_holiday_callback_on_the_next_business_day_skips_the_holiday(default_flow: Flow) -> None:
    # Thursday 2026-10-01 10:00 in Shanghai: National Day, closed until the make-up Saturday 10-10?
    holiday = Clock(datetime(2026, 10, 1, 2, 0, tzinfo=UTC))
    fake = FakePorts(clock=holiday)
    caller = FakeCaller(["1", "9", "2", "1", "2"])
    result = await run_flow(default_flow, caller, fake.ports())
    assert result.outcome == "callback"
    [callback] = fake.callbacks
    assert callback.number == "13800138000"
    assert callback.not_before.isoformat() == "2026-10-08T09:00:00+08:00"
    assert any("二〇二六年十月八日" in t for t in caller.texts())


async def test_make_up_sunday_is_a_working_day(default_flow: Flow) -> None:
    make_up = Clock(datetime(2026, 9, 20, 3, 0, tzinfo=UTC))  # Sunday 11:00, a 调休 working day
    fake = FakePorts(clock=make_up)
    await run_flow(default_flow, FakeCaller(["1", "9", "1", "2"]), fake.ports())
    assert fake.routed and fake.routed[0].intent == "inquiry"


async def test_survey_score_is_stored_for_the_call(default_flow: Flow) -> None:
    fake = FakePorts()
    caller = FakeCaller(["4"], call_id="c-42")
    result = await run_flow(default_flow, caller, fake.ports(), start=default_flow.survey)
    assert fake.scores == {"c-42": 4} and result.outcome == "survey"


async def test_blocked_number_is_refused(default_flow: Flow) -> None:
    flow = default_flow.model_copy(update={"lists": {"blocked": ["+86 138 0013 8000"]}})
    result = await run_flow(flow, FakeCaller(["1"]), FakePorts().ports())
    assert result.outcome == "hangup" and result.path.ended_at_node == "refused"


async def test_distribution_failure_falls_back_to_an_agent(default_flow: Flow) -> None:
    fake = FakePorts(route_fails=True)
    result = await run_flow(default_flow, FakeCaller(["1", "9", "1", "2"]), fake.ports())
    assert result.outcome == "fallback" and result.route is not None and result.route.queue == "fallback"


async def test_survey_after_the_call_continues_the_calls_path(default_flow: Flow) -> None:
    fake = FakePorts()
    caller = FakeCaller(["1", "9", "1", "1", "5"], call_id="c-7")
    first = await run_flow(default_flow, caller, fake.ports())
    survey = await run_flow(
        default_flow,
        caller,
        fake.ports(),
        start=default_flow.survey,
        variables=first.variables,
        path=first.path,
    )
    assert survey.path is first.path and first.path.outcome == "route"
    assert first.path.survey_score == 5 and fake.scores == {"c-7": 5}
    assert first.path.nodes()[-1] == "survey"


async def test_an_identified_caller_does_not_hear_another_customers_ticket(default_flow: Flow) -> None:
    fake = FakePorts(
        customers_by_phone={"13800138000": SMITH},
        tickets={"REP-000042": TicketInfo("REP-000042", "assigned", "repair", customer_id="99")},
    )
    result = await run_flow(default_flow, FakeCaller(["1", "4", "42#", "2"]), fake.ports())
    lookup = next(s for s in result.path.steps if s.event == "lookup" and s.result.get("by") == "ticket")
    assert lookup.result["found"] == "false" and "refused" in lookup.result
    assert "status_unknown" in result.path.nodes()


async def test_a_failing_ticket_desk_after_a_voicemail_sends_the_caller_to_an_agent_and_keeps_the_path(
    default_flow: Flow,
) -> None:
    class BrokenDesk(FakePorts):
        async def voicemail(self, request: VoicemailRequest) -> str:
            raise RuntimeError("database down")

    fake = BrokenDesk(clock=Clock(datetime(2026, 12, 1, 14, 0, tzinfo=UTC)))
    result = await run_flow(default_flow, FakeCaller(["1", "9", "1"], call_id="c-err"), fake.ports())
    assert result.outcome == "fallback" and result.route is not None and result.route.queue == "fallback"
    error = result.path.steps[-1]
    assert error.event == "error" and error.node == "voicemail" and "database down" in error.result["message"]
    assert fake.saved == [result.path]
    assert result.path.variables["voicemail.recording"] == "/var/spool/ivr/c-err.wav"  # nothing lost
