"""Deterministic generation of demo people: names, E.164 numbers, e-mail addresses (no database)."""

from __future__ import annotations

import random
from dataclasses import dataclass

import phonenumbers

from tickets.seed import names

CN_MOBILE_PREFIXES: tuple[str, ...] = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139",
    "150", "151", "152", "153", "155", "156", "157", "158", "159",
    "180", "181", "182", "183", "185", "186", "187", "188", "189",
)
US_AREA_CODES: tuple[str, ...] = ("212", "312", "415", "617", "646", "206")


@dataclass(frozen=True)
class DemoPerson:
    display_name: str
    language: str
    """``zh`` or ``en``."""
    phones: tuple[tuple[str, str], ...]
    """(E.164 number, label) pairs; the first is the primary."""
    emails: tuple[str, ...]
    company: str | None
    tier: str


def cn_mobile(rng: random.Random) -> str:
    return f"+86{rng.choice(CN_MOBILE_PREFIXES)}{rng.randrange(10**8):08d}"


def beijing_landline(rng: random.Random) -> str:
    return f"+8610{rng.choice('56')}{rng.randrange(10**7):07d}"


def shanghai_landline(rng: random.Random) -> str:
    return f"+8621{rng.randint(5, 6)}{rng.randrange(10**7):07d}"


def us_number(rng: random.Random) -> str:
    exchange = f"{rng.randint(2, 9)}{rng.randrange(100):02d}"
    return f"+1{rng.choice(US_AREA_CODES)}{exchange}{rng.randrange(10**4):04d}"


def uk_mobile(rng: random.Random) -> str:
    return f"+44{rng.choice(('7400', '7500', '7712', '7800', '7900'))}{rng.randrange(10**6):06d}"


def hk_number(rng: random.Random) -> str:
    """A Hong Kong mobile or fixed number; drawn again until ``phonenumbers`` accepts it."""
    while True:
        number = f"+852{rng.choice('569')}{rng.randrange(10**7):07d}"
        if phonenumbers.is_valid_number(phonenumbers.parse(number)):
            return number


def chinese_name(rng: random.Random) -> tuple[str, str]:
    """(name, pinyin surname), e.g. ("王芳", "wang")."""
    surname = rng.choice(names.SURNAMES)
    return surname + rng.choice(names.GIVEN_NAMES), names.SURNAME_PINYIN[surname]


def english_name(rng: random.Random) -> tuple[str, str, str]:
    first, last = rng.choice(names.ENGLISH_FIRST), rng.choice(names.ENGLISH_LAST)
    return f"{first} {last}", first, last


def _tier(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.05:
        return "vip"
    if roll < 0.15:
        return "gold"
    if roll < 0.35:
        return "silver"
    return "standard"


def demo_person(rng: random.Random, index: int) -> DemoPerson:
    """One person; about 70 % Chinese with +86 numbers, the rest English with +1/+44/+852 or +86."""
    if rng.random() < 0.7:
        name, pinyin = chinese_name(rng)
        phones: list[tuple[str, str]] = [(cn_mobile(rng), "mobile")]
        if rng.random() < 0.3:
            landline = beijing_landline(rng) if rng.random() < 0.5 else shanghai_landline(rng)
            phones.append((landline, "home" if rng.random() < 0.6 else "office"))
        email = f"{pinyin}.{index}@{rng.choice(('example.cn', 'mail.example.cn', 'example.com'))}"
        company = rng.choice(names.COMPANIES_ZH) if rng.random() < 0.25 else None
        language = "zh"
    else:
        name, first, last = english_name(rng)
        maker = rng.choice((us_number, uk_mobile, hk_number, cn_mobile))
        phones = [(maker(rng), "mobile")]
        local = f"{first}.{last}".lower().replace("'", "")
        email = f"{local}{index}@{rng.choice(('example.com', 'example.co.uk', 'example.hk'))}"
        company = rng.choice(names.COMPANIES_EN) if rng.random() < 0.3 else None
        language = "en"
    emails = (email,) if rng.random() < 0.85 else ()
    return DemoPerson(name, language, tuple(phones), emails, company, _tier(rng))
