"""HTTP endpoints for interactions (mounted under ``/api``):
``/interactions`` and ``/customers/{customer_id}/interactions``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from tickets.deps import ActorDep, SessionDep
from tickets.interactions import service
from tickets.interactions.schemas import Channel, InteractionCreate, InteractionPublic, InteractionUpdate
from tickets.pagination import MAX_LIMIT, Page

router = APIRouter(tags=["interactions"])


@router.post("/interactions", status_code=status.HTTP_201_CREATED, response_model=InteractionPublic)
def create_interaction(data: InteractionCreate, session: SessionDep, actor: ActorDep) -> object:
    return service.create_interaction(session, data=data, actor=actor)


@router.get("/interactions/{interaction_id}", response_model=InteractionPublic)
def get_interaction(interaction_id: int, session: SessionDep, actor: ActorDep) -> object:
    return service.get_interaction(session, interaction_id=interaction_id)


@router.patch("/interactions/{interaction_id}", response_model=InteractionPublic)
def update_interaction(
    interaction_id: int, data: InteractionUpdate, session: SessionDep, actor: ActorDep
) -> object:
    return service.update_interaction(session, interaction_id=interaction_id, data=data, actor=actor)


@router.get("/customers/{customer_id}/interactions", response_model=Page[InteractionPublic])
def list_interactions(
    customer_id: int,
    session: SessionDep,
    actor: ActorDep,
    channel: Channel | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Page[InteractionPublic]:
    items, total = service.list_interactions(
        session, customer_id=customer_id, channel=channel, limit=limit, offset=offset
    )
    return Page[InteractionPublic](
        items=[InteractionPublic.model_validate(i) for i in items], total=total, limit=limit, offset=offset
    )
