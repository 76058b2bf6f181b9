"""Customer services: create, update, search, lookup by phone, merge (on SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.tickets.conftest import AGENT, SUPERVISOR, count_statements
from tickets.customers.schemas import ContactPointCreate, CustomerCreate, CustomerQuery, CustomerUpdate
from tickets.customers.service import (
    add_contact_point,
    find_by_phone,
    get_customer,
    merge_customers,
    remove_contact_point,
    search_customers,
    update_customer,
)
from tickets.errors import Conflict, Forbidden, InvalidInput, NotFound
from tickets.models import Asset, ContactPoint, Customer, FollowUpTask, Interaction, Ticket, TicketChange

NewCustomer = Callable[..., Customer]


def test_create_normalizes_contact_points_and_marks_the_first_primary(
    db_session: Session, new_customer: NewCustomer
) -> None:
    customer = new_customer(
        "张三丰",
        company="武当科技",
        phones=["138-0013-8000", "010 6552 9988", "+86 138 0013 8000"],
        emails=["ZhangSF@Example.COM"],
        tags=["老客户", "vip-candidate", "老客户"],
        tier="gold",
    )
    db_session.expire_all()
    loaded = get_customer(db_session, customer_id=customer.id)
    assert loaded.display_name == "张三丰"
    assert [(cp.kind, cp.value, cp.is_primary) for cp in loaded.contact_points] == [
        ("phone", "+8613800138000", True),
        ("phone", "+861065529988", False),
        ("email", "zhangsf@example.com", True),
    ]
    assert loaded.tags == ["老客户", "vip-candidate"]
    assert loaded.tier == "gold"
    assert loaded.created_at.tzinfo is not None
    assert abs(loaded.created_at - datetime.now(UTC)) < timedelta(minutes=5)


def test_invalid_contact_points_are_refused_naming_the_field() -> None:
    with pytest.raises(ValidationError) as caught:
        CustomerCreate(display_name="Li Lei", phones=["13800138000", "12"], emails=["not-an-address"])
    locs = {tuple(e["loc"]) for e in caught.value.errors()}
    assert ("phones",) in locs and ("emails",) in locs
    assert "phones[1]" in str(caught.value)
    with pytest.raises(ValidationError):
        CustomerCreate(display_name="   ")
    with pytest.raises(ValidationError):
        CustomerCreate(display_name="x", tier="platinum")


def test_update_changes_given_fields_and_replaces_phones_keeping_labels(
    db_session: Session, new_customer: NewCustomer
) -> None:
    customer = new_customer("Han Meimei", phones=["13800138001", "13800138002"], notes="prefers mornings")
    add_contact_point(
        db_session,
        customer_id=customer.id,
        data=ContactPointCreate(kind="phone", value="13800138002", label="office"),
    )
    updated = update_customer(
        db_session,
        customer_id=customer.id,
        data=CustomerUpdate(company="Acme", phones=["13800138002", "13900139000"]),
    )
    assert updated.company == "Acme"
    assert updated.notes == "prefers mornings"  # not given: unchanged
    phones = [(cp.value, cp.label, cp.is_primary) for cp in updated.contact_points if cp.kind == "phone"]
    assert sorted(phones) == [("+8613800138002", "office", True), ("+8613900139000", None, False)]
    with pytest.raises(ValidationError):
        CustomerUpdate(display_name=None)


def test_contact_points_can_be_added_and_removed(db_session: Session, new_customer: NewCustomer) -> None:
    customer = new_customer("Wang Wu", phones=["13800138003"])
    cp = add_contact_point(
        db_session,
        customer_id=customer.id,
        data=ContactPointCreate(kind="phone", value="+1 415 555 2671", label="US mobile", is_primary=True),
    )
    assert cp.value == "+14155552671" and cp.is_primary
    primary = [c.value for c in customer.contact_points if c.kind == "phone" and c.is_primary]
    assert primary == ["+14155552671"]
    remove_contact_point(db_session, customer_id=customer.id, contact_point_id=cp.id)
    assert [(c.value, c.is_primary) for c in customer.contact_points] == [("+8613800138003", True)]
    with pytest.raises(NotFound) as caught:
        remove_contact_point(db_session, customer_id=customer.id, contact_point_id=cp.id)
    assert caught.value.error_id == "contact-point-not-found"


def test_unknown_customer_is_not_found(db_session: Session) -> None:
    with pytest.raises(NotFound) as caught:
        get_customer(db_session, customer_id=987654321)
    assert caught.value.error_id == "customer-not-found"


def test_find_by_phone_reads_any_format_and_returns_every_holder(
    db_session: Session, new_customer: NewCustomer
) -> None:
    first = new_customer("李雷", phones=["13700137000"])
    second = new_customer("韩梅梅", phones=["13600136000", "13700137000"])
    for raw in ("13700137000", "+86 137-0013-7000", "008613700137000"):
        assert [c.id for c in find_by_phone(db_session, phone=raw)] == [first.id, second.id]
    assert find_by_phone(db_session, phone="13500135000") == []
    db_session.expire_all()
    with count_statements(db_session) as statements:
        found = find_by_phone(db_session, phone="13700137000")
        _ = [cp.value for c in found for cp in c.contact_points]
    # two indexed look-ups however many holders: the number's holders, then them with contact points
    assert len(statements) == 2, statements
    with pytest.raises(InvalidInput) as caught:
        find_by_phone(db_session, phone="12")
    assert caught.value.details["field"] == "phone"


def _search(session: Session, **filters: object) -> tuple[list[str], int]:
    items, total = search_customers(session, query=CustomerQuery(**filters))
    return [c.display_name for c in items], total


def test_search_by_name_phone_email_company_tier_and_tag(
    db_session: Session, new_customer: NewCustomer
) -> None:
    # Other suites commit customers to the same database: every query here is narrowed by a unique tag.
    tag = "srch-" + datetime.now(UTC).strftime("%H%M%S%f")
    taiji = "太极" + tag
    new_customer("张三丰", company="武当科技有限公司", tier="vip", tags=[tag, taiji], phones=["13811112222"])
    new_customer("张无忌", company="明教", tags=[tag], emails=["wuji@mingjiao.cn"])
    new_customer("Zoe Smith", company="Acme 100% Corp", tier="gold", tags=[tag], phones=["+1 415 555 2671"])

    assert _search(db_session, q="三丰", tag=tag) == (["张三丰"], 1)
    assert _search(db_session, q="张", tag=tag)[1] == 2
    assert _search(db_session, q="zoe", tag=tag) == (["Zoe Smith"], 1)
    assert _search(db_session, phone="138 1111 2222", tag=tag) == (["张三丰"], 1)
    assert _search(db_session, phone="+14155552671", tag=tag) == (["Zoe Smith"], 1)
    assert _search(db_session, email="WUJI@mingjiao.cn", tag=tag) == (["张无忌"], 1)
    assert _search(db_session, company="武当", tag=tag) == (["张三丰"], 1)
    assert _search(db_session, company="100%", tag=tag) == (["Zoe Smith"], 1)
    assert _search(db_session, company="10_", tag=tag) == ([], 0)  # wildcards are literal
    assert _search(db_session, tier="vip", tag=tag) == (["张三丰"], 1)
    assert _search(db_session, tag=taiji) == (["张三丰"], 1)
    assert _search(db_session, tag=tag)[1] == 3


def test_search_paginates_with_the_total(db_session: Session, new_customer: NewCustomer) -> None:
    tag = "page-" + datetime.now(UTC).strftime("%H%M%S%f")
    for i in range(7):
        new_customer(f"Page Person {i}", tags=[tag])
    names, total = _search(db_session, tag=tag, limit=3, offset=0)
    assert total == 7 and names == ["Page Person 0", "Page Person 1", "Page Person 2"]
    names, total = _search(db_session, tag=tag, limit=3, offset=6)
    assert total == 7 and names == ["Page Person 6"]
    with pytest.raises(ValidationError):
        CustomerQuery(limit=0)
    with pytest.raises(ValidationError):
        CustomerQuery(limit=10_000)


def _history(session: Session, customer: Customer) -> dict[str, int]:
    now = datetime.now(UTC)
    asset = Asset(customer_id=customer.id, product="Washer", serial_number=f"SN{customer.id}")
    call = Interaction(customer_id=customer.id, channel="phone", started_at=now, agent="a1")
    session.add_all([asset, call])
    session.flush()
    ticket = Ticket(
        number=f"T-{customer.id}-{now.timestamp()}",
        type="repair",
        customer_id=customer.id,
        subject="broken",
        asset_id=asset.id,
    )
    session.add(ticket)
    session.flush()
    task = FollowUpTask(ticket_id=ticket.id, customer_id=customer.id, due_at=now + timedelta(days=3))
    session.add(task)
    session.flush()
    return {"asset": asset.id, "interaction": call.id, "ticket": ticket.id, "follow_up": task.id}


def test_merge_moves_every_history_to_the_survivor(db_session: Session, new_customer: NewCustomer) -> None:
    survivor = new_customer("王芳", tier="silver", tags=["a"], phones=["13800000001"], value_score=10)
    # (tags "a"/"b" and names are only searched within this test's rolled-back transaction)
    duplicate = new_customer(
        "王芳 (dup)",
        company="芳华贸易",
        tier="gold",
        tags=["b", "a"],
        phones=["13800000001", "13800000002"],
        emails=["fang@example.com"],
        notes="met at the fair",
        value_score=30,
    )
    kept = _history(db_session, survivor)
    moved = _history(db_session, duplicate)

    result = merge_customers(db_session, survivor_id=survivor.id, duplicate_id=duplicate.id, actor=SUPERVISOR)
    db_session.expire_all()

    assert result.id == survivor.id
    s = get_customer(db_session, customer_id=survivor.id)
    assert sorted((cp.kind, cp.value) for cp in s.contact_points) == [
        ("email", "fang@example.com"),
        ("phone", "+8613800000001"),
        ("phone", "+8613800000002"),
    ]
    assert [cp.value for cp in s.contact_points if cp.is_primary and cp.kind == "phone"] == ["+8613800000001"]
    assert (s.company, s.tier, s.tags, s.value_score) == ("芳华贸易", "gold", ["a", "b"], 30)
    assert s.notes is not None and "met at the fair" in s.notes
    for model, key in (
        (Asset, "asset"),
        (Interaction, "interaction"),
        (Ticket, "ticket"),
        (FollowUpTask, "follow_up"),
    ):
        for ids in (kept, moved):
            row = db_session.get(model, ids[key])
            # not None, and one of the four models (mypy joins them to their Base)
            assert isinstance(row, Asset | Interaction | Ticket | FollowUpTask), (model, key)
            assert row.customer_id == survivor.id, (model, key)

    # the moved ticket's audit history tells who moved it from which customer, and when
    moves = select(TicketChange).where(TicketChange.field == "customer_id")
    [change] = db_session.scalars(moves.where(TicketChange.ticket_id == moved["ticket"])).all()
    assert (change.actor, change.old_value, change.new_value) == (
        SUPERVISOR.username, str(duplicate.id), str(survivor.id)
    )
    assert change.at.tzinfo is not None
    assert db_session.scalars(moves.where(TicketChange.ticket_id == kept["ticket"])).all() == []

    d = get_customer(db_session, customer_id=duplicate.id)
    assert d.merged_into_id == survivor.id and d.merged_by == SUPERVISOR.username and d.merged_at is not None
    assert d.contact_points == []
    assert get_customer(db_session, customer_id=duplicate.id, follow_merged=True).id == survivor.id
    assert [c.id for c in find_by_phone(db_session, phone="13800000002")] == [survivor.id]
    assert _search(db_session, q="王芳")[0] == ["王芳"]
    assert (
        db_session.scalars(select(ContactPoint).where(ContactPoint.customer_id == duplicate.id)).all() == []
    )


def test_merge_repoints_earlier_merges_and_refuses_bad_requests(
    db_session: Session, new_customer: NewCustomer
) -> None:
    a, b, c = new_customer("A"), new_customer("B"), new_customer("C")
    merge_customers(db_session, survivor_id=b.id, duplicate_id=c.id, actor=SUPERVISOR)
    merge_customers(db_session, survivor_id=a.id, duplicate_id=b.id, actor=SUPERVISOR)
    db_session.expire_all()
    assert db_session.get(Customer, c.id).merged_into_id == a.id  # type: ignore[union-attr]

    with pytest.raises(Forbidden):
        merge_customers(db_session, survivor_id=a.id, duplicate_id=new_customer("D").id, actor=AGENT)
    with pytest.raises(Conflict) as same:
        merge_customers(db_session, survivor_id=a.id, duplicate_id=a.id, actor=SUPERVISOR)
    assert same.value.error_id == "merge-same-customer"
    with pytest.raises(Conflict) as again:
        merge_customers(db_session, survivor_id=a.id, duplicate_id=b.id, actor=SUPERVISOR)
    assert again.value.error_id == "customer-merged"
    with pytest.raises(Conflict):
        update_customer(db_session, customer_id=b.id, data=CustomerUpdate(company="x"))


def test_decimal_and_aware_timestamps_round_trip(db_session: Session, new_customer: NewCustomer) -> None:
    customer = new_customer("Round Trip")
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    asset = Asset(customer_id=customer.id, product="TV", purchase_amount=Decimal("3999.50"))
    call = Interaction(customer_id=customer.id, channel="phone", started_at=when.astimezone(tz=None))
    db_session.add_all([asset, call])
    db_session.flush()
    db_session.expire_all()
    assert db_session.get(Asset, asset.id).purchase_amount == Decimal("3999.50")  # type: ignore[union-attr]
    started = db_session.get(Interaction, call.id).started_at  # type: ignore[union-attr]
    assert started == when and started.tzinfo is not None
