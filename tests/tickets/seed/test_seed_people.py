"""Demo people: deterministic, valid E.164 numbers, a realistic mix of names and countries."""

from __future__ import annotations

import random

import phonenumbers

from tickets.seed.people import (
    beijing_landline,
    cn_mobile,
    demo_person,
    hk_number,
    shanghai_landline,
    uk_mobile,
    us_number,
)


def test_every_generated_number_is_a_valid_e164_number_of_its_country() -> None:
    rng = random.Random(7)
    makers = {cn_mobile: "CN", beijing_landline: "CN", shanghai_landline: "CN", us_number: "US",
              uk_mobile: "GB", hk_number: "HK"}
    for maker, region in makers.items():
        for _ in range(200):
            number = maker(rng)
            parsed = phonenumbers.parse(number)
            assert phonenumbers.is_valid_number(parsed), number
            assert phonenumbers.region_code_for_number(parsed) == region, number
            assert phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == number


def test_same_seed_gives_same_people_and_a_mix_of_languages() -> None:
    first = [demo_person(random.Random(1), i) for i in range(3)]
    assert first == [demo_person(random.Random(1), i) for i in range(3)]
    rng = random.Random(42)
    people = [demo_person(rng, i) for i in range(300)]
    zh = [p for p in people if p.language == "zh"]
    en = [p for p in people if p.language == "en"]
    assert 150 < len(zh) < 260 and len(en) > 40
    assert all(all("\u4e00" <= ch <= "\u9fff" for ch in p.display_name) for p in zh)
    assert all(p.display_name.isascii() for p in en)
    assert {p.tier for p in people} == {"standard", "silver", "gold", "vip"}
    assert any(len(p.phones) > 1 for p in zh)
    prefixes = {p.phones[0][0][:3] for p in en}
    assert {"+1", "+44", "+85", "+86"} <= {x[:3] if not x.startswith("+1") else "+1" for x in prefixes}
    emails = [e for p in people for e in p.emails]
    assert len(emails) == len(set(emails)) and all(e == e.lower() for e in emails)
