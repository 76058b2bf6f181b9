"""HTTP endpoints for customers (mounted under ``/api``): ``/customers``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from tickets.customers import service
from tickets.customers.schemas import (
    ContactPointCreate,
    ContactPointPublic,
    CustomerCreate,
    CustomerPublic,
    CustomerQuery,
    CustomerUpdate,
    MergeRequest,
)
from tickets.deps import ActorDep, SessionDep
from tickets.errors import NotFound
from tickets.pagination import Page
from tickets.phones import normalize_phone

router = APIRouter(prefix="/customers", tags=["customers"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CustomerPublic)
def create_customer(data: CustomerCreate, session: SessionDep, actor: ActorDep) -> object:
    return service.create_customer(session, data=data, actor=actor)


@router.get("", response_model=Page[CustomerPublic])
def search_customers(
    query: Annotated[CustomerQuery, Query()], session: SessionDep, actor: ActorDep
) -> Page[CustomerPublic]:
    """Search by name substring (``q``), phone, e-mail, company, tier and tag; paginated."""
    items, total = service.search_customers(session, query=query)
    return Page[CustomerPublic](
        items=[CustomerPublic.model_validate(c) for c in items],
        total=total,
        limit=query.limit,
        offset=query.offset,
    )


@router.get("/lookup", response_model=list[CustomerPublic])
def lookup_by_phone(
    phone: Annotated[str, Query(min_length=1, max_length=64)], session: SessionDep, actor: ActorDep
) -> object:
    """The customers with this phone number; 404 ``customer-not-found`` (with the number) when none."""
    number = normalize_phone(phone, field="phone")
    found = service.find_by_phone(session, phone=number)
    if not found:
        raise NotFound(
            f"no customer has the phone number {number}",
            error_id="customer-not-found",
            details={"phone": number},
        )
    return found


@router.get("/{customer_id}", response_model=CustomerPublic)
def get_customer(customer_id: int, session: SessionDep, actor: ActorDep) -> object:
    return service.get_customer(session, customer_id=customer_id)


@router.patch("/{customer_id}", response_model=CustomerPublic)
def update_customer(customer_id: int, data: CustomerUpdate, session: SessionDep, actor: ActorDep) -> object:
    return service.update_customer(session, customer_id=customer_id, data=data, actor=actor)


@router.post("/{customer_id}/merge", response_model=CustomerPublic)
def merge_customer(customer_id: int, data: MergeRequest, session: SessionDep, actor: ActorDep) -> object:
    """Merge ``duplicate_id`` into this customer (supervisors and admins)."""
    return service.merge_customers(
        session, survivor_id=customer_id, duplicate_id=data.duplicate_id, actor=actor
    )


@router.post(
    "/{customer_id}/contact-points", status_code=status.HTTP_201_CREATED, response_model=ContactPointPublic
)
def add_contact_point(
    customer_id: int, data: ContactPointCreate, session: SessionDep, actor: ActorDep
) -> object:
    return service.add_contact_point(session, customer_id=customer_id, data=data, actor=actor)


@router.delete("/{customer_id}/contact-points/{contact_point_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_contact_point(
    customer_id: int, contact_point_id: int, session: SessionDep, actor: ActorDep
) -> None:
    service.remove_contact_point(
        session, customer_id=customer_id, contact_point_id=contact_point_id, actor=actor
    )
