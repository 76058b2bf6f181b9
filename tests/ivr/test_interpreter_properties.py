"""Property: for random valid flows and random caller input, every run ends (hang-up, route,
voicemail, callback, survey or the fallback to an agent) within a bounded number of steps."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ivr.interpreter import Limits, run_flow
from ivr.model import Flow
from ivr.path import IvrPath
from ivr.ports import CustomerInfo, TicketInfo
from ivr.validate import validate_flow

from .fakes import HANGUP, Clock, FakeCaller, FakePorts

PROMPT = {"zh": "请按键 {customer.name}", "en": "Press a key {ticket.ref:ref}"}
TERMINALS = ("route", "voicemail", "callback", "survey", "hangup")
OUTCOMES = {"route", "voicemail", "callback", "survey", "hangup", "caller_hangup", "fallback"}


def node_strategy(ids: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    target = st.sampled_from(ids)
    asks = {
        "prompt": st.just(PROMPT),
        "timeout": st.just(1),
        "retries": st.integers(0, 5),
        "on_fail": target,
    }
    digit_keys = st.sets(st.sampled_from(list("0123456789*#")), min_size=1, max_size=4)
    return st.one_of(
        st.fixed_dictionaries({"type": st.just("play"), "prompts": st.just([PROMPT]), "next": target}),
        digit_keys.flatmap(
            lambda keys: st.fixed_dictionaries(
                {
                    "type": st.just("menu"),
                    "options": st.fixed_dictionaries({k: target for k in keys}),
                    "agent": st.none() | target,
                    **asks,
                }
            )
        ),
        st.fixed_dictionaries(
            {
                "type": st.just("input"),
                "variable": st.just("entered"),
                "min_length": st.integers(1, 3),
                "max_length": st.integers(3, 6),
                "next": target,
                **asks,
            }
        ),
        st.fixed_dictionaries(
            {
                "type": st.just("lookup"),
                "by": st.sampled_from(["caller", "account", "phone", "ticket"]),
                "source": st.just("entered"),
                "found": target,
                "not_found": target,
            }
        ),
        st.fixed_dictionaries(
            {
                "type": st.just("branch"),
                "if": st.sampled_from(
                    [
                        {"check": "hours", "schedule": "office"},
                        {"check": "tier", "tiers": ["vip"]},
                        {"check": "open_ticket", "ticket_type": "repair"},
                        {"check": "blocked", "list": "blocked"},
                        {"check": "variable", "name": "entered", "equals": "123"},
                    ]
                ),
                "then": target,
                "else": target,
            }
        ),
        st.fixed_dictionaries(
            {
                "type": st.just("set"),
                "intent": st.sampled_from(["inquiry", "repair", "complaint"]),
                "priority": st.integers(0, 10),
                "skills": st.just(["general"]),
                "next": target,
            }
        ),
        st.fixed_dictionaries(
            {
                "type": st.just("language"),
                "next": target,
                "prompt": st.just(PROMPT),
                "retries": st.integers(0, 3),
            }
        ),
        st.sampled_from(
            [
                {"type": "route", "queue": "q"},
                {"type": "voicemail", "prompt": PROMPT},
                {
                    "type": "callback",
                    "confirm_prompt": PROMPT,
                    "number_prompt": PROMPT,
                    "schedule_prompt": PROMPT,
                    "schedule": "office",
                },
                {"type": "survey", "prompt": PROMPT},
                {"type": "hangup"},
            ]
        ),
    )


@st.composite
def flows(draw: st.DrawFn) -> Flow:
    count = draw(st.integers(2, 10))
    ids = [f"n{i}" for i in range(count)]
    nodes = {node_id: draw(node_strategy(ids)) for node_id in ids[:-1]}
    nodes[ids[-1]] = {"type": draw(st.sampled_from(TERMINALS)), "prompt": PROMPT}
    if nodes[ids[-1]]["type"] == "callback":
        nodes[ids[-1]] |= {
            "confirm_prompt": PROMPT,
            "number_prompt": PROMPT,
            "schedule_prompt": PROMPT,
            "schedule": "office",
        }
        del nodes[ids[-1]]["prompt"]
    if nodes[ids[-1]]["type"] == "route":
        del nodes[ids[-1]]["prompt"]
    data = {
        "name": "random",
        "default": True,
        "start": "n0",
        "schedules": {"office": {"hours": {"mon": ["09:00-18:00"], "tue": ["09:00-18:00"]}}},
        "lists": {"blocked": ["13800138000"]},
        "nodes": nodes,
    }
    flow = Flow.model_validate(data)
    # keep only what the start reaches, then require a valid flow
    reachable: set[str] = set()
    stack = ["n0"]
    while stack:
        node_id = stack.pop()
        if node_id not in reachable:
            reachable.add(node_id)
            stack.extend(t for _, t in flow.nodes[node_id].targets() if t)
    flow = Flow.model_validate({**data, "nodes": {k: v for k, v in nodes.items() if k in reachable}})
    assume(not validate_flow(flow))
    return flow


caller_input = st.lists(
    st.one_of(
        st.sampled_from(list("0123456789*#")),
        st.text(alphabet="0123456789#*", min_size=2, max_size=7),
        st.none(),
        st.just(HANGUP),
    ),
    max_size=40,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)
@given(
    flow=flows(),
    script=caller_input,
    hour=st.integers(0, 23 * 7),
    known=st.booleans(),
    max_steps=st.integers(1, 60),
    record=st.sampled_from([None, 3.0]),
)
def test_every_run_ends_within_bounded_steps(
    flow: Flow, script: list[str | None], hour: int, known: bool, max_steps: int, record: float | None
) -> None:
    fake = FakePorts(
        clock=Clock(datetime(2026, 11, 30, tzinfo=UTC) + timedelta(hours=hour)),
        customers_by_phone={"13800138000": CustomerInfo("1", "张三", "vip")} if known else {},
        customers_by_account={"123": CustomerInfo("2", "Ann", "gold")},
        tickets={"REP-000123": TicketInfo("REP-000123", "new", "repair", customer_id="1")},
    )
    caller = FakeCaller(script, record_seconds=record)
    limits = Limits(max_steps=max_steps)
    result = asyncio.run(run_flow(flow, caller, fake.ports(), limits=limits))
    path: IvrPath = result.path
    assert path.outcome in OUTCOMES
    assert len(path.nodes()) <= limits.max_steps
    assert caller.calls <= limits.session_calls_bound()
    assert fake.saved == [path]
    if path.outcome in ("route", "fallback"):
        assert result.route is not None
    if path.outcome == "route":
        assert fake.routed == [result.route]
    if path.outcome == "caller_hangup":
        assert caller.hung_up


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    count=st.integers(1, 12),
    data=st.data(),
)
def test_validation_of_any_graph_never_crashes_and_flags_every_trap(count: int, data: st.DataObject) -> None:
    """Any wiring of plays and sets (no terminal, no retries) is a trap the validator reports:
    a loop without an exit or an unknown target, never an exception."""
    ids = [f"n{i}" for i in range(count)]
    nodes = {
        node_id: {"type": "play", "prompts": [PROMPT], "next": data.draw(st.sampled_from([*ids, "missing"]))}
        for node_id in ids
    }
    flow = Flow.model_validate({"name": "trap", "start": "n0", "nodes": nodes})
    problems = [p.message for p in validate_flow(flow)]
    assert any("loop without an exit" in m or "unknown target" in m for m in problems)
