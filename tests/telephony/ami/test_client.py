"""AmiClient against a scripted local peer: correlation, lists, timeouts, drops, reconnect, keepalive."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

import telephony.ami.client as client_module
from config.settings import AmiSettings
from telephony.ami import (
    ActionFailed,
    ActionTimeout,
    AmiClient,
    AuthenticationFailed,
    ConnectionLost,
    Message,
    NotConnected,
    format_action,
)

from .fake_peer import FakeAmi, PeerConnection


async def wait_until(condition: Callable[[], bool], deadline: float = 10.0) -> None:
    end = time.monotonic() + deadline
    while not condition():
        if time.monotonic() > end:
            raise AssertionError("condition not met before the deadline")
        await asyncio.sleep(0.01)


@pytest.fixture
async def peer() -> AsyncIterator[FakeAmi]:
    fake = FakeAmi()
    await fake.start()
    yield fake
    await fake.stop()


def make_client(peer: FakeAmi, **overrides: Any) -> AmiClient:
    settings = AmiSettings(
        host="127.0.0.1",
        port=peer.port,
        username=peer.username,
        secret=peer.secret,
        connect_timeout=2,
        action_timeout=2,
        keepalive_interval=30,
        reconnect_min_delay=0.05,
        reconnect_max_delay=0.2,
    )
    return AmiClient(settings.model_copy(update=overrides))


@pytest.fixture
async def client(peer: FakeAmi) -> AsyncIterator[AmiClient]:
    ami = make_client(peer)
    await ami.connect()
    yield ami
    await ami.close()


async def test_login_sends_credentials_and_records_the_banner(peer: FakeAmi, client: AmiClient) -> None:
    login = peer.all_actions("Login")[0]
    assert login["username"] == "tester" and login["secret"] == "s3cret" and login["events"] == "on"
    assert client.connected and client.generation == 1
    assert client.banner == "Asterisk Call Manager/11.0.0"


async def test_wrong_secret_fails_connect_with_authentication_failed(peer: FakeAmi) -> None:
    ami = make_client(peer, secret="wrong")
    with pytest.raises(AuthenticationFailed, match="Authentication failed"):
        await ami.connect()
    assert not ami.connected


async def test_link_dropped_during_login_fails_the_login_at_once_not_after_the_action_timeout(
    peer: FakeAmi,
) -> None:
    peer.handlers["login"] = lambda conn, action: conn.drop()
    ami = make_client(peer, action_timeout=30)
    with pytest.raises(ConnectionLost):  # not ActionTimeout after 30 s
        await ami.connect()
    assert not ami.connected


async def test_md5_login_uses_the_challenge(peer: FakeAmi) -> None:
    ami = AmiClient(make_client(peer).settings, auth="md5")
    await ami.connect()
    try:
        login = peer.all_actions("Login")[0]
        assert login["authtype"] == "MD5" and "secret" not in login and len(login["key"]) == 32
    finally:
        await ami.close()


async def test_sending_before_connect_raises_not_connected(peer: FakeAmi) -> None:
    with pytest.raises(NotConnected):
        await make_client(peer).send_action("Ping")


async def test_replies_are_matched_by_action_id_even_out_of_order(peer: FakeAmi, client: AmiClient) -> None:
    held: list[tuple[PeerConnection, dict[str, str]]] = []

    def hold(conn: PeerConnection, action: dict[str, str]) -> None:
        held.append((conn, action))
        if len(held) == 2:
            for c, a in reversed(held):
                c.reply(a, ("Value", a["variable"]))

    peer.handlers["getvar"] = hold
    first, second = await asyncio.gather(
        client.send_action("Getvar", Variable="ONE"), client.send_action("Getvar", {"Variable": "TWO"})
    )
    assert first.response["Value"] == "ONE" and second.response["Value"] == "TWO"
    assert first.action_id != second.action_id


async def test_error_response_is_returned_or_raised_with_check(peer: FakeAmi, client: AmiClient) -> None:
    result = await client.send_action("Bogus")
    assert not result.success and result.message == "Invalid/unknown command"
    with pytest.raises(ActionFailed, match="Invalid/unknown command"):
        await client.send_action("Bogus", check=True)


async def test_repeated_header_values_are_sent_once_each_and_line_breaks_refused(
    peer: FakeAmi, client: AmiClient
) -> None:
    peer.handlers["setvars"] = lambda conn, action: conn.reply(action, ("Got", action["variable"]))
    data = format_action("SetVars", {"Variable": ["A=1", "B=2"]}, "x-1")
    assert data == b"Action: SetVars\r\nActionID: x-1\r\nVariable: A=1\r\nVariable: B=2\r\n\r\n"
    result = await client.send_action("SetVars", Variable=["A=1", "B=2"])
    assert result.response["Got"] == "B=2"  # the peer's dict kept the last of the two headers
    with pytest.raises(ValueError, match="line break"):
        await client.send_action("SetVars", Variable="A=1\r\nAction: Hangup")


async def test_command_with_output_headers(peer: FakeAmi, client: AmiClient) -> None:
    def command(conn: PeerConnection, action: dict[str, str]) -> None:
        conn.reply(
            action,
            ("Message", "Command output follows"),
            ("Output", "Asterisk 22.10.1"),
            ("Output", ""),
            ("Output", "Verbosity: 3"),
        )

    peer.handlers["command"] = command
    assert await client.command("core show version") == ["Asterisk 22.10.1", "", "Verbosity: 3"]
    assert peer.all_actions("Command")[0]["command"] == "core show version"


async def test_command_with_old_follows_reply(peer: FakeAmi, client: AmiClient) -> None:
    def command(conn: PeerConnection, action: dict[str, str]) -> None:
        conn.send_raw(
            f"Response: Follows\r\nPrivilege: Command\r\nActionID: {action['actionid']}\r\n"
            "Asterisk 13.1\r\n\r\nafter a blank line\r\n--END COMMAND--\r\n\r\n".encode()
        )

    peer.handlers["command"] = command
    assert await client.command("core show version") == ["Asterisk 13.1", "", "after a blank line"]


async def test_list_action_returns_response_and_items_and_other_events_still_flow(
    peer: FakeAmi, client: AmiClient
) -> None:
    seen: list[Message] = []
    client.subscribe("*", seen.append)

    def listing(conn: PeerConnection, action: dict[str, str]) -> None:
        aid = action["actionid"]
        conn.reply(action, ("EventList", "start"), ("Message", "Channels will follow"))
        conn.send([("Event", "CoreShowChannel"), ("ActionID", aid), ("Channel", "Local/a;1")])
        conn.send([("Event", "Newexten"), ("Channel", "Local/z;1")])
        conn.send([("Event", "CoreShowChannel"), ("ActionID", aid), ("Channel", "Local/a;2")])
        conn.send(
            [
                ("Event", "CoreShowChannelsComplete"),
                ("ActionID", aid),
                ("EventList", "Complete"),
                ("ListItems", "2"),
            ]
        )

    peer.handlers["coreshowchannels"] = listing
    result = await client.send_action("CoreShowChannels")
    assert result.success and result.response["EventList"] == "start"
    assert [e["Channel"] for e in result.events] == ["Local/a;1", "Local/a;2"]
    assert result.complete is not None and result.complete["ListItems"] == "2"
    await wait_until(lambda: any(m.name == "Newexten" for m in seen))
    assert [m.name for m in seen if m.name != "FullyBooted"] == ["Newexten"]


async def test_old_style_list_without_eventlist_header_ends_on_complete_event(
    peer: FakeAmi, client: AmiClient
) -> None:
    def status(conn: PeerConnection, action: dict[str, str]) -> None:
        aid = action["actionid"]
        conn.reply(action, ("Message", "Queue status will follow"))
        conn.send([("Event", "QueueParams"), ("Queue", "support"), ("ActionID", aid)])
        conn.send([("Event", "QueueStatusComplete"), ("ActionID", aid)])

    peer.handlers["queuestatus"] = status
    result = await client.send_action("QueueStatus")
    assert [e.name for e in result.events] == ["QueueParams"]
    assert result.complete is not None and result.complete.name == "QueueStatusComplete"


async def test_events_go_to_exact_and_wildcard_subscribers_and_a_failing_one_is_logged(
    peer: FakeAmi, client: AmiClient, caplog: pytest.LogCaptureFixture
) -> None:
    exact: list[str] = []
    queue: list[str] = []
    everything: list[str] = []
    async_seen: list[str] = []

    def broken(event: Message) -> None:
        raise RuntimeError("subscriber bug")

    async def async_handler(event: Message) -> None:
        await asyncio.sleep(0)
        async_seen.append(event.name)

    client.subscribe("QueueCallerJoin", broken)
    client.subscribe("QueueCallerJoin", lambda e: exact.append(e.name))
    client.subscribe("Queue*", lambda e: queue.append(e.name))
    client.subscribe("*", lambda e: everything.append(e.name) if e.name != "FullyBooted" else None)
    sub = client.subscribe("Hangup", async_handler)
    with caplog.at_level(logging.ERROR):
        for name in ("QueueCallerJoin", "QueueMemberStatus", "Hangup", "AgentCalled"):
            peer.current.send([("Event", name), ("Privilege", "call,all")])
        await wait_until(lambda: "AgentCalled" in everything and async_seen == ["Hangup"])
    assert exact == ["QueueCallerJoin"]
    assert queue == ["QueueCallerJoin", "QueueMemberStatus"]
    assert everything == ["QueueCallerJoin", "QueueMemberStatus", "Hangup", "AgentCalled"]
    assert "subscriber bug" in caplog.text
    sub.cancel()
    peer.current.send([("Event", "Hangup")])
    await wait_until(lambda: everything[-1] == "Hangup" and len(everything) == 5)
    await asyncio.sleep(0.05)
    assert async_seen == ["Hangup"]
    assert (await client.ping()).response["Ping"] == "Pong"  # the link survived


async def test_action_timeout_fails_cleanly_and_the_client_stays_usable(
    peer: FakeAmi, client: AmiClient
) -> None:
    peer.handlers["originate"] = lambda conn, action: None  # never answered
    with pytest.raises(ActionTimeout, match="Originate"):
        await client.send_action("Originate", Channel="Local/s@x", timeout=0.2)
    assert not client._pending
    assert (await client.ping()).success


async def test_link_drop_fails_pending_actions_then_reconnects_and_notifies(peer: FakeAmi) -> None:
    ami = make_client(peer)
    connects: list[int] = []
    drops: list[Exception | None] = []
    ami.on_connect(lambda: connects.append(ami.generation))
    ami.on_disconnect(drops.append)
    await ami.connect()
    try:
        peer.handlers["originate"] = lambda conn, action: None
        pending = asyncio.ensure_future(ami.send_action("Originate", timeout=30))
        await wait_until(lambda: bool(peer.all_actions("Originate")))
        peer.drop_all()
        with pytest.raises(ConnectionLost):
            await pending
        await wait_until(lambda: connects == [1, 2])
        assert len(drops) == 1 and len(peer.connections) == 2
        assert (await ami.ping()).success
    finally:
        await ami.close()


async def test_reconnect_backs_off_exponentially_up_to_the_maximum(
    peer: FakeAmi, monkeypatch: pytest.MonkeyPatch
) -> None:
    delays: list[float] = []
    real_sleep = asyncio.sleep

    async def recording_sleep(delay: float) -> None:
        delays.append(delay)
        await real_sleep(0.01)

    monkeypatch.setattr(client_module, "_sleep", recording_sleep)
    ami = make_client(peer, reconnect_min_delay=0.1, reconnect_max_delay=0.5)
    await ami.connect()
    connects: list[int] = []
    ami.on_connect(lambda: connects.append(ami.generation))
    try:
        port = peer.port
        await peer.stop()  # nothing listens: every attempt fails
        await wait_until(lambda: len(delays) >= 6)
        assert delays[:6] == [0.1, 0.2, 0.4, 0.5, 0.5, 0.5]
        await peer.start(port)
        await wait_until(lambda: ami.connected and connects == [2])
        delays.clear()
        peer.drop_all()
        await wait_until(lambda: len(delays) >= 1)
        assert delays[0] == 0.1  # reset after a successful login
    finally:
        await ami.close()


async def test_missed_keepalive_pong_drops_the_link_and_reconnects(peer: FakeAmi) -> None:
    ami = make_client(peer, keepalive_interval=0.1, action_timeout=0.2)
    await ami.connect()
    try:
        await wait_until(lambda: len(peer.all_actions("Ping")) >= 2)  # pings flow while answered
        peer.answer_pings = False
        await wait_until(lambda: len(peer.connections) == 2 and ami.generation == 2)
        peer.answer_pings = True
        assert (await ami.ping()).success
    finally:
        await ami.close()


async def test_malformed_traffic_is_skipped_and_the_link_survives(peer: FakeAmi, client: AmiClient) -> None:
    names: list[str] = []
    client.subscribe("*", lambda e: names.append(e.name))
    conn = peer.current
    conn.send_raw(b"\x00\xff\xfe garbage without colon\r\n\r\n")
    conn.send_raw(b"Event: Big\r\nData: " + b"z" * (1024 * 1024) + b"\r\n\r\n")
    conn.send_raw("Event: Newchannel\r\nCallerIDName: 张三丰\r\nno colon here\r\n\r\n".encode())
    await wait_until(lambda: "Newchannel" in names)
    assert "Big" not in names
    assert (await client.ping()).success
    assert client.generation == 1


async def test_a_stray_follows_never_closed_does_not_hold_back_the_ping_reply(peer: FakeAmi) -> None:
    ami = make_client(peer, action_timeout=1)
    await ami.connect()
    try:
        names: list[str] = []
        ami.subscribe("*", lambda e: names.append(e.name))
        peer.current.send_raw(b"Response: Follows\r\nActionID: nobody\r\nhalf an output\r\n\r\n")
        assert (await ami.ping()).success  # before: held until 256 KiB arrived, ActionTimeout
        peer.current.send([("Event", "Newchannel"), ("Uniqueid", "1.1")])
        await wait_until(lambda: "Newchannel" in names)
        assert ami.generation == 1
    finally:
        await ami.close()


async def test_a_failing_raw_listener_is_logged_and_the_link_survives(
    peer: FakeAmi, caplog: pytest.LogCaptureFixture
) -> None:
    ami = make_client(peer)
    seen: list[bytes] = []

    def broken_recorder(data: bytes) -> None:
        raise OSError("disk full")

    ami.add_raw_listener(broken_recorder)
    ami.add_raw_listener(seen.append)
    await ami.connect()
    try:
        assert (await ami.ping()).success
        assert ami.generation == 1 and seen
        assert "raw listener" in caplog.text
    finally:
        await ami.close()


async def test_close_fails_pending_and_stops_reconnecting(peer: FakeAmi) -> None:
    ami = make_client(peer)
    await ami.connect()
    peer.handlers["originate"] = lambda conn, action: None
    pending = asyncio.ensure_future(ami.send_action("Originate", timeout=30))
    await wait_until(lambda: bool(peer.all_actions("Originate")))
    await ami.close()
    with pytest.raises(ConnectionLost):
        await pending
    assert peer.all_actions("Logoff")
    await asyncio.sleep(0.2)
    assert len(peer.connections) == 1 and not ami.connected


async def test_background_start_retries_until_the_peer_appears(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeAmi()
    port = await fake.start()
    await fake.stop()
    ami = make_client(fake)
    ami.settings = ami.settings.model_copy(update={"port": port})
    ami.start()
    try:
        await asyncio.sleep(0.15)
        assert not ami.connected
        await fake.start(port)
        await ami.wait_connected(5)
        assert ami.generation == 1
    finally:
        await ami.close()
        await fake.stop()
