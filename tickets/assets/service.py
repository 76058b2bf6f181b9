"""Asset use cases (always within one customer). They flush; the caller commits."""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from tickets.actors import SYSTEM, Actor
from tickets.assets.schemas import AssetCreate, AssetUpdate
from tickets.customers.lookup import refuse_merged
from tickets.customers.service import get_customer
from tickets.errors import Conflict, InvalidInput, NotFound
from tickets.models import Asset, Ticket


def create_asset(session: Session, *, customer_id: int, data: AssetCreate, actor: Actor = SYSTEM) -> Asset:
    refuse_merged(get_customer(session, customer_id=customer_id))
    asset = Asset(customer_id=customer_id, **data.model_dump())
    session.add(asset)
    session.flush()
    return asset


def list_assets(session: Session, *, customer_id: int) -> list[Asset]:
    get_customer(session, customer_id=customer_id)
    return list(session.scalars(select(Asset).where(Asset.customer_id == customer_id).order_by(Asset.id)))


def get_asset(session: Session, *, asset_id: int, customer_id: int | None = None) -> Asset:
    """The asset; with ``customer_id``, only if it belongs to that customer."""
    asset = session.get(Asset, asset_id)
    if asset is None or (customer_id is not None and asset.customer_id != customer_id):
        raise NotFound(
            f"no asset {asset_id}" + (f" for customer {customer_id}" if customer_id is not None else ""),
            error_id="asset-not-found",
            details={"asset_id": asset_id, "customer_id": customer_id},
        )
    return asset


def update_asset(
    session: Session,
    *,
    asset_id: int,
    data: AssetUpdate,
    customer_id: int | None = None,
    actor: Actor = SYSTEM,
) -> Asset:
    asset = get_asset(session, asset_id=asset_id, customer_id=customer_id)
    changes = data.model_dump(exclude_unset=True)
    for field, value in changes.items():
        setattr(asset, field, value)
    if asset.purchase_date and asset.warranty_end and asset.warranty_end < asset.purchase_date:
        field = "warranty_end" if "warranty_end" in changes else "purchase_date"
        raise InvalidInput(
            "warranty_end is before purchase_date", error_id="invalid-warranty", details={"field": field}
        )
    session.flush()
    return asset


def delete_asset(
    session: Session, *, asset_id: int, customer_id: int | None = None, actor: Actor = SYSTEM
) -> None:
    """Delete an asset no ticket refers to (a repair's history must keep its asset)."""
    asset = get_asset(session, asset_id=asset_id, customer_id=customer_id)
    if session.scalar(select(exists().where(Ticket.asset_id == asset_id))):
        raise Conflict(
            f"asset {asset_id} is referred to by tickets",
            error_id="asset-in-use",
            details={"asset_id": asset_id},
        )
    session.delete(asset)
    session.flush()
