"""A route request that arrives before the call tracker has seen the new caller's channel.

Under load the IVR's route step (or the inbound dialplan) can ask the ACD to distribute a call
before the tracker has handled the caller's channel events. The ACD used to answer None at once
(the caller failed open to the plain fallback queue although the ACD could serve them; CI saw it);
now it waits, bounded (2 s by default), for the tracker to see the channel.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from callcenter.adapters.routing_distributor import AcdDistributor
from ivr.ports import RouteRequest, RouteTarget
from routing.engine import Engine
from routing.events import LogIn, Pause
from routing.service import RoutingService
from routing.store import MemoryStore
from telephony.ami import ActionResult, EventHandler, Subscription
from telephony.ami.actions import HeaderValue
from telephony.ami.message import Message
from tests.routing.builders import agent, core, queue

CHANNEL = "PJSIP/caller-00000001"


class LateTracker:
    """The tracker's view of the callers' channels: a channel is known once ``learn`` ran."""

    def __init__(self) -> None:
        self.channels: dict[str, str] = {}
        self.asked = 0

    def learn(self, call_id: str, channel: str) -> None:
        self.channels[call_id] = channel

    def lookup(self, call_id: str) -> str | None:
        self.asked += 1
        return self.channels.get(call_id)


class Control:
    """CallControl that records what it is asked (nothing reaches a PBX here)."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str]] = []

    async def ring_agent(self, call_id: str, extension: str, *, caller_number: str, caller_name: str,
                         ring_seconds: float) -> None:
        self.asked.append(("ring", call_id))

    async def cancel_agent_leg(self, call_id: str, agent_id: str) -> None:
        self.asked.append(("cancel", call_id))

    async def announce(self, call_id: str, position: int, estimated_wait: float | None) -> None:
        self.asked.append(("announce", call_id))

    async def redirect(self, call_id: str, target: str) -> None:
        self.asked.append(("redirect", f"{call_id} {target}"))

    async def heartbeat(self, ttl: float) -> None:
        self.asked.append(("heartbeat", str(ttl)))


class Ami:
    """AmiPort that accepts every action and records it."""

    def __init__(self) -> None:
        self.actions: list[tuple[str, dict[str, HeaderValue]]] = []

    async def send_action(self, action: str, headers: Mapping[str, HeaderValue] | None = None, *,
                          timeout: float | None = None, check: bool = False) -> ActionResult:  # noqa: ASYNC109
        self.actions.append((action, dict(headers or {})))
        return ActionResult(action, Message.from_pairs([("Response", "Success")]))

    def subscribe(self, pattern: str, handler: EventHandler) -> Subscription:
        raise NotImplementedError


def service(control: Control) -> RoutingService:
    return RoutingService(Engine(core([queue("q")], [agent("a", ["q"])]), MemoryStore()),
                          control=control, publish=lambda message: None)


async def test_given_a_tracker_that_sees_the_channel_late_then_the_channel_comes_after_a_wait() -> None:
    tracker = LateTracker()
    asyncio.get_running_loop().call_later(0.3, tracker.learn, "c1", CHANNEL)
    assert await service(Control()).caller_channel("c1", tracker.lookup) == CHANNEL
    assert tracker.asked > 1  # not known at first: it was looked up again


async def test_given_a_channel_the_tracker_never_sees_when_asked_then_none_after_the_bounded_wait() -> None:
    tracker = LateTracker()
    assert await service(Control()).caller_channel("c1", tracker.lookup, wait=0.1) is None
    assert tracker.asked > 1


async def test_given_a_known_channel_when_asked_then_it_is_returned_at_once() -> None:
    tracker = LateTracker()
    tracker.learn("c1", CHANNEL)
    assert await service(Control()).caller_channel("c1", tracker.lookup) == CHANNEL
    assert tracker.asked == 1


async def test_given_a_route_request_before_the_tracker_saw_the_caller_then_the_call_is_distributed() -> None:
    control, ami, tracker = Control(), Ami(), LateTracker()
    acd = service(control)
    await acd.submit(LogIn("a"))
    await acd.submit(Pause("a"))  # staffed, but nobody free: the caller waits in the holding dialplan
    distributor = AcdDistributor(acd, ami=ami, caller_channel=tracker.lookup)
    asyncio.get_running_loop().call_later(0.3, tracker.learn, "c1", CHANNEL)

    target = await distributor.route(RouteRequest(call_id="c1", queue="q", caller="5551234"))

    assert target == RouteTarget(dialplan="cc-acd-wait,s,1")  # was None: failed open to the fallback
    assert "c1" in acd.core.calls
    assert {h.get("Channel") for action, h in ami.actions if action == "Setvar"} == {CHANNEL}
    assert not control.asked
