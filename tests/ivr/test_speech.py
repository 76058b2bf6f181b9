from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivr.speech import (
    date_words,
    digits_words,
    number_words,
    phone_words,
    reference_words,
    time_words,
    value_words,
)


@pytest.mark.parametrize(
    ("value", "zh", "en"),
    [
        (0, "零", "zero"),
        (10, "十", "ten"),
        (15, "十五", "fifteen"),
        (101, "一百零一", "one hundred one"),
        (2026, "两千零二十六", "two thousand twenty-six"),
        (10086, "一万零八十六", "ten thousand eighty-six"),
        (100010, "十万零一十", "one hundred thousand ten"),
        (30000500, "三千万零五百", "thirty million five hundred"),
    ],
)
def test_numbers_are_spoken_in_words(value: int, zh: str, en: str) -> None:
    assert number_words(value, "zh") == zh
    assert number_words(value, "en") == en


def test_ticket_references_are_spoken_digit_by_digit() -> None:
    assert reference_words("REP-000123", "zh") == "R E P 零零零一二三"
    assert reference_words("REP-000123", "en") == "R E P, zero zero zero one two three"


def test_dates_in_both_languages() -> None:
    assert date_words(date(2026, 12, 1), "zh") == "二〇二六年十二月一日"
    assert date_words(date(2026, 12, 1), "en") == "December first, twenty twenty-six"
    assert date_words(date(2030, 3, 22), "en") == "March twenty-second, twenty thirty"
    assert date_words(date(2005, 1, 3), "en") == "January third, two thousand five"
    assert value_words("2026-10-08T09:00:00+08:00", "date", "zh") == "二〇二六年十月八日上午九点"
    assert time_words(datetime(2026, 1, 1, 14, 30), "en") == "two thirty p.m."


def test_phone_numbers_in_groups_with_yao_for_one() -> None:
    assert phone_words("+8613800138000", "zh") == "幺三八，零零幺三，八零零零"
    assert phone_words("13800138000", "en") == "one three eight, zero zero one three, eight zero zero zero"
    assert digits_words("1#*", "zh") == "一井号星号"


@given(st.integers(0, 10**12 - 1))
def test_mandarin_numbers_use_only_number_characters(value: int) -> None:
    words = number_words(value, "zh")
    assert words and set(words) <= set("零一二两三四五六七八九十百千万亿")
    assert not words.startswith("零") or value == 0


@given(st.integers(0, 10**12 - 1))
def test_english_numbers_are_plain_words(value: int) -> None:
    words = number_words(value, "en")
    assert words and all(w.replace("-", "").isalpha() for w in words.split())
