"""Asset schemas, one per use."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from tickets.text import HumanText

Text200 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Serial = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
Amount = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)]


def _check_dates(purchase: date | None, warranty_end: date | None) -> None:
    if purchase is not None and warranty_end is not None and warranty_end < purchase:
        raise ValueError("warranty_end is before purchase_date")


class AssetCreate(HumanText):
    MULTILINE = frozenset({"address"})
    model_config = ConfigDict(extra="forbid")

    product: Text200
    model: Text200 | None = None
    serial_number: Serial | None = None
    purchase_date: date | None = None
    purchase_amount: Amount | None = None
    warranty_end: date | None = None
    address: str | None = Field(None, max_length=2000)

    @model_validator(mode="after")
    def _dates(self) -> Self:
        _check_dates(self.purchase_date, self.warranty_end)
        return self


class AssetUpdate(HumanText):
    MULTILINE = frozenset({"address"})
    model_config = ConfigDict(extra="forbid")

    product: Text200 | None = None
    model: Text200 | None = None
    serial_number: Serial | None = None
    purchase_date: date | None = None
    purchase_amount: Amount | None = None
    warranty_end: date | None = None
    address: str | None = Field(None, max_length=2000)

    @model_validator(mode="after")
    def _not_null_product(self) -> Self:
        if "product" in self.model_fields_set and self.product is None:
            raise ValueError("product may not be null")
        return self


class AssetPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    customer_id: int
    product: str
    model: str | None
    serial_number: str | None
    purchase_date: date | None
    purchase_amount: Decimal | None
    warranty_end: date | None
    address: str | None
    created_at: datetime
    under_warranty: bool | None = None


def asset_public(asset: object, *, today: date | None = None) -> AssetPublic:
    """The public view, with ``under_warranty`` computed for ``today`` (default: the current date)."""
    out = AssetPublic.model_validate(asset)
    if out.warranty_end is not None:
        out.under_warranty = out.warranty_end >= (today or date.today())
    return out
