"""HTTP endpoints (mounted under ``/api``): ``/tickets``, ``/follow-ups``, ``/notifications``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel
from sqlalchemy.orm import Session

from tickets.deps import ActorDep, SessionDep, one_hop
from tickets.models import Ticket, utcnow
from tickets.pagination import MAX_LIMIT, Page
from tickets.ticketing import follow_ups, notifications, service
from tickets.ticketing.deps import NotifierDep, RulesDep
from tickets.ticketing.schemas import (
    ChangePublic,
    CommentCreate,
    CommentPublic,
    FollowUpComplete,
    FollowUpPublic,
    NotificationPublic,
    TicketCreate,
    TicketDetail,
    TicketPublic,
    TicketUpdate,
    TransitionRequest,
)
from tickets.workflow.domain import allowed_targets
from tickets.workflow.vocab import Priority, Status, TicketType

router = APIRouter(prefix="/tickets", tags=["tickets"])
follow_ups_router = APIRouter(prefix="/follow-ups", tags=["follow-ups"])
notifications_router = APIRouter(prefix="/notifications", tags=["notifications"])

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
_TicketPage = Page[TicketPublic]
Offset = Annotated[int, Query(ge=0)]


_TICKET_FIELDS = tuple(TicketPublic.model_fields)
_ALLOWED = {s: sorted(str(t) for t in allowed_targets(s)) for s in Status}


def _detail(session: Session, ticket: Ticket) -> TicketDetail:
    """The ticket with its comments, linked interactions and next moves, validated once."""
    values = {name: getattr(ticket, name) for name in _TICKET_FIELDS}
    comments, interaction_ids = service.comments_and_interactions(session, ticket)
    values.update(comments=comments, interaction_ids=interaction_ids,
                  allowed_transitions=_ALLOWED[Status(ticket.status)])
    return TicketDetail.model_validate(values, from_attributes=True)


def _json(body: BaseModel, status_code: int = status.HTTP_200_OK) -> Response:
    """``body`` as the JSON FastAPI would send for the route's ``response_model`` (the same bytes),
    serialized once: returned as a model, FastAPI would dump it, validate it again and encode it."""
    return Response(body.model_dump_json(), status_code=status_code, media_type="application/json")


@router.post("", status_code=status.HTTP_201_CREATED, response_model=TicketDetail)
@one_hop
def create_ticket(data: TicketCreate, session: SessionDep, actor: ActorDep, rules: RulesDep,
                  notifier: NotifierDep) -> Response:
    """Open an inquiry, repair or complaint; priority, SLA and assignment follow the workflow rules."""
    ticket = service.create_ticket(session, actor=actor, data=data, rules=rules, notifier=notifier)
    return _json(_detail(session, ticket), status.HTTP_201_CREATED)


@router.get("", response_model=Page[TicketPublic])
@one_hop
def list_tickets(
    session: SessionDep,
    actor: ActorDep,
    status_: Annotated[list[Status] | None, Query(alias="status")] = None,
    type_: Annotated[TicketType | None, Query(alias="type")] = None,
    priority: Priority | None = None,
    assignee: Annotated[str | None, Query(max_length=64)] = None,
    team: Annotated[str | None, Query(max_length=64)] = None,
    customer_id: int | None = None,
    overdue: bool | None = None,
    q: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Response:
    """Tickets matching every filter (``status`` may repeat; ``assignee=me`` is the caller), newest first."""
    query = service.TicketQuery(
        status=tuple(status_ or ()), type=type_, priority=priority,
        assignee=actor.username if assignee == "me" else assignee, team=team,
        customer_id=customer_id, overdue=overdue, q=q,
    )
    items, total = service.list_ticket_rows(session, query=query, limit=limit, offset=offset)
    page = {"items": items, "total": total, "limit": limit, "offset": offset}
    return _json(_TicketPage.model_validate(page, from_attributes=True))


@router.get("/{ref}", response_model=TicketDetail)
@one_hop
def get_ticket(ref: str, session: SessionDep, actor: ActorDep) -> Response:
    """A ticket by id or number (``REP-000123``) with its comments, linked interactions and next moves."""
    return _json(_detail(session, service.get_ticket(session, ref=ref)))


@router.patch("/{ref}", response_model=TicketDetail)
@one_hop
def update_ticket(ref: str, data: TicketUpdate, session: SessionDep, actor: ActorDep, rules: RulesDep,
                  notifier: NotifierDep) -> Response:
    """Edit fields (audited); the status changes through ``/transitions``."""
    ticket = service.update_ticket(session, actor=actor, ref=ref, data=data, rules=rules, notifier=notifier)
    return _json(_detail(session, ticket))


@router.post("/{ref}/transitions", response_model=TicketDetail)
@one_hop
def transition_ticket(ref: str, data: TransitionRequest, session: SessionDep, actor: ActorDep,
                      rules: RulesDep, notifier: NotifierDep) -> Response:
    """Move the ticket along the workflow; 409 ``illegal-transition`` names from, to and the allowed moves."""
    ticket = service.transition_ticket(session, actor=actor, ref=ref, to=data.to, rules=rules,
                                       comment=data.comment, internal=data.internal,
                                       assignee=data.assignee, expected_version=data.version,
                                       notifier=notifier)
    return _json(_detail(session, ticket))


@router.post("/{ref}/comments", status_code=status.HTTP_201_CREATED, response_model=CommentPublic)
@one_hop
def add_comment(ref: str, data: CommentCreate, session: SessionDep, actor: ActorDep) -> Response:
    comment = service.add_comment(session, actor=actor, ref=ref, body=data.body, internal=data.internal)
    return _json(CommentPublic.model_validate(comment), status.HTTP_201_CREATED)


@router.get("/{ref}/history", response_model=list[ChangePublic])
def ticket_history(ref: str, session: SessionDep, actor: ActorDep) -> object:
    """The audit trail: who changed which field when, old and new value."""
    return service.ticket_history(session, ref=ref)


@router.post("/{ref}/interactions/{interaction_id}", response_model=TicketDetail)
def link_interaction(ref: str, interaction_id: int, session: SessionDep, actor: ActorDep) -> Response:
    ticket = service.link_interaction(session, actor=actor, ref=ref, interaction_id=interaction_id)
    return _json(_detail(session, ticket))


@router.get("/{ref}/follow-ups", response_model=list[FollowUpPublic])
def ticket_follow_ups(ref: str, session: SessionDep, actor: ActorDep) -> object:
    ticket = service.get_ticket(session, ref=ref)
    items, _ = follow_ups.list_follow_ups(session, status=None, ticket_id=ticket.id, limit=MAX_LIMIT)
    return items


@follow_ups_router.get("", response_model=Page[FollowUpPublic])
def list_follow_ups(
    session: SessionDep,
    actor: ActorDep,
    status_: Annotated[str | None, Query(alias="status", pattern="^(pending|done|cancelled|failed|any)$")]
    = "pending",
    due: Annotated[bool, Query(description="only tasks due now")] = False,
    assignee: Annotated[str | None, Query(max_length=64)] = None,
    customer_id: int | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[FollowUpPublic]:
    """Follow-up calls, soonest due first (``assignee=me`` is the caller, ``status=any`` every status)."""
    items, total = follow_ups.list_follow_ups(
        session, status=None if status_ == "any" else status_, due_before=utcnow() if due else None,
        assignee=actor.username if assignee == "me" else assignee, customer_id=customer_id,
        limit=limit, offset=offset,
    )
    return Page[FollowUpPublic](items=[FollowUpPublic.model_validate(t) for t in items], total=total,
                                limit=limit, offset=offset)


@follow_ups_router.post("/{task_id}/complete", response_model=FollowUpPublic)
def complete_follow_up(task_id: int, data: FollowUpComplete, session: SessionDep, actor: ActorDep) -> object:
    """Record the call's outcome and the customer's satisfaction (1–5)."""
    return follow_ups.complete_follow_up(session, actor=actor, task_id=task_id, data=data)


@notifications_router.get("", response_model=Page[NotificationPublic])
def my_notifications(session: SessionDep, actor: ActorDep, unread: bool = False, limit: Limit = 50,
                     offset: Offset = 0) -> Page[NotificationPublic]:
    """The caller's own notifications, newest first."""
    items, total = notifications.list_notifications(session, actor=actor, unread_only=unread, limit=limit,
                                                    offset=offset)
    return Page[NotificationPublic](items=[NotificationPublic.model_validate(n) for n in items],
                                    total=total, limit=limit, offset=offset)


@notifications_router.post("/{notification_id}/read", response_model=NotificationPublic)
def mark_read(notification_id: int, session: SessionDep, actor: ActorDep) -> object:
    return notifications.mark_read(session, actor=actor, notification_id=notification_id)


@notifications_router.post("/read-all")
def mark_all_read(session: SessionDep, actor: ActorDep) -> dict[str, int]:
    return {"marked": notifications.mark_all_read(session, actor=actor)}


routers = (router, follow_ups_router, notifications_router)
