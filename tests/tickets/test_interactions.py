"""Interactions across channels, and the call facts reported by the telephony wiring."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from tickets.errors import Conflict, InvalidInput, NotFound
from tickets.interactions.schemas import InteractionCreate, InteractionUpdate
from tickets.interactions.service import (
    answer_call,
    create_interaction,
    end_call,
    find_interaction,
    list_interactions,
    start_call,
    update_call,
    update_interaction,
)
from tickets.models import Customer

NewCustomer = Callable[..., Customer]
T0 = datetime(2026, 11, 1, 9, 0, 0, tzinfo=UTC)


def _uid(prefix: str) -> str:
    return f"{prefix}-{datetime.now(UTC).timestamp()}"


def test_create_identifies_the_customer_by_phone_or_email(
    db_session: Session, new_customer: NewCustomer
) -> None:
    customer = new_customer("陈静", phones=["13912345678"], emails=["chenjing@example.cn"])
    web = create_interaction(
        db_session, data=InteractionCreate(channel="web", customer_id=customer.id, subject="预约维修")
    )
    mail = create_interaction(
        db_session,
        data=InteractionCreate(
            channel="email", address="ChenJing@Example.cn", external_id=_uid("<msg"), started_at=T0
        ),
    )
    call = create_interaction(
        db_session,
        data=InteractionCreate(channel="phone", address="139 1234 5678", started_at=T0, direction="outbound"),
    )
    stranger = create_interaction(
        db_session, data=InteractionCreate(channel="phone", address="13000000000", started_at=T0)
    )
    assert web.customer_id == customer.id and web.started_at.tzinfo is not None
    assert (mail.customer_id, mail.address) == (customer.id, "chenjing@example.cn")
    assert (call.customer_id, call.address, call.direction) == (customer.id, "+8613912345678", "outbound")
    assert (stranger.customer_id, stranger.address) == (None, "+8613000000000")


def test_duplicate_external_id_is_a_conflict(db_session: Session) -> None:
    ext = _uid("<dup")
    first = create_interaction(db_session, data=InteractionCreate(channel="email", external_id=ext))
    with pytest.raises(Conflict) as caught:
        create_interaction(db_session, data=InteractionCreate(channel="email", external_id=ext))
    assert caught.value.details == {"field": "external_id", "id": first.id}
    assert find_interaction(db_session, external_id=ext) is first


def test_list_is_newest_first_across_channels_with_total(
    db_session: Session, new_customer: NewCustomer
) -> None:
    customer = new_customer("List")
    for i, channel in enumerate(["phone", "web", "email", "phone"]):
        create_interaction(
            db_session,
            data=InteractionCreate(
                channel=channel,
                customer_id=customer.id,
                started_at=T0 + timedelta(hours=i),
                subject=str(i),
            ),
        )
    items, total = list_interactions(db_session, customer_id=customer.id, limit=3)
    assert total == 4 and [i.subject for i in items] == ["3", "2", "1"]
    phones, n = list_interactions(db_session, customer_id=customer.id, channel="phone")
    assert n == 2 and [i.subject for i in phones] == ["3", "0"]
    with pytest.raises(NotFound):
        list_interactions(db_session, customer_id=99_999_999)


def test_wrap_up_update(db_session: Session, new_customer: NewCustomer) -> None:
    customer = new_customer("Wrap")
    call = create_interaction(db_session, data=InteractionCreate(channel="phone", started_at=T0))
    updated = update_interaction(
        db_session,
        interaction_id=call.id,
        data=InteractionUpdate(
            customer_id=customer.id, disposition="resolved", notes="备注", survey_score=5, wrapup_seconds=30
        ),
    )
    assert (updated.customer_id, updated.disposition, updated.survey_score, updated.wrapup_seconds) == (
        customer.id,
        "resolved",
        5,
        30,
    )
    with pytest.raises(ValueError):
        InteractionUpdate(survey_score=6)
    with pytest.raises(NotFound) as caught:
        update_interaction(db_session, interaction_id=99_999_999, data=InteractionUpdate(notes="x"))
    assert caught.value.error_id == "interaction-not-found"


def test_an_answered_call_from_a_known_number(db_session: Session, new_customer: NewCustomer) -> None:
    customer = new_customer("来电客户", phones=["13887654321"])
    ext = _uid("1700000000.1")
    call = start_call(
        db_session,
        external_id=ext,
        number="008613887654321",
        direction="inbound",
        started_at=T0,
        queue="sales",
    )
    assert (call.customer_id, call.address, call.queue, call.channel) == (
        customer.id,
        "+8613887654321",
        "sales",
        "phone",
    )
    update_call(db_session, external_id=ext, ivr_path=["main", "1", "repairs"], recording_ref="rec/1.wav")
    answer_call(db_session, external_id=ext, answered_at=T0 + timedelta(seconds=42), agent="1001")
    ended = end_call(
        db_session, external_id=ext, ended_at=T0 + timedelta(seconds=42 + 185), hangup_cause="16"
    )
    assert (ended.wait_seconds, ended.talk_seconds, ended.agent, ended.hangup_cause) == (
        42,
        185,
        "1001",
        "16",
    )
    assert ended.ivr_path == ["main", "1", "repairs"] and ended.recording_ref == "rec/1.wav"


def test_call_events_are_idempotent(db_session: Session) -> None:
    ext = _uid("idem")
    first = start_call(db_session, external_id=ext, number="13500135000", direction="inbound", started_at=T0)
    again = start_call(
        db_session,
        external_id=ext,
        number="13500135000",
        direction="inbound",
        started_at=T0 + timedelta(seconds=5),
        queue="support",
    )
    assert again.id == first.id and again.started_at == T0 and again.queue == "support"
    answer_call(db_session, external_id=ext, answered_at=T0 + timedelta(seconds=10), agent="1001")
    answer_call(db_session, external_id=ext, answered_at=T0 + timedelta(seconds=99))
    end_call(db_session, external_id=ext, ended_at=T0 + timedelta(seconds=70))
    done = end_call(db_session, external_id=ext, ended_at=T0 + timedelta(seconds=500), hangup_cause="16")
    assert (done.answered_at, done.wait_seconds, done.talk_seconds) == (T0 + timedelta(seconds=10), 10, 60)
    assert done.ended_at == T0 + timedelta(seconds=70) and done.hangup_cause == "16"


def test_a_transfer_records_the_agent_now_speaking(db_session: Session) -> None:
    ext = _uid("xfer")
    start_call(db_session, external_id=ext, number="13500135001", direction="inbound", started_at=T0)
    answer_call(db_session, external_id=ext, answered_at=T0 + timedelta(seconds=3), agent="1001")
    moved = answer_call(db_session, external_id=ext, answered_at=T0 + timedelta(seconds=60), agent="1002")
    assert (moved.agent, moved.wait_seconds) == ("1002", 3)


def test_an_abandoned_call_waited_until_it_ended(db_session: Session) -> None:
    ext = _uid("abandon")
    start_call(db_session, external_id=ext, number="<unknown>", direction="inbound", started_at=T0)
    ended = end_call(db_session, external_id=ext, ended_at=T0 + timedelta(seconds=33), hangup_cause="127")
    assert (ended.address, ended.customer_id, ended.wait_seconds, ended.talk_seconds) == (None, None, 33, 0)


def test_caller_ids_that_are_not_numbers_identify_nobody(db_session: Session) -> None:
    call = start_call(db_session, external_id=_uid("ext"), number="1001", direction="outbound", started_at=T0)
    assert (call.address, call.customer_id) == ("1001", None)
    with pytest.raises(InvalidInput):
        start_call(db_session, external_id=_uid("bad"), number="1", direction="sideways", started_at=T0)


def test_unknown_calls_are_not_found(db_session: Session) -> None:
    for report in (
        lambda: answer_call(db_session, external_id="nope", answered_at=T0),
        lambda: end_call(db_session, external_id="nope", ended_at=T0),
        lambda: update_call(db_session, external_id="nope", queue="q"),
    ):
        with pytest.raises(NotFound) as caught:
            report()
        assert caught.value.error_id == "interaction-not-found"
        assert caught.value.details == {"external_id": "nope"}


def test_a_call_for_a_merged_customer_lands_on_the_survivor(
    db_session: Session, new_customer: NewCustomer
) -> None:
    from tests.tickets.conftest import SUPERVISOR
    from tickets.customers.service import merge_customers

    survivor, duplicate = new_customer("Keep"), new_customer("Dup")
    merge_customers(db_session, survivor_id=survivor.id, duplicate_id=duplicate.id, actor=SUPERVISOR)
    call = start_call(
        db_session,
        external_id=_uid("merged"),
        number="13500135002",
        direction="inbound",
        started_at=T0,
        customer_id=duplicate.id,
    )
    assert call.customer_id == survivor.id


def test_a_call_recorded_concurrently_is_reused(db_session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """The insert loses a race with another worker: the unique external_id wins, nothing is lost."""
    import tickets.interactions.service as service

    ext = _uid("race")
    first = start_call(db_session, external_id=ext, number="13500135003", direction="inbound", started_at=T0)
    real = service.find_interaction
    calls = {"n": 0}

    def stale_then_real(session: Session, *, external_id: str) -> object:
        calls["n"] += 1
        return None if calls["n"] == 1 else real(session, external_id=external_id)

    monkeypatch.setattr(service, "find_interaction", stale_then_real)
    again = start_call(db_session, external_id=ext, number="13500135003", direction="inbound", started_at=T0)
    assert again.id == first.id and calls["n"] == 2
    answer_call(db_session, external_id=ext, answered_at=T0 + timedelta(seconds=1))  # session still usable
