"""Customer use cases. Keyword-only functions taking a Session; they flush, the caller commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, and_, exists, func, insert, literal, select, type_coerce, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session, joinedload, selectinload

from tickets.actors import SYSTEM, Actor
from tickets.contacts import normalize_email
from tickets.customers import lookup
from tickets.customers.lookup import customer_not_found, refuse_merged
from tickets.customers.schemas import ContactPointCreate, CustomerCreate, CustomerQuery, CustomerUpdate
from tickets.errors import Conflict, Forbidden, NotFound
from tickets.models import (
    TIERS,
    Asset,
    ContactPoint,
    Customer,
    FollowUpTask,
    Interaction,
    Ticket,
    TicketChange,
    UTCDateTime,
)
from tickets.phones import normalize_phone

WITH_CONTACT_POINTS = (joinedload(Customer.contact_points),)


def create_customer(session: Session, *, data: CustomerCreate, actor: Actor = SYSTEM) -> Customer:
    """A new customer with its phones and e-mails (the first of each kind is primary)."""
    customer = Customer(
        display_name=data.display_name,
        company=data.company,
        tier=data.tier,
        value_score=data.value_score,
        segment=data.segment,
        preferred_language=data.preferred_language,
        tags=list(data.tags),
        notes=data.notes,
    )
    for kind, values in (("phone", data.phones), ("email", data.emails)):
        for i, value in enumerate(values):
            customer.contact_points.append(ContactPoint(kind=kind, value=value, is_primary=i == 0))
    session.add(customer)
    session.flush()
    return customer


MERGE_LOCK_KEY = 0x6D65726765  # "merge": the PostgreSQL advisory lock all merges take in turn


def _serialize_merges(session: Session) -> None:
    """One merge at a time (PostgreSQL; SQLite serializes every writer): a merge rewrites rows beyond
    the pair it locks (customers merged earlier into the duplicate), so two merges of a ring could
    wait for each other. Merges are rare; taking them in turn costs nothing."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(MERGE_LOCK_KEY)))


def lock_customers(session: Session, *customer_ids: int) -> None:
    """Lock these customers' rows until the transaction ends (PostgreSQL; SQLite serializes writers),
    always in id order so that two requests locking the same pair never deadlock, and reload them:
    what is checked afterwards (merged? which phone is primary?) is the committed truth."""
    stmt = (
        select(Customer)
        .where(Customer.id.in_(sorted(set(customer_ids))))
        .order_by(Customer.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    session.scalars(stmt).all()


def get_customer(session: Session, *, customer_id: int, follow_merged: bool = False) -> Customer:
    """The customer with its contact points; ``follow_merged`` returns the survivor of a merged one."""
    options = [selectinload(Customer.contact_points)]
    if follow_merged:
        return lookup.survivor(session, customer_id, options=options)
    customer = session.get(Customer, customer_id, options=options)
    if customer is None:
        raise customer_not_found(customer_id)
    return customer


def update_customer(
    session: Session, *, customer_id: int, data: CustomerUpdate, actor: Actor = SYSTEM
) -> Customer:
    """Change the fields that were given; given ``phones``/``emails`` replace that kind of contact point."""
    lock_customers(session, customer_id)
    customer = refuse_merged(get_customer(session, customer_id=customer_id))
    changes = data.model_dump(exclude_unset=True, exclude={"phones", "emails"})
    for field, value in changes.items():
        setattr(customer, field, list(value) if field == "tags" else value)
    if data.phones is not None and "phones" in data.model_fields_set:
        _replace_contact_points(customer, "phone", data.phones)
    if data.emails is not None and "emails" in data.model_fields_set:
        _replace_contact_points(customer, "email", data.emails)
    customer.updated_at = datetime.now(UTC)
    session.flush()
    return customer


def _replace_contact_points(customer: Customer, kind: str, values: Sequence[str]) -> None:
    """Keep rows whose value stays (with their labels), drop the others, add the new ones in order."""
    existing = {cp.value: cp for cp in customer.contact_points if cp.kind == kind}
    for value, cp in existing.items():
        if value not in values:
            customer.contact_points.remove(cp)
    for i, value in enumerate(values):
        found = existing.get(value)
        if found is None:
            found = ContactPoint(kind=kind, value=value)
            customer.contact_points.append(found)
        found.is_primary = i == 0


def add_contact_point(
    session: Session, *, customer_id: int, data: ContactPointCreate, actor: Actor = SYSTEM
) -> ContactPoint:
    """Add a phone or e-mail; an existing one of the same value is updated (label, primary) instead.

    The customer's row is locked first, so concurrent additions see each other: the same value twice
    gives the one contact point, and exactly one of each kind stays primary.
    """
    lock_customers(session, customer_id)
    customer = get_customer(session, customer_id=customer_id)
    value = normalize_phone(data.value, field="value") if data.kind == "phone" else data.value
    if data.kind == "email":
        value = normalize_email(value, field="value")
    same_kind = [cp for cp in customer.contact_points if cp.kind == data.kind]
    cp = next((c for c in same_kind if c.value == value), None)
    if cp is None:
        cp = ContactPoint(kind=data.kind, value=value)
        customer.contact_points.append(cp)
    if data.label is not None:
        cp.label = data.label
    if data.is_primary or not any(c.is_primary for c in same_kind if c is not cp):
        for other in same_kind:
            other.is_primary = False
        cp.is_primary = True
    session.flush()
    return cp


def remove_contact_point(
    session: Session, *, customer_id: int, contact_point_id: int, actor: Actor = SYSTEM
) -> None:
    lock_customers(session, customer_id)  # beside a concurrent add: still exactly one primary
    customer = get_customer(session, customer_id=customer_id)
    cp = next((c for c in customer.contact_points if c.id == contact_point_id), None)
    if cp is None:
        raise NotFound(
            f"customer {customer_id} has no contact point {contact_point_id}",
            error_id="contact-point-not-found",
            details={"customer_id": customer_id, "contact_point_id": contact_point_id},
        )
    customer.contact_points.remove(cp)
    if cp.is_primary:
        rest = [c for c in customer.contact_points if c.kind == cp.kind]
        if rest:
            rest[0].is_primary = True
    session.flush()


def find_by_phone(session: Session, *, phone: str) -> list[Customer]:
    """Customers having this phone number (any format; normalized first), most relevant first.

    The holders through the ``contact_points(kind, value)`` index, with their contact points joined;
    merged duplicates never match.
    """
    number = normalize_phone(phone, field="phone")
    return lookup.holders(session, "phone", number, options=WITH_CONTACT_POINTS)


def customer_id_for_number(session: Session, *, number: str) -> int | None:
    """The id of the customer an E.164 number belongs to (the primary holder, then the oldest)."""
    return lookup.first_holder_id(session, "phone", number)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _tag_filter(session: Session, tag: str) -> ColumnElement[bool]:
    if session.get_bind().dialect.name == "postgresql":
        return type_coerce(Customer.tags, JSONB).contains([tag])
    each = func.json_each(Customer.tags).table_valued("value")
    return exists(select(1).select_from(each).where(each.c.value == tag))


def _search_filters(session: Session, query: CustomerQuery) -> list[ColumnElement[bool]]:
    filters: list[ColumnElement[bool]] = [Customer.merged_into_id.is_(None)]
    if query.q:
        filters.append(Customer.display_name.ilike(f"%{_escape_like(query.q)}%", escape="\\"))
    if query.company:
        filters.append(Customer.company.ilike(f"%{_escape_like(query.company)}%", escape="\\"))
    if query.tier:
        filters.append(Customer.tier == query.tier)
    if query.tag:
        filters.append(_tag_filter(session, query.tag))
    for kind, raw in (("phone", query.phone), ("email", query.email)):
        if raw is None:
            continue
        value = normalize_phone(raw, field=kind) if kind == "phone" else normalize_email(raw, field=kind)
        filters.append(
            exists().where(
                ContactPoint.customer_id == Customer.id,
                ContactPoint.kind == kind,
                ContactPoint.value == value,
            )
        )
    return filters


def search_customers(session: Session, *, query: CustomerQuery) -> tuple[list[Customer], int]:
    """Customers matching every given filter (merged duplicates excluded) and how many match in all."""
    where = and_(*_search_filters(session, query))
    total = session.scalar(select(func.count()).select_from(Customer).where(where)) or 0
    stmt = (
        select(Customer)
        .where(where)
        .order_by(Customer.display_name, Customer.id)
        .limit(query.limit)
        .offset(query.offset)
        .options(selectinload(Customer.contact_points))
    )
    return list(session.scalars(stmt).all()), total


def merge_customers(session: Session, *, survivor_id: int, duplicate_id: int, actor: Actor) -> Customer:
    """Fold ``duplicate`` into ``survivor``: contact points, assets, interactions, tickets and follow-ups
    move to the survivor; the duplicate stays (for history) with ``merged_into_id`` and leaves search.

    Supervisors and admins only.
    """
    if not actor.is_supervisor:
        raise Forbidden(
            "merging customers needs a supervisor or an admin",
            error_id="forbidden",
            details={"role": actor.role},
        )
    if survivor_id == duplicate_id:
        raise Conflict(
            "a customer cannot be merged into itself",
            error_id="merge-same-customer",
            details={"field": "duplicate_id"},
        )
    _serialize_merges(session)
    lock_customers(session, survivor_id, duplicate_id)
    survivor = get_customer(session, customer_id=survivor_id)
    duplicate = get_customer(session, customer_id=duplicate_id)
    for role, customer in (("survivor", survivor), ("duplicate", duplicate)):
        if customer.merged_into_id is not None:
            raise Conflict(
                f"the {role} (customer {customer.id}) was already merged into {customer.merged_into_id}",
                error_id="customer-merged",
                details={"customer_id": customer.id, "merged_into_id": customer.merged_into_id},
            )

    _move_contact_points(survivor, duplicate)
    session.flush()
    now = datetime.now(UTC)
    _audit_moved_tickets(session, survivor_id=survivor_id, duplicate_id=duplicate_id, actor=actor, at=now)
    for model in (Asset, Interaction, Ticket, FollowUpTask):
        session.execute(
            update(model)
            .where(model.customer_id == duplicate_id)
            .values(customer_id=survivor_id)
            .execution_options(synchronize_session="fetch")
        )
    # Earlier merges into the duplicate now point at the survivor.
    session.execute(
        update(Customer)
        .where(Customer.merged_into_id == duplicate_id)
        .values(merged_into_id=survivor_id)
        .execution_options(synchronize_session="fetch")
    )
    _fold_profile(survivor, duplicate)
    duplicate.merged_into_id = survivor.id
    duplicate.merged_at = now
    duplicate.merged_by = actor.username
    survivor.updated_at = now
    session.flush()
    session.expire(survivor, ["assets"])
    return survivor


def _audit_moved_tickets(
    session: Session, *, survivor_id: int, duplicate_id: int, actor: Actor, at: datetime
) -> None:
    """One audit row per ticket that changes customer, so the ticket's history shows the merge."""
    rows = select(
        Ticket.id,
        literal(actor.username),
        literal(at, UTCDateTime()),
        literal("customer_id"),
        literal(str(duplicate_id)),
        literal(str(survivor_id)),
    ).where(Ticket.customer_id == duplicate_id)
    columns = ["ticket_id", "actor", "at", "field", "old_value", "new_value"]
    session.execute(insert(TicketChange).from_select(columns, rows))


def _move_contact_points(survivor: Customer, duplicate: Customer) -> None:
    have = {(cp.kind, cp.value) for cp in survivor.contact_points}
    has_primary = {cp.kind for cp in survivor.contact_points if cp.is_primary}
    for cp in list(duplicate.contact_points):
        duplicate.contact_points.remove(cp)
        if (cp.kind, cp.value) in have:
            continue  # the orphan row is deleted
        survivor.contact_points.append(
            ContactPoint(kind=cp.kind, value=cp.value, label=cp.label, is_primary=cp.kind not in has_primary)
        )
        has_primary.add(cp.kind)
        have.add((cp.kind, cp.value))


def _fold_profile(survivor: Customer, duplicate: Customer) -> None:
    """The survivor keeps its values and gains what only the duplicate knew."""
    for field in ("company", "segment"):
        if getattr(survivor, field) is None and getattr(duplicate, field) is not None:
            setattr(survivor, field, getattr(duplicate, field))
    if duplicate.notes and duplicate.notes != survivor.notes:
        merged_note = f"[merged from customer {duplicate.id}] {duplicate.notes}"
        survivor.notes = f"{survivor.notes}\n{merged_note}" if survivor.notes else merged_note
    survivor.tags = list(dict.fromkeys([*survivor.tags, *duplicate.tags]))
    if TIERS.index(duplicate.tier) > TIERS.index(survivor.tier):
        survivor.tier = duplicate.tier
    survivor.value_score = max(survivor.value_score, duplicate.value_score)
