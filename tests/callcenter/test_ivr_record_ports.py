"""The IVR's ports over the customer record (callcenter.adapters.ivr_record), on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from callcenter.adapters.ivr_record import RecordPorts
from ivr.path import IvrPath, PathStep
from ivr.ports import CallbackRequest, VoicemailRequest
from tickets.actors import Actor
from tickets.customers.schemas import CustomerCreate
from tickets.customers.service import create_customer
from tickets.db import create_engine, session_factory, unit_of_work
from tickets.interactions import service as calls
from tickets.models import FollowUpTask, Interaction, Ticket
from tickets.ticketing.schemas import TicketCreate
from tickets.ticketing.service import create_ticket
from tickets.workflow.rules import load_rules

RULES = load_rules()
NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def sessions(fresh_db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = create_engine(fresh_db_url)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def ports(sessions: sessionmaker[Session]) -> RecordPorts:
    return RecordPorts(sessions, RULES)


def _customer(sessions: sessionmaker[Session], name: str, phone: str, tier: str = "standard") -> int:
    with unit_of_work(sessions) as session:
        data = CustomerCreate(display_name=name, phones=[phone], tier=tier)
        return create_customer(session, data=data).id


async def test_a_caller_is_found_by_number_in_any_spelling_and_by_customer_number(
    ports: RecordPorts, sessions: sessionmaker[Session]
) -> None:
    cid = _customer(sessions, "张三丰", "13800138000", tier="vip")
    for spelling in ("13800138000", "+8613800138000", "008613800138000"):
        found = await ports.by_phone(spelling)
        assert found is not None and (found.id, found.name, found.tier) == (str(cid), "张三丰", "vip")
    assert await ports.by_phone("13900000000") is None
    assert await ports.by_phone("not a number") is None
    assert (await ports.by_account(str(cid))) is not None
    assert (await ports.by_account("13800138000")) is not None  # a phone number entered as the account
    assert await ports.by_account("99999999") is None
    assert await ports.by_account("12#") is None


async def test_open_tickets_and_a_ticket_by_reference(
    ports: RecordPorts, sessions: sessionmaker[Session]
) -> None:
    cid = _customer(sessions, "李四", "13700137000")
    with unit_of_work(sessions) as session:
        ticket = create_ticket(
            session,
            actor=Actor("sup_li", "supervisor"),
            data=TicketCreate(type="repair", customer_id=cid, subject="空调不制冷"),
            rules=RULES,
        )
        number = ticket.number
    open_now = await ports.open_tickets(str(cid))
    assert [t.reference for t in open_now] == [number] and open_now[0].type == "repair"
    found = await ports.by_reference(number)
    assert found is not None and found.status == open_now[0].status
    assert await ports.by_reference("REP-999999") is None
    assert await ports.open_tickets("x") == []


async def test_a_voicemail_becomes_a_callback_ticket_holding_the_recording(
    ports: RecordPorts, sessions: sessionmaker[Session]
) -> None:
    reference = await ports.voicemail(
        VoicemailRequest(
            call_id="1733.1", caller="13600136000", recording="/var/spool/vm/1733.1.wav", seconds=12
        )
    )
    with sessions() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == reference))
        assert ticket is not None and ticket.category == "voicemail" and ticket.channel == "phone"
        call = calls.find_interaction(session, external_id="1733.1")
        assert call is not None and call.recording_ref == "/var/spool/vm/1733.1.wav"
        assert call.customer_id == ticket.customer_id
        task = session.scalar(select(FollowUpTask).where(FollowUpTask.ticket_id == ticket.id))
        assert task is not None and task.kind == "callback"


async def test_a_callback_request_is_scheduled_for_its_time(
    ports: RecordPorts, sessions: sessionmaker[Session]
) -> None:
    cid = _customer(sessions, "王五", "13500135000")
    when = NOW + timedelta(hours=2)
    reference = await ports.callback(
        CallbackRequest(call_id="1733.2", number="13500135000", not_before=when, customer_id=str(cid))
    )
    with sessions() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == reference))
        assert ticket is not None and ticket.customer_id == cid and ticket.category == "callback"
        task = session.scalar(select(FollowUpTask).where(FollowUpTask.ticket_id == ticket.id))
        assert task is not None and task.due_at == when


async def test_the_survey_score_and_the_ivr_path_land_on_the_call(
    ports: RecordPorts, sessions: sessionmaker[Session]
) -> None:
    with unit_of_work(sessions) as session:
        calls.start_call(
            session, external_id="1733.3", number="13800138000", direction="inbound", started_at=NOW
        )
    path = IvrPath(
        call_id="1733.3",
        flow="default",
        caller="13800138000",
        did="4100",
        started_at=NOW,
        ended_at=NOW + timedelta(seconds=20),
        outcome="route",
        steps=[
            PathStep(node="language", type="language", event="entered", at=NOW),
            PathStep(node="language", type="language", event="option", digits="1", at=NOW),
            PathStep(node="main", type="menu", event="entered", at=NOW),
        ],
    )
    await ports.save(path)
    await ports.save(path)  # saving again replaces, never duplicates
    await ports.store("1733.3", 5)
    await ports.store("no-such-call", 4)  # logged, not raised: the caller already hung up
    with pytest.raises(ValueError):
        await ports.store("1733.3", 9)
    with sessions() as session:
        call = session.scalar(select(Interaction).where(Interaction.external_id == "1733.3"))
        assert call is not None and call.survey_score == 5 and call.ivr_path == ["language", "main"]
    back = await ports.paths("default", NOW - timedelta(minutes=1), NOW + timedelta(minutes=1))
    assert [p.call_id for p in back] == ["1733.3"] and back[0].digits() == ["1"]
    assert await ports.paths("other", NOW - timedelta(minutes=1), NOW + timedelta(minutes=1)) == []


async def test_the_acd_reads_agents_and_tiers_from_the_record(sessions: sessionmaker[Session]) -> None:
    from callcenter.adapters.routing_record import RecordAgentDirectory, RecordCustomerTiers
    from tickets.users.passwords import Passwords
    from tickets.users.schemas import UserCreate
    from tickets.users.service import create_user, deactivate_user

    with unit_of_work(sessions) as session:
        cheap = Passwords(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        for username, ext in (("ag_a", "4201"), ("ag_b", None), ("ag_c", "4203")):
            data = UserCreate(
                username=username, display_name=f"坐席 {username}", password="x" * 12, extension=ext
            )
            made = create_user(session, data, passwords=cheap)
            if username == "ag_c":
                deactivate_user(session, made.id)
    agents = await RecordAgentDirectory(sessions).users_with_extension()
    assert [(a.username, a.extension, a.active) for a in agents] == [
        ("ag_a", "4201", True),
        ("ag_c", "4203", False),
    ]
    cid = _customer(sessions, "赵六", "13400134000", tier="gold")
    tiers = RecordCustomerTiers(sessions)
    assert await tiers.tier(str(cid)) == "gold"
    assert await tiers.tier("424242") is None and await tiers.tier("x") is None
