"""Asset services, always within one customer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError
from sqlalchemy.orm import Session

from tickets.assets.schemas import AssetCreate, AssetUpdate, asset_public
from tickets.assets.service import create_asset, delete_asset, get_asset, list_assets, update_asset
from tickets.errors import Conflict, InvalidInput, NotFound
from tickets.models import Customer, Ticket

NewCustomer = Callable[..., Customer]


def _washer(**fields: object) -> AssetCreate:
    values: dict[str, object] = {
        "product": "滚筒洗衣机",
        "model": "XQG100-B14",
        "serial_number": "SN-0001",
        "purchase_date": date(2025, 3, 1),
        "purchase_amount": Decimal("3299.00"),
        "warranty_end": date(2028, 3, 1),
        "address": "北京市朝阳区建国路 88 号",
    }
    values.update(fields)
    return AssetCreate(**values)


def test_create_list_get_update_delete(db_session: Session, new_customer: NewCustomer) -> None:
    customer = new_customer("赵六")
    asset = create_asset(db_session, customer_id=customer.id, data=_washer())
    second = create_asset(db_session, customer_id=customer.id, data=_washer(serial_number="SN-0002"))
    assert [a.id for a in list_assets(db_session, customer_id=customer.id)] == [asset.id, second.id]
    db_session.expire_all()
    got = get_asset(db_session, asset_id=asset.id, customer_id=customer.id)
    assert (got.product, got.purchase_amount, got.warranty_end) == (
        "滚筒洗衣机",
        Decimal("3299.00"),
        date(2028, 3, 1),
    )
    assert asset_public(got, today=date(2027, 1, 1)).under_warranty is True
    assert asset_public(got, today=date(2029, 1, 1)).under_warranty is False

    updated = update_asset(
        db_session, asset_id=asset.id, customer_id=customer.id, data=AssetUpdate(address="上海市")
    )
    assert updated.address == "上海市" and updated.serial_number == "SN-0001"

    delete_asset(db_session, asset_id=second.id, customer_id=customer.id)
    assert [a.id for a in list_assets(db_session, customer_id=customer.id)] == [asset.id]


def test_an_asset_of_another_customer_is_not_found(db_session: Session, new_customer: NewCustomer) -> None:
    owner, other = new_customer("Owner"), new_customer("Other")
    asset = create_asset(db_session, customer_id=owner.id, data=_washer())
    with pytest.raises(NotFound) as caught:
        get_asset(db_session, asset_id=asset.id, customer_id=other.id)
    assert caught.value.error_id == "asset-not-found"
    with pytest.raises(NotFound) as no_customer:
        create_asset(db_session, customer_id=99_999_999, data=_washer())
    assert no_customer.value.error_id == "customer-not-found"


def test_dates_and_amounts_are_validated(db_session: Session, new_customer: NewCustomer) -> None:
    with pytest.raises(ValidationError, match="warranty_end"):
        _washer(warranty_end=date(2020, 1, 1))
    with pytest.raises(ValidationError):
        _washer(purchase_amount=Decimal("-1"))
    customer = new_customer("Dates")
    asset = create_asset(db_session, customer_id=customer.id, data=_washer())
    with pytest.raises(InvalidInput) as caught:
        update_asset(db_session, asset_id=asset.id, data=AssetUpdate(warranty_end=date(2024, 1, 1)))
    assert caught.value.details["field"] == "warranty_end"


def test_an_asset_with_tickets_cannot_be_deleted(db_session: Session, new_customer: NewCustomer) -> None:
    customer = new_customer("Repairs")
    asset = create_asset(db_session, customer_id=customer.id, data=_washer())
    db_session.add(
        Ticket(
            number=f"REP-A{asset.id}", type="repair", customer_id=customer.id, subject="x", asset_id=asset.id
        )
    )
    db_session.flush()
    with pytest.raises(Conflict) as caught:
        delete_asset(db_session, asset_id=asset.id, customer_id=customer.id)
    assert caught.value.error_id == "asset-in-use"
