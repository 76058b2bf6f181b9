"""Tables of the console: the users who log in (agents, supervisors, admins)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, String, Unicode
from sqlalchemy.orm import Mapped, mapped_column

from tickets.db import Base
from tickets.models.types import UTCDateTime, utcnow

ROLES = ("agent", "supervisor", "admin")
LANGUAGES = ("zh", "en")


class User(Base):
    """A person who logs in; ``username`` is stored lower-case and is what tickets record as actor."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('agent', 'supervisor', 'admin')", name="role"),
        CheckConstraint("language IN ('zh', 'en')", name="language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(Unicode(128))
    role: Mapped[str] = mapped_column(String(16), default="agent")
    password_hash: Mapped[str] = mapped_column(String(255))
    extension: Mapped[str | None] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8), default="zh")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Tokens issued before this moment are refused (set when the password changes).
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Tokens issued before this moment are refused too (set on deactivation, reactivation, a new role).
    tokens_revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"User(id={self.id!r}, username={self.username!r}, role={self.role!r})"


def tokens_revoked_at(user: User) -> datetime | None:
    """The moment before which this user's tokens are refused (a password change or a revocation)."""
    moments = [m for m in (user.password_changed_at, user.tokens_revoked_at) if m is not None]
    return max(moments) if moments else None
