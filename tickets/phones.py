"""Phone numbers in E.164 (``+8613800138000``), read with ``phonenumbers`` in the default region.

Numbers without a country code are read in ``settings.default_region`` (CN in the demo), so
``13800138000``, ``+86 138-0013-8000``, ``008613800138000`` all become ``+8613800138000`` and the
Beijing landline ``010 6552 9988`` becomes ``+861065529988``.
"""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

from tickets.errors import InvalidInput

# What Asterisk puts in CALLERID(num) when the number is withheld or absent.
_NO_CALLER_ID = {"", "unknown", "<unknown>", "anonymous", "restricted", "private", "unavailable", "s"}
_DIGITS = re.compile(r"\D+")


def default_region() -> str:
    from config.settings import get_settings

    return get_settings().default_region


def _refusal(raw: str) -> str | None:
    """Why ``raw`` is not taken as a number, or None. Letters would be read as keypad digits
    (``1-800-FLOWERS`` is a valid Chinese mobile once converted) and an extension cannot be kept in
    E.164: both would store another number than the one meant, so both are refused."""
    if any(ch.isalpha() for ch in raw):
        return "letters are not read as digits (give the number in digits, without an extension)"
    return None


def _parse(raw: str, region: str) -> phonenumbers.PhoneNumber | None:
    if _refusal(raw) is not None:
        return None
    try:
        number = phonenumbers.parse(raw, region)
    except NumberParseException:
        return None
    if number.extension:  # "…#123", "…;ext=123": the extension would be dropped silently
        return None
    return number if phonenumbers.is_valid_number(number) else None


def normalize_phone(raw: str, *, region: str | None = None, field: str = "phone") -> str:
    """``raw`` as E.164; an unreadable or invalid number raises InvalidInput naming ``field``."""
    text = (raw or "").strip()
    number = _parse(text, region or default_region()) if text else None
    if number is None:
        why = _refusal(text) or "not a valid phone number"
        raise InvalidInput(
            f"{field}: {raw!r} is {why if why.startswith('not') else 'refused: ' + why}",
            error_id="invalid-phone",
            details={"field": field, "value": raw},
        )
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def try_normalize_phone(raw: str | None, *, region: str | None = None) -> str | None:
    """Like :func:`normalize_phone` but ``None`` instead of an error."""
    if not raw or not raw.strip():
        return None
    number = _parse(raw.strip(), region or default_region())
    return phonenumbers.format_number(number, PhoneNumberFormat.E164) if number else None


def caller_id_withheld(raw: str | None) -> bool:
    """True when a caller ID carries no number (absent, ``<unknown>``, ``anonymous`` ...)."""
    return raw is None or raw.strip().lower() in _NO_CALLER_ID


def normalize_caller_id(raw: str | None, *, region: str | None = None) -> str | None:
    """A caller ID as Asterisk reports it (``13800138000``, ``+86…``, ``0086…``, ``8613800138000``)
    as E.164; ``None`` when withheld (``<unknown>``, ``anonymous``) or not a dialable number
    (an internal extension, a short code)."""
    if raw is None or caller_id_withheld(raw):
        return None
    text = raw.strip()
    region = region or default_region()
    found = try_normalize_phone(text, region=region)
    if found is None:
        digits = _DIGITS.sub("", text)
        # Some trunks send the country code without "+" or "00" (8613800138000).
        if len(digits) > 8 and not text.startswith("+"):
            found = try_normalize_phone("+" + digits, region=region)
    return found


def format_international(e164: str) -> str:
    """``+8613800138000`` → ``+86 138 0013 8000`` for display; unparseable values come back unchanged."""
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164, None), PhoneNumberFormat.INTERNATIONAL)
    except NumberParseException:
        return e164
