"""Request and response bodies of the login endpoints (the users' own are in ``tickets.users.schemas``)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from tickets.users.passwords import MAX_PASSWORD_LENGTH
from tickets.users.schemas import UserPublic, lower_username


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)

    _normalise = field_validator("username", mode="before")(lower_username)


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="seconds until the token expires")
    expires_at: datetime
    user: UserPublic
