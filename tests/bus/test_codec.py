"""The JSON codec: typed round trips (hypothesis), clear errors for bad messages and bad payloads."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bus import Codec, CodecError, DecodeError, UnknownMessageType, UnsupportedType
from tests.bus.messages import CODEC, AgentPaused, CallEnded, Caller, CallStarted, Leg, ScreenPop, Tier

texts = st.text(max_size=20)
floats = st.floats(allow_nan=False)
callers = st.builds(Caller, number=texts, name=texts, restricted=st.booleans())
legs = st.builds(Leg, party=callers, started=floats, ended=st.none() | floats)
messages = st.one_of(
    st.builds(CallStarted, call_id=texts, n=st.integers(), caller=callers),
    st.builds(CallEnded, call_id=texts, n=st.integers(), legs=st.lists(legs, max_size=4).map(tuple),
              cause=st.none() | st.integers()),
    st.builds(AgentPaused, agent=texts, n=st.integers(), reason=st.sampled_from([None, "break", "lunch"])),
    st.builds(ScreenPop, agent=texts, caller=st.none() | callers, tier=st.sampled_from(Tier),
              at=st.datetimes(timezones=st.none() | st.just(UTC)),
              scores=st.dictionaries(texts, floats, max_size=3),
              pair=st.tuples(callers, st.none() | legs), who=callers | legs),
)
KEYS = ["number", "name", "party", "legs", "n", "call_id", "agent", "reason", "caller", "tier", "who", "pair",
        "started", "ended", "$type", "x"]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(KEYS), inner, max_size=8),
    max_leaves=12,
)


@given(messages)
def test_every_message_decodes_back_to_an_equal_value_of_the_same_types(message: object) -> None:
    name, payload = CODEC.encode(message)
    decoded = CODEC.decode(name, payload)
    assert decoded == message
    assert type(decoded) is type(message)
    if isinstance(message, ScreenPop):
        assert isinstance(decoded, ScreenPop)
        assert type(decoded.who) is type(message.who) and type(decoded.tier) is Tier
        assert type(decoded.pair) is tuple


@given(messages, st.data(), json_values)
def test_a_payload_with_any_json_in_a_field_decodes_to_the_type_or_fails_with_a_decode_error(
    message: object, data: st.DataObject, junk: Any
) -> None:
    name, payload = CODEC.encode(message)
    fields = json.loads(payload)
    fields[data.draw(st.sampled_from(sorted(fields)))] = junk
    try:
        decoded = CODEC.decode(name, json.dumps(fields))
    except DecodeError:
        return
    assert type(decoded) is type(message)


@given(st.sampled_from([CallStarted, CallEnded, AgentPaused, ScreenPop]), json_values)
def test_any_json_payload_decodes_to_the_type_or_fails_with_a_decode_error(cls: type, value: Any) -> None:
    try:
        decoded = CODEC.decode(CODEC.name_of(cls), json.dumps(value))
    except DecodeError:
        return
    assert type(decoded) is cls


def test_the_wire_form_is_compact_json_keeping_chinese_names_readable() -> None:
    name, payload = CODEC.encode(CallStarted("c1", 1, Caller("+8613800138000", "张三丰")))
    assert name == "tests.bus.messages.CallStarted"
    assert payload == ('{"call_id":"c1","n":1,'
                       '"caller":{"number":"+8613800138000","name":"张三丰","restricted":false}}')


def test_dataclasses_sharing_a_union_are_told_apart_by_a_type_key() -> None:
    leg = Leg(Caller("1", "a"), 1.0, None)
    pop = ScreenPop("1001", None, Tier.VIP, datetime(2026, 1, 1), {}, (Caller("1", "a"), None), leg)
    assert json.loads(CODEC.encode(pop)[1])["who"]["$type"] == "Leg"


def test_a_field_the_wire_cannot_carry_is_refused_at_registration_naming_it() -> None:
    @dataclass(frozen=True)
    class Bad:
        ok: int
        when: set[int]

    with pytest.raises(UnsupportedType, match=r"Bad\.when"):
        Codec().register(Bad)


def test_only_frozen_dataclasses_register() -> None:
    @dataclass
    class Mutable:
        n: int

    with pytest.raises(UnsupportedType, match="frozen"):
        Codec().register(Mutable)


def test_a_name_taken_by_another_class_is_refused() -> None:
    codec = Codec()
    codec.register(CallStarted, name="call.started")
    codec.register(CallStarted, name="call.started")  # again: no-op
    with pytest.raises(CodecError, match="taken"):
        codec.register(CallEnded, name="call.started")


def test_register_works_as_a_decorator_with_a_chosen_name() -> None:
    codec = Codec()

    @codec.register(name="ping")
    @dataclass(frozen=True)
    class Ping:
        n: int

    assert codec.encode(Ping(1)) == ("ping", '{"n":1}')


def test_encoding_a_value_that_does_not_match_its_hint_names_the_field() -> None:
    bad = CallStarted("c1", 1, Caller("+86", 42))  # type: ignore[arg-type]
    with pytest.raises(CodecError, match=r"CallStarted\.caller\.name: expected str"):
        CODEC.encode(bad)


def test_encoding_an_unregistered_type_is_an_error() -> None:
    with pytest.raises(UnknownMessageType):
        CODEC.encode(Caller("1", "a"))


def test_decoding_an_unknown_name_or_bad_payload_is_a_clear_error() -> None:
    with pytest.raises(UnknownMessageType):
        CODEC.decode("no.such.Type", "{}")
    name = CODEC.name_of(CallStarted)
    with pytest.raises(DecodeError, match="not JSON"):
        CODEC.decode(name, b"\xff{")
    with pytest.raises(DecodeError, match="missing field 'caller'"):
        CODEC.decode(name, '{"call_id":"c1","n":1}')
    with pytest.raises(DecodeError, match=r"CallStarted\.n: expected int, got bool"):
        CODEC.decode(name, '{"call_id":"c1","n":true,"caller":{"number":"1","name":"a"}}')


def test_unknown_keys_are_ignored_and_absent_fields_with_defaults_filled() -> None:
    name = CODEC.name_of(CallEnded)
    assert CODEC.decode(name, '{"call_id":"c1","n":2,"added_later":[1]}') == CallEnded("c1", 2)


def test_an_int_or_float_union_keeps_each_kind() -> None:
    @dataclass(frozen=True)
    class Reading:
        value: int | float
        items: list[int] = field(default_factory=list)

    codec = Codec()
    codec.register(Reading)
    for value in (3, 3.0, 2.5):
        decoded = codec.decode(*codec.encode(Reading(value, [1, 2])))
        assert decoded == Reading(value, [1, 2]) and type(decoded.value) is type(value)
