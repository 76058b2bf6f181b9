"""HTTP endpoints for assets (mounted under ``/api``): ``/customers/{customer_id}/assets``."""

from __future__ import annotations

from fastapi import APIRouter, status

from tickets.assets import service
from tickets.assets.schemas import AssetCreate, AssetPublic, AssetUpdate, asset_public
from tickets.deps import ActorDep, SessionDep

router = APIRouter(prefix="/customers/{customer_id}/assets", tags=["assets"])


@router.get("", response_model=list[AssetPublic])
def list_assets(customer_id: int, session: SessionDep, actor: ActorDep) -> list[AssetPublic]:
    return [asset_public(a) for a in service.list_assets(session, customer_id=customer_id)]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=AssetPublic)
def create_asset(customer_id: int, data: AssetCreate, session: SessionDep, actor: ActorDep) -> AssetPublic:
    return asset_public(service.create_asset(session, customer_id=customer_id, data=data, actor=actor))


@router.get("/{asset_id}", response_model=AssetPublic)
def get_asset(customer_id: int, asset_id: int, session: SessionDep, actor: ActorDep) -> AssetPublic:
    return asset_public(service.get_asset(session, asset_id=asset_id, customer_id=customer_id))


@router.patch("/{asset_id}", response_model=AssetPublic)
def update_asset(
    customer_id: int, asset_id: int, data: AssetUpdate, session: SessionDep, actor: ActorDep
) -> AssetPublic:
    asset = service.update_asset(session, asset_id=asset_id, data=data, customer_id=customer_id, actor=actor)
    return asset_public(asset)


@router.delete("/{asset_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_asset(customer_id: int, asset_id: int, session: SessionDep, actor: ActorDep) -> None:
    service.delete_asset(session, asset_id=asset_id, customer_id=customer_id, actor=actor)
