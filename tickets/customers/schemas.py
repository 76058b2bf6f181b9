"""Customer schemas, one per use."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator

from tickets.contacts import normalize_email
from tickets.errors import InvalidInput
from tickets.pagination import MAX_LIMIT
from tickets.phones import normalize_phone
from tickets.text import HumanText

Tier = Literal["standard", "silver", "gold", "vip"]
ContactKind = Literal["phone", "email"]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Language = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")]


def _normalized(
    values: list[str] | None, normalize: Callable[..., str], field: str
) -> list[str] | None:
    """Each value normalized (errors name ``field[i]``), duplicates dropped, order kept."""
    if values is None:
        return None
    out: list[str] = []
    for i, raw in enumerate(values):
        try:
            value = normalize(raw, field=f"{field}[{i}]")
        except InvalidInput as exc:
            raise ValueError(exc.message) from exc
        if value not in out:
            out.append(value)
    return out


def _phones(values: list[str] | None) -> list[str] | None:
    return _normalized(values, normalize_phone, "phones")


def _emails(values: list[str] | None) -> list[str] | None:
    return _normalized(values, normalize_email, "emails")


def _tags(values: list[str] | None) -> list[str] | None:
    return None if values is None else list(dict.fromkeys(values))


class CustomerCreate(HumanText):
    """A new customer; phone numbers are normalized to E.164 (the first of each kind is primary)."""

    MULTILINE = frozenset({"notes"})

    model_config = ConfigDict(extra="forbid")

    display_name: Name
    company: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    tier: Tier = "standard"
    value_score: float = Field(0.0, ge=0, allow_inf_nan=False)
    segment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = None
    preferred_language: Language = "zh"
    tags: list[Tag] = Field(default_factory=list, max_length=50)
    notes: str | None = Field(None, max_length=10_000)
    phones: list[str] = Field(default_factory=list, max_length=20)
    emails: list[str] = Field(default_factory=list, max_length=20)

    _norm_phones = field_validator("phones")(_phones)
    _norm_emails = field_validator("emails")(_emails)
    _norm_tags = field_validator("tags")(_tags)


class CustomerUpdate(HumanText):
    """Fields to change; ``phones`` / ``emails`` when given replace that kind of contact point."""

    MULTILINE = frozenset({"notes"})

    model_config = ConfigDict(extra="forbid")

    display_name: Name | None = None
    company: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    tier: Tier | None = None
    value_score: float | None = Field(None, ge=0, allow_inf_nan=False)
    segment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = None
    preferred_language: Language | None = None
    tags: list[Tag] | None = Field(None, max_length=50)
    notes: str | None = Field(None, max_length=10_000)
    phones: list[str] | None = Field(None, max_length=20)
    emails: list[str] | None = Field(None, max_length=20)

    _norm_phones = field_validator("phones")(_phones)
    _norm_emails = field_validator("emails")(_emails)
    _norm_tags = field_validator("tags")(_tags)

    @field_validator("display_name", "tier", "preferred_language", "value_score", "tags")
    @classmethod
    def _not_null(cls, value: object) -> object:
        # These may be left out, but not set to null.
        if value is None:
            raise ValueError("may not be null")
        return value


class ContactPointCreate(HumanText):
    model_config = ConfigDict(extra="forbid")

    kind: ContactKind
    value: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=320)]
    label: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = None
    is_primary: bool = False

    @field_validator("value")
    @classmethod
    def _normalize(cls, value: str, info: ValidationInfo) -> str:
        kind = info.data.get("kind")
        try:
            if kind == "phone":
                return normalize_phone(value, field="value")
            if kind == "email":
                return normalize_email(value, field="value")
        except InvalidInput as exc:
            raise ValueError(exc.message) from exc
        return value


class ContactPointPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    value: str
    label: str | None
    is_primary: bool


class CustomerPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    display_name: str
    company: str | None
    tier: str
    value_score: float
    segment: str | None
    preferred_language: str
    tags: list[str]
    notes: str | None
    merged_into_id: int | None
    merged_at: datetime | None
    merged_by: str | None
    created_at: datetime
    updated_at: datetime
    contact_points: list[ContactPointPublic]


class CustomerBrief(BaseModel):
    """Enough to tell customers apart in a list."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    display_name: str
    company: str | None
    tier: str


class CustomerQuery(BaseModel):
    """Search filters (all optional, combined with AND) and the page window."""

    model_config = ConfigDict(extra="forbid")

    q: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] | None = None
    phone: str | None = None
    email: str | None = None
    company: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] | None = (
        None
    )
    tier: Tier | None = None
    tag: Tag | None = None
    limit: int = Field(50, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0)


class MergeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    duplicate_id: int = Field(..., ge=1)
