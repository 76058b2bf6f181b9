"""Ticket use cases: create, get, list, update, transition, comment, link an interaction.

Keyword-only functions taking a ``Session``, the acting :class:`~tickets.actors.Actor` and plain data;
they ``flush()`` and leave the commit to the caller (the request or the job runner).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, bindparam, func, or_, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from tickets.actors import Actor
from tickets.customers.lookup import survivor
from tickets.db import is_sqlite
from tickets.errors import Conflict, InvalidInput, NotFound
from tickets.models import Asset, Customer, Interaction, Ticket, TicketChange, TicketComment, utcnow
from tickets.models.tickets import ticket_interactions
from tickets.ticketing import audit, policy
from tickets.ticketing.follow_ups import cancel_open_follow_ups
from tickets.ticketing.notifier import TICKET_ASSIGNED, DbNotifier, Note, Notifier
from tickets.ticketing.schemas import (
    COMPLAINT_FIELDS,
    REPAIR_FIELDS,
    TicketCreate,
    TicketPublic,
    TicketUpdate,
)
from tickets.users.models import User
from tickets.workflow.assignment import pick_member, route_for
from tickets.workflow.domain import IllegalTransition, Outcome, TicketState, is_reopen, transition
from tickets.workflow.priority import derive_priority
from tickets.workflow.rules import WorkflowRules
from tickets.workflow.sla import sla_due, sla_hours
from tickets.workflow.vocab import (
    NUMBER_PREFIXES,
    OPEN_STATUSES,
    Priority,
    Severity,
    Status,
    TicketType,
    Tier,
)

_OPEN = tuple(s.value for s in OPEN_STATUSES)
_CLOCK_RUNNING = tuple(s.value for s in OPEN_STATUSES if s is not Status.PENDING_CUSTOMER)


def ticket_number(ticket_type: TicketType, ticket_id: int) -> str:
    """``REP-000123``: the type's prefix and the ticket's id (unique because the id is)."""
    return f"{NUMBER_PREFIXES[ticket_type]}-{ticket_id:06d}"


_BY_ID = select(Ticket).where(Ticket.id == bindparam("ref"))
_BY_NUMBER = select(Ticket).where(Ticket.number == bindparam("ref"))
# PostgreSQL locks the row; the fresh values replace any loaded before.
_BY_ID_FOR_UPDATE = _BY_ID.with_for_update().execution_options(populate_existing=True)
_BY_NUMBER_FOR_UPDATE = _BY_NUMBER.with_for_update().execution_options(populate_existing=True)
# Statements built once at import and run with parameters: building one per call costs more CPU
# than running it (docs/workflow.md, "CPU per request").


def get_ticket(session: Session, *, ref: int | str, for_update: bool = False) -> Ticket:
    """A ticket by id (``42``, ``"42"``) or number (``"REP-000042"``, any case; full-width characters
    as a Chinese input method types them, ``"ＲＥＰ－０００４２"``, are read as their ASCII forms)."""
    if isinstance(ref, str):
        ref = unicodedata.normalize("NFKC", ref).strip()
    key: int | str
    if isinstance(ref, int) or (ref.isascii() and ref.isdigit()):
        stmt, key = (_BY_ID_FOR_UPDATE if for_update else _BY_ID), int(ref)
    else:
        stmt, key = (_BY_NUMBER_FOR_UPDATE if for_update else _BY_NUMBER), ref.upper()
    ticket = session.scalars(stmt, {"ref": key}).first()
    if ticket is None:
        raise NotFound(f"no ticket {ref!r}", error_id="no-such-ticket", details={"ticket": str(ref)})
    return ticket


_COMMENT_ROWS = (
    select(TicketComment.id, TicketComment.ticket_id, TicketComment.author, TicketComment.body,
           TicketComment.internal, TicketComment.created_at)
    .where(TicketComment.ticket_id == bindparam("ticket_id")).order_by(TicketComment.id)
)
_INTERACTION_IDS = (
    select(ticket_interactions.c.interaction_id)
    .join(Interaction, Interaction.id == ticket_interactions.c.interaction_id)
    .where(ticket_interactions.c.ticket_id == bindparam("ticket_id")).order_by(Interaction.started_at)
)


def comments_and_interactions(session: Session, ticket: Ticket) -> tuple[Sequence[Any], list[int]]:
    """The ticket's comments (oldest first; objects or rows with their columns) and the ids of its
    linked interactions (by start time), as its detail shows them: the collections when loaded
    (a new ticket's are), else two column reads, which cost less CPU than loading the collections
    as objects."""
    unloaded = sa_inspect(ticket).unloaded
    comments: Sequence[Any] = (ticket.comments if "comments" not in unloaded
                               else session.execute(_COMMENT_ROWS, {"ticket_id": ticket.id}).mappings().all())
    ids = ([i.id for i in ticket.interactions] if "interactions" not in unloaded
           else list(session.scalars(_INTERACTION_IDS, {"ticket_id": ticket.id})))
    return comments, ids


def _customer(session: Session, customer_id: int) -> Customer:
    """The customer, following merges to the surviving record (an unknown id is bad input here)."""
    try:
        return survivor(session, customer_id)
    except NotFound:
        raise InvalidInput(f"no customer {customer_id}", details={"field": "customer_id"}) from None


def _tier(customer: Customer) -> Tier:
    try:
        return Tier(customer.tier)
    except ValueError:
        return Tier.STANDARD


def _check_asset(session: Session, asset_id: int | None, customer_id: int) -> None:
    if asset_id is None:
        return
    asset = session.get(Asset, asset_id)
    if asset is None or asset.customer_id != customer_id:
        raise InvalidInput(f"asset {asset_id} is not an asset of customer {customer_id}",
                           details={"field": "asset_id"})


def current_state(ticket: Ticket) -> dict[str, Any]:
    """The ticket as the API shows it (JSON-ready): what a refused competing change is told."""
    return TicketPublic.model_validate(ticket).model_dump(mode="json")


def check_version(ticket: Ticket, expected: int | None) -> None:
    """Optimistic concurrency: a change made from version ``expected`` is refused (409
    ``version-conflict`` with the current state) when another change came first."""
    if expected is not None and expected != ticket.version:
        raise Conflict(
            f"{ticket.number} changed since version {expected} (now {ticket.version}); reload and retry",
            error_id="version-conflict",
            details={"expected_version": expected, "version": ticket.version,
                     "current": current_state(ticket)},
        )


_USER_ACTIVE = select(User.active).where(User.username == bindparam("username"))


def _check_assignee(session: Session, rules: WorkflowRules, assignee: str | None) -> None:
    """A ticket's assignee is an active user, or a member the workflow rules name in a team (whose
    account may live elsewhere); anyone else would leave the ticket in nobody's queue."""
    if assignee is None:
        return
    active = session.scalar(_USER_ACTIVE, {"username": assignee})
    if active or (active is None and any(assignee in t.members for t in rules.teams)):
        return
    raise InvalidInput(f"assignee {assignee!r} is no active user or team member",
                       error_id="unknown-assignee", details={"field": "assignee"})


def _check_team(rules: WorkflowRules, team: str | None) -> None:
    if team is not None and rules.team(team) is None:
        raise InvalidInput(f"unknown team {team!r}",
                           details={"field": "team", "known": [t.name for t in rules.teams]})


def _choose_assignee(session: Session, rules: WorkflowRules, *, team: str | None,
                     ticket_type: TicketType, category: str | None) -> tuple[str | None, str | None]:
    """(team, assignee) for a new ticket from the assignment rules."""
    if team is not None:
        found = rules.team(team)
        assert found is not None
        members, strategy = found.members, found.strategy
    else:
        route = route_for(rules, ticket_type=ticket_type, category=category)
        if route is None:
            return None, None
        team, members, strategy = route.team, route.members, route.strategy
    if not members or strategy == "queue":
        return team, None
    loads: dict[str, int] = {}
    last: str | None = None
    if strategy == "least_loaded":
        rows = session.execute(
            select(Ticket.assignee, func.count())
            .where(Ticket.assignee.in_(members), Ticket.status.in_(_OPEN))
            .group_by(Ticket.assignee)
        )
        loads = {name: int(n) for name, n in rows if name is not None}
    else:
        last = session.scalar(
            select(Ticket.assignee)
            .where(Ticket.team == team, Ticket.assignee.in_(members))
            .order_by(Ticket.id.desc()).limit(1)
        )
    return team, pick_member(members, strategy, loads=loads, last_assigned=last)


def _notify_assignee(session: Session, notifier: Notifier, ticket: Ticket, *, actor: Actor,
                     now: datetime) -> None:
    if ticket.assignee and ticket.assignee != actor.username:
        notifier.send(session, Note(
            recipient=ticket.assignee, kind=TICKET_ASSIGNED, ticket_id=ticket.id, created_at=now,
            message=f"{ticket.number} assigned to you ({ticket.priority}): {ticket.subject}",
        ))


_NEXT_ID = select(func.nextval(func.pg_get_serial_sequence("tickets", "id")))
_MAX_ID = select(func.max(Ticket.id))


def _next_ticket_id(session: Session) -> int:
    """The new ticket's id, known before the insert so that its number is written with it.

    PostgreSQL: the next value of the id's sequence (never given twice). SQLite: one above the
    highest id, which is the id SQLite itself would give the row (no AUTOINCREMENT), and no other
    transaction can take it meanwhile: writes run one at a time from ``BEGIN IMMEDIATE`` on
    (tickets.db)."""
    if is_sqlite(session):
        return int(session.scalar(_MAX_ID) or 0) + 1
    return int(session.execute(_NEXT_ID).scalar_one())


def create_ticket(session: Session, *, actor: Actor, data: TicketCreate, rules: WorkflowRules,
                  notifier: Notifier | None = None, now: datetime | None = None) -> Ticket:
    """Open a ticket: derived priority, SLA due time, automatic assignment, audit row ``created``."""
    now = now or utcnow()
    notifier = notifier or DbNotifier()
    customer = _customer(session, data.customer_id)
    _check_asset(session, data.asset_id, customer.id)
    _check_team(rules, data.team)
    _check_assignee(session, rules, data.assignee)
    tier = _tier(customer)
    priority = derive_priority(rules.priority, ticket_type=data.type, requested=data.priority,
                               severity=data.severity, tier=tier)
    team, assignee = data.team, data.assignee
    if assignee is None:
        team, assignee = _choose_assignee(session, rules, team=team, ticket_type=data.type,
                                          category=data.category)
    interaction = _interaction(session, data.interaction_id, customer.id) if data.interaction_id else None
    fields = data.model_dump(exclude={"type", "customer_id", "priority", "team", "assignee",
                                      "interaction_id", "severity"})
    ticket_id = _next_ticket_id(session)
    ticket = Ticket(
        **fields,
        id=ticket_id,
        number=ticket_number(data.type, ticket_id),
        type=data.type.value,
        status=(Status.ASSIGNED if assignee else Status.NEW).value,
        priority=priority.value,
        severity=data.severity.value if data.severity else None,
        customer_id=customer.id,
        team=team,
        assignee=assignee,
        sla_due_at=sla_due(rules.sla, start=now, ticket_type=data.type, priority=priority, tier=tier),
        escalation_level=0,
        reopened_count=0,
        created_by=actor.username,
        created_at=now,
        updated_at=now,
        # A new ticket has no comments and only the interaction given: known, so never loaded.
        comments=[],
        interactions=[],
    )
    session.add(ticket)
    audit.record(session, ticket, actor=actor.username, at=now, field="created", old=None, new={
        "number": ticket.number, "type": ticket.type, "status": ticket.status, "priority": ticket.priority,
        "team": ticket.team, "assignee": ticket.assignee, "sla_due_at": audit.encode(ticket.sla_due_at),
    })
    if interaction is not None:
        ticket.interactions.append(interaction)
    session.flush()  # the ticket, its audit row and link in one flush (the id is known: no renumbering)
    _notify_assignee(session, notifier, ticket, actor=actor, now=now)
    session.flush()
    return ticket


@dataclass(frozen=True)
class TicketQuery:
    """List filters; every given filter must hold. ``q`` searches number, subject and description."""

    status: Sequence[Status] = ()
    type: TicketType | None = None
    priority: Priority | None = None
    assignee: str | None = None
    team: str | None = None
    customer_id: int | None = None
    overdue: bool | None = None
    q: str | None = None


@dataclass(frozen=True)
class _ListStatements:
    objects: Select[Any]  # the page as Ticket objects
    rows: Select[Any]  # the same page as rows of the ticket's columns (no ORM objects: less CPU)
    count: Select[Any]


@lru_cache(maxsize=256)
def _list_statements(status: bool, type_: bool, priority: bool, assignee: bool, team: bool,
                     customer: bool, overdue: bool | None, q: bool) -> _ListStatements:
    """The statements for one shape of filters (which are given), built once per shape and run
    with parameters: a filtered list costs no statement building per request."""
    where: list[Any] = []
    if status:
        where.append(Ticket.status.in_(bindparam("status", expanding=True)))
    if type_:
        where.append(Ticket.type == bindparam("type"))
    if priority:
        where.append(Ticket.priority == bindparam("priority"))
    if assignee:
        where.append(Ticket.assignee == bindparam("assignee"))
    if team:
        where.append(Ticket.team == bindparam("team"))
    if customer:
        where.append(Ticket.customer_id == bindparam("customer_id"))
    overdue_now = Ticket.status.in_(_CLOCK_RUNNING) & (Ticket.sla_due_at <= bindparam("now"))
    if overdue is True:
        where.append(overdue_now)
    elif overdue is False:
        where.append(~overdue_now | Ticket.sla_due_at.is_(None))
    if q:
        where.append(or_(
            Ticket.number == bindparam("q_number"),
            Ticket.subject.ilike(bindparam("q_pattern"), escape="\\"),
            Ticket.description.ilike(bindparam("q_pattern"), escape="\\"),
        ))

    def page(stmt: Select[Any]) -> Select[Any]:
        # Newest first by id (ids grow with creation time); an assignee's page is read from the
        # (assignee, id) index.
        return (stmt.where(*where).order_by(Ticket.id.desc())
                .limit(bindparam("limit")).offset(bindparam("offset")))

    return _ListStatements(
        objects=page(select(Ticket)), rows=page(select(*Ticket.__table__.c)),
        count=select(func.count()).select_from(select(Ticket).where(*where).subquery()),
    )


def _list(session: Session, query: TicketQuery, *, limit: int, offset: int, now: datetime | None,
          as_rows: bool) -> tuple[list[Any], int]:
    text = query.q.strip() if query.q else None
    statements = _list_statements(
        bool(query.status), query.type is not None, query.priority is not None, query.assignee is not None,
        query.team is not None, query.customer_id is not None, query.overdue, bool(query.q),
    )
    params: dict[str, Any] = {"status": [str(s) for s in query.status], "type": str(query.type),
                              "priority": str(query.priority), "assignee": query.assignee,
                              "team": query.team, "customer_id": query.customer_id,
                              "now": now or utcnow()}
    if text is not None:
        params["q_number"] = text.upper()
        params["q_pattern"] = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    paging = {**params, "limit": limit, "offset": offset}
    rows: list[Any] = (list(session.execute(statements.rows, paging).mappings()) if as_rows
                       else list(session.scalars(statements.objects, paging)))
    # A page shorter than ``limit`` ends the matches: it tells the total, no count needed.
    if len(rows) < limit and (rows or offset == 0):
        return rows, offset + len(rows)
    return rows, int(session.scalar(statements.count, params) or 0)


def list_tickets(session: Session, *, query: TicketQuery, limit: int = 50, offset: int = 0,
                 now: datetime | None = None) -> tuple[list[Ticket], int]:
    """One page of matching tickets, newest first, and the total number of matches (counted only
    when the page does not tell it: a page shorter than ``limit`` ends the matches)."""
    return _list(session, query, limit=limit, offset=offset, now=now, as_rows=False)


def list_ticket_rows(session: Session, *, query: TicketQuery, limit: int = 50, offset: int = 0,
                     now: datetime | None = None) -> tuple[list[Any], int]:
    """:func:`list_tickets` as rows of the ticket's columns (mappings by attribute name), for a
    response that only shows them: the same page and total without building Ticket objects."""
    return _list(session, query, limit=limit, offset=offset, now=now, as_rows=True)


def _state(session: Session, ticket: Ticket) -> TicketState:
    paused_at = None
    if ticket.status == Status.PENDING_CUSTOMER:
        # The pause began with the audited move into pending_customer.
        paused_at = session.scalar(
            select(TicketChange.at)
            .where(TicketChange.ticket_id == ticket.id, TicketChange.field == "status",
                   TicketChange.new_value == Status.PENDING_CUSTOMER.value)
            .order_by(TicketChange.id.desc()).limit(1)
        )
    return TicketState(
        status=Status(ticket.status), assignee=ticket.assignee, sla_due_at=ticket.sla_due_at,
        sla_paused_at=paused_at, sla_breached_at=ticket.sla_breached_at,
        escalation_level=ticket.escalation_level, first_response_at=ticket.first_response_at,
        resolved_at=ticket.resolved_at, closed_at=ticket.closed_at, reopened_count=ticket.reopened_count,
    )


def _apply(session: Session, ticket: Ticket, outcome: Outcome, *, actor: Actor, now: datetime,
           notifier: Notifier) -> None:
    values = {k: v for k, v in outcome.changes.items() if k != "sla_paused_at"}
    changed = audit.set_fields(session, ticket, values, actor=actor.username, at=now)
    if changed:
        ticket.updated_at = now
    if outcome.reopened:
        cancel_open_follow_ups(session, ticket=ticket, now=now, reason="ticket reopened")
    if "assignee" in changed:
        _notify_assignee(session, notifier, ticket, actor=actor, now=now)


def _reopen_hours(rules: WorkflowRules, ticket: Ticket) -> float | None:
    if rules.sla.reopen != "fresh":
        return None
    return sla_hours(rules.sla, ticket_type=TicketType(ticket.type), priority=Priority(ticket.priority),
                     tier=_tier(ticket.customer))


def transition_ticket(session: Session, *, actor: Actor, ref: int | str, to: Status, rules: WorkflowRules,
                      comment: str | None = None, internal: bool = False, assignee: str | None = None,
                      expected_version: int | None = None, notifier: Notifier | None = None,
                      now: datetime | None = None) -> Ticket:
    """Move a ticket to ``to`` through the workflow (IllegalTransition → 409 with the current state),
    audited; ``expected_version`` is the version the caller saw (409 ``version-conflict`` if stale)."""
    now = now or utcnow()
    ticket = get_ticket(session, ref=ref, for_update=True)
    check_version(ticket, expected_version)
    policy.check_change(actor, number=ticket.number, assignee=ticket.assignee, team=ticket.team, rules=rules)
    _check_assignee(session, rules, assignee)
    try:
        state = _state(session, ticket)
        # The fresh budget needs the customer's tier: loaded only for a reopen, not on every move.
        hours = _reopen_hours(rules, ticket) if is_reopen(state.status, to) else None
        outcome = transition(state, to, now=now, actor=_worker(actor), assignee=assignee,
                             reopen_sla_hours=hours)
    except IllegalTransition as exc:
        exc.details["current"] = current_state(ticket)
        raise
    _apply(session, ticket, outcome, actor=actor, now=now, notifier=notifier or DbNotifier())
    if comment:
        session.add(TicketComment(ticket_id=ticket.id, author=actor.username, body=comment,
                                  internal=internal, created_at=now))
    session.flush()
    return ticket


def _worker(actor: Actor) -> str | None:
    """Who takes an unassigned ticket moved to in_progress: a person, never the system."""
    return None if actor.role == "system" else actor.username


def update_ticket(session: Session, *, actor: Actor, ref: int | str, data: TicketUpdate,
                  rules: WorkflowRules, notifier: Notifier | None = None,
                  now: datetime | None = None, expected_version: int | None = None) -> Ticket:
    """Edit fields (audited). Setting an assignee on a new ticket assigns it; clearing the assignee of
    an assigned ticket returns it to its team's queue; a new priority moves the SLA due time."""
    now = now or utcnow()
    notifier = notifier or DbNotifier()
    ticket = get_ticket(session, ref=ref, for_update=True)
    values: dict[str, Any] = data.model_dump(exclude_unset=True)
    expected = values.pop("version", None)
    check_version(ticket, expected if expected is not None else expected_version)
    policy.check_change(actor, number=ticket.number, assignee=ticket.assignee, team=ticket.team, rules=rules)
    if "assignee" in values:
        _check_assignee(session, rules, values["assignee"])
    ticket_type = TicketType(ticket.type)
    for name in values:
        if name in REPAIR_FIELDS and ticket_type is not TicketType.REPAIR and values[name] is not None:
            raise InvalidInput(f"{name} is only for repair tickets", details={"field": name})
        if name in COMPLAINT_FIELDS and ticket_type is not TicketType.COMPLAINT and values[name] is not None:
            raise InvalidInput(f"{name} is only for complaint tickets", details={"field": name})
    if "subject" in values and values["subject"] is None:
        raise InvalidInput("subject cannot be empty", details={"field": "subject"})
    if ticket_type is TicketType.COMPLAINT and "severity" in values and values["severity"] is None:
        raise InvalidInput("a complaint needs a severity", details={"field": "severity"})
    if "asset_id" in values:
        _check_asset(session, values["asset_id"], ticket.customer_id)
    if "team" in values:
        _check_team(rules, values["team"])
    start = values.get("appointment_start", ticket.appointment_start)
    end = values.get("appointment_end", ticket.appointment_end)
    if start is not None and end is not None and end <= start:
        raise InvalidInput("appointment_end must be after appointment_start",
                           details={"field": "appointment_end"})

    if "priority" in values or "severity" in values:
        severity = values.get("severity", ticket.severity)
        values["priority"] = derive_priority(
            rules.priority, ticket_type=ticket_type,
            requested=values.get("priority") or Priority(ticket.priority),
            severity=Severity(severity) if severity else None, tier=_tier(ticket.customer),
        )
        values.update(_sla_for_priority(rules, ticket, Priority(values["priority"]), now=now))

    assignee_given = "assignee" in values
    new_assignee = values.pop("assignee", None)
    changed = audit.set_fields(session, ticket, values, actor=actor.username, at=now)
    if assignee_given:
        _reassign(session, ticket, new_assignee, actor=actor, now=now, notifier=notifier)
    elif changed:
        ticket.updated_at = now
    session.flush()
    return ticket


def _sla_for_priority(rules: WorkflowRules, ticket: Ticket, priority: Priority, *,
                      now: datetime) -> dict[str, Any]:
    """Move the due time by the difference in SLA hours between the old and the new priority."""
    if ticket.sla_due_at is None or ticket.status not in _OPEN or priority.value == ticket.priority:
        return {}
    kind, tier = TicketType(ticket.type), _tier(ticket.customer)
    delta = (sla_hours(rules.sla, ticket_type=kind, priority=priority, tier=tier)
             - sla_hours(rules.sla, ticket_type=kind, priority=Priority(ticket.priority), tier=tier))
    due = ticket.sla_due_at + timedelta(hours=delta)
    values: dict[str, Any] = {"sla_due_at": due}
    if ticket.sla_breached_at is not None and due > now:
        values.update(sla_breached_at=None, escalation_level=0)
    return values


def _reassign(session: Session, ticket: Ticket, assignee: str | None, *, actor: Actor, now: datetime,
              notifier: Notifier) -> None:
    status = Status(ticket.status)
    if assignee == ticket.assignee:
        return
    if status is Status.NEW and assignee is not None:
        outcome = transition(_state(session, ticket), Status.ASSIGNED, now=now, assignee=assignee)
    elif status is Status.ASSIGNED and assignee is None:
        outcome = transition(_state(session, ticket), Status.NEW, now=now)
    elif assignee is None and status in (Status.IN_PROGRESS, Status.PENDING_CUSTOMER):
        raise InvalidInput(f"a ticket in {status.value} needs an assignee (move it back to assigned "
                           "or new first)", details={"field": "assignee"})
    else:
        audit.set_fields(session, ticket, {"assignee": assignee}, actor=actor.username, at=now)
        ticket.updated_at = now
        _notify_assignee(session, notifier, ticket, actor=actor, now=now)
        return
    _apply(session, ticket, outcome, actor=actor, now=now, notifier=notifier)


def _interaction(session: Session, interaction_id: int, customer_id: int) -> Interaction:
    interaction = session.get(Interaction, interaction_id)
    if interaction is None:
        raise NotFound(f"no interaction {interaction_id}", error_id="no-such-interaction",
                       details={"field": "interaction_id"})
    if interaction.customer_id is not None and interaction.customer_id != customer_id:
        raise Conflict(f"interaction {interaction_id} belongs to another customer",
                       error_id="interaction-of-another-customer",
                       details={"interaction_customer_id": interaction.customer_id,
                                "ticket_customer_id": customer_id})
    return interaction


def link_interaction(session: Session, *, actor: Actor, ref: int | str, interaction_id: int,
                     now: datetime | None = None) -> Ticket:
    """Attach a call or contact to the ticket (idempotent; audited once)."""
    now = now or utcnow()
    ticket = get_ticket(session, ref=ref)
    interaction = _interaction(session, interaction_id, ticket.customer_id)
    if interaction not in ticket.interactions:
        ticket.interactions.append(interaction)
        audit.record(session, ticket, actor=actor.username, at=now, field="interaction", old=None,
                     new=interaction.id)
        session.flush()
    return ticket


def add_comment(session: Session, *, actor: Actor, ref: int | str, body: str, internal: bool = False,
                now: datetime | None = None) -> TicketComment:
    """A comment; the first public comment by a person counts as the first response."""
    now = now or utcnow()
    # Locked (PostgreSQL) because the first response may be written on the ticket row.
    ticket = get_ticket(session, ref=ref, for_update=not internal and actor.role != "system")
    comment = TicketComment(ticket_id=ticket.id, author=actor.username, body=body, internal=internal,
                            created_at=now)
    session.add(comment)
    if not internal and actor.role != "system" and ticket.first_response_at is None:
        audit.set_fields(session, ticket, {"first_response_at": now}, actor=actor.username, at=now)
    session.flush()
    return comment


def ticket_history(session: Session, *, ref: int | str) -> list[TicketChange]:
    ticket = get_ticket(session, ref=ref)
    return list(session.scalars(
        select(TicketChange).where(TicketChange.ticket_id == ticket.id).order_by(TicketChange.id)
    ))
