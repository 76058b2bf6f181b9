"""Bodies of the users endpoints (one schema per use), shared by the API and the command line."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tickets.text import HumanText
from tickets.users.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

Role = Literal["agent", "supervisor", "admin"]
Language = Literal["zh", "en"]
USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,63}$"
EXTENSION_PATTERN = r"^[0-9A-Za-z*#+]{1,32}$"

Password = Field(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)


def lower_username(value: object) -> object:
    """Usernames are compared and stored lower-case, without outer blanks."""
    return value.strip().lower() if isinstance(value, str) else value


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str
    role: Role
    extension: str | None
    language: Language
    active: bool
    created_at: datetime
    last_login_at: datetime | None


class UserCreate(HumanText):
    username: str = Field(pattern=USERNAME_PATTERN, description="lower-case letters, digits, . _ -")
    display_name: str = Field(min_length=1, max_length=128)
    role: Role = "agent"
    password: str = Password
    extension: str | None = Field(default=None, pattern=EXTENSION_PATTERN)
    language: Language = "zh"

    _normalise = field_validator("username", mode="before")(lower_username)


class UserUpdate(HumanText):
    """Fields to change; those left out stay as they are."""

    display_name: str | None = Field(default=None, min_length=1, max_length=128)
    role: Role | None = None
    extension: str | None = Field(default=None, pattern=EXTENSION_PATTERN)
    language: Language | None = None
    active: bool | None = None


class PasswordReset(BaseModel):
    password: str = Password
