"""E-mail addresses as contact points: a light syntax check and lower-casing."""

from __future__ import annotations

import re

from tickets.errors import InvalidInput

_EMAIL = re.compile(r"^[^@\s<>(),;:\"\[\]]+@[^@\s<>(),;:\"\[\]]+\.[^@\s<>(),;:\"\[\]]+$")


def normalize_email(raw: str, *, field: str = "email") -> str:
    """``raw`` stripped and lower-cased; something that is not an address raises InvalidInput."""
    value = (raw or "").strip().lower()
    if len(value) > 320 or not _EMAIL.match(value):
        raise InvalidInput(
            f"{field}: {raw!r} is not an e-mail address",
            error_id="invalid-email",
            details={"field": field, "value": raw},
        )
    return value
