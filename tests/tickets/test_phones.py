"""Phone numbers are stored in E.164, read in the default region (CN)."""

from __future__ import annotations

import pytest

from tickets.errors import InvalidInput
from tickets.phones import format_international, normalize_caller_id, normalize_phone, try_normalize_phone


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13800138000", "+8613800138000"),
        ("+86 138-0013-8000", "+8613800138000"),
        ("008613800138000", "+8613800138000"),
        (" 138 0013 8000 ", "+8613800138000"),
        ("010 6552 9988", "+861065529988"),
        ("010-65529988", "+861065529988"),
        ("+1 415 555 2671", "+14155552671"),
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_numbers_are_normalized_to_e164_in_the_default_region(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == expected


def test_region_can_be_given() -> None:
    assert normalize_phone("(415) 555-2671", region="US") == "+14155552671"


@pytest.mark.parametrize("raw", ["", "   ", "12", "abc", "1001", "+86 123", "138001380001234"])
def test_invalid_numbers_are_refused_naming_the_field(raw: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        normalize_phone(raw, field="phones[1]")
    assert caught.value.details["field"] == "phones[1]"
    assert caught.value.status_code == 422
    assert try_normalize_phone(raw) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13800138000", "+8613800138000"),
        ("+8613800138000", "+8613800138000"),
        ("008613800138000", "+8613800138000"),
        ("8613800138000", "+8613800138000"),
        ("01065529988", "+861065529988"),
        ("+14155552671", "+14155552671"),
        ("<unknown>", None),
        ("anonymous", None),
        ("", None),
        (None, None),
        ("1001", None),
    ],
)
def test_caller_ids_as_asterisk_gives_them(raw: str | None, expected: str | None) -> None:
    assert normalize_caller_id(raw) == expected


def test_display_format() -> None:
    assert format_international("+8613800138000") == "+86 138 0013 8000"
