"""AMI framing and parsing: well-formed traffic, repeated headers, Follows, and malformed input."""

from __future__ import annotations

import logging
import random
from pathlib import Path

import pytest

from telephony.ami import FrameParser, Message, parse_frames

PANORAMISK = Path(__file__).resolve().parents[2] / "data" / "ami" / "panoramisk"
NAME = "张三丰"


def wire(*messages: list[tuple[str, str]], nl: str = "\r\n") -> bytes:
    return "".join(nl.join(f"{k}: {v}" for k, v in m) + nl + nl for m in messages).encode("utf-8")


def feed_all(data: bytes, chunks: list[int] | None = None, **kw: int) -> list[Message]:
    parser = FrameParser(**kw)
    out: list[Message] = []
    if chunks is None:
        return parser.feed(data)
    pos = 0
    for size in chunks:
        out += parser.feed(data[pos : pos + size])
        pos += size
    out += parser.feed(data[pos:])
    return out


NEWCHANNEL = [
    ("Event", "Newchannel"),
    ("Privilege", "call,all"),
    ("Channel", "Local/s@sim-caller-00000001;1"),
    ("CallerIDNum", "+8613800138000"),
    ("CallerIDName", NAME),
    ("AccountCode", ""),
    ("Uniqueid", "1700000000.1"),
]


class TestWellFormed:
    def test_given_crlf_events_when_parsed_then_headers_and_kind_are_kept(self) -> None:
        msgs, rest = parse_frames(wire(NEWCHANNEL, [("Response", "Success"), ("ActionID", "a-1")]))
        assert rest == b""
        assert [m.kind for m in msgs] == ["event", "response"]
        assert msgs[0].name == "Newchannel"
        assert msgs[0]["CallerIDName"] == NAME
        assert msgs[0]["AccountCode"] == ""
        assert msgs[1].action_id == "a-1" and msgs[1].name == "Success"

    def test_given_lf_only_when_parsed_then_same_messages(self) -> None:
        crlf, _ = parse_frames(wire(NEWCHANNEL))
        lf, _ = parse_frames(wire(NEWCHANNEL, nl="\n"))
        assert crlf == lf and lf[0].pairs() == NEWCHANNEL

    def test_value_containing_colon_space_is_split_on_the_first_colon_only(self) -> None:
        msgs, _ = parse_frames(wire([("Event", "Newexten"), ("AppData", "Caller: a: b"), ("Extension", "s")]))
        assert msgs[0]["AppData"] == "Caller: a: b"
        assert msgs[0]["Extension"] == "s"

    def test_two_values_containing_colon_space_keep_alignment(self) -> None:
        msgs, _ = parse_frames(wire([("Event", "X"), ("A", "b: c"), ("D", "e: f"), ("G", "h")]))
        assert msgs[0].pairs() == [("Event", "X"), ("A", "b: c"), ("D", "e: f"), ("G", "h")]

    def test_header_without_space_after_colon_is_accepted(self) -> None:
        msgs, _ = parse_frames(b"Event: X\r\nKey:value\r\nEmpty:\r\n\r\n")
        assert msgs[0]["Key"] == "value" and msgs[0]["Empty"] == ""

    def test_repeated_headers_are_all_kept_in_order(self) -> None:
        msg = [
            ("Response", "Success"),
            ("ActionID", "c-1"),
            ("Output", "Asterisk 22.10.1 built by debian"),
            ("Output", ""),
            ("Output", "line: three"),
        ]
        parsed = parse_frames(wire(msg))[0][0]
        assert parsed["Output"] == "Asterisk 22.10.1 built by debian"
        assert parsed.getall("Output") == ["Asterisk 22.10.1 built by debian", "", "line: three"]
        assert parsed.getall("Missing") == []
        assert parsed.getall("ActionID") == ["c-1"]
        assert parsed.pairs() == msg

    def test_chanvariable_headers_repeat(self) -> None:
        parsed = parse_frames(
            wire([("Event", "Hangup"), ("ChanVariable", "A=1"), ("Uniqueid", "1.1"), ("ChanVariable", "B=2")])
        )[0][0]
        assert parsed.getall("ChanVariable") == ["A=1", "B=2"]
        assert parsed["Uniqueid"] == "1.1"

    def test_originate_response_is_an_event_with_response_and_action_id(self) -> None:
        parsed = parse_frames(
            wire([("Event", "OriginateResponse"), ("ActionID", "o-1"), ("Response", "Success")])
        )[0][0]
        assert parsed.is_event and not parsed.is_response
        assert parsed.action_id == "o-1" and parsed["Response"] == "Success"

    def test_banner_without_blank_line_is_its_own_message(self) -> None:
        data = b"Asterisk Call Manager/11.0.0\r\n" + wire([("Response", "Success"), ("Message", "ok")])
        msgs = feed_all(data, chunks=[5, 20, 3])
        assert [m.kind for m in msgs] == ["banner", "response"]
        assert msgs[0].name == "Asterisk Call Manager/11.0.0"

    def test_unfinished_frame_is_returned_as_rest(self) -> None:
        msgs, rest = parse_frames(wire(NEWCHANNEL) + b"Event: Hangup\r\nChannel: x")
        assert len(msgs) == 1 and rest == b"Event: Hangup\r\nChannel: x"

    def test_follows_response_becomes_output_lines(self) -> None:
        data = (
            b"Response: Follows\r\nPrivilege: Command\r\nActionID: c-2\r\n"
            b"Channel  Location  State\r\nVerbosity: 3\r\n\r\n0 active calls\r\n--END COMMAND--\r\n\r\n"
        )
        for chunks in (None, [10, 70, 9]):
            msgs = feed_all(data, chunks=chunks)
            assert len(msgs) == 1
            assert msgs[0].action_id == "c-2" and msgs[0]["Response"] == "Follows"
            assert msgs[0].getall("Output") == [
                "Channel  Location  State",
                "Verbosity: 3",
                "",
                "0 active calls",
            ]


class TestUtf8:
    def test_given_a_chinese_name_split_at_every_byte_then_it_arrives_intact(self) -> None:
        data = wire(NEWCHANNEL, [("Event", "Hangup"), ("CallerIDName", NAME), ("Cause", "16")])
        name_at = data.index(NAME.encode("utf-8"))
        for cut in range(1, len(data)):
            parser = FrameParser()
            msgs = parser.feed(data[:cut]) + parser.feed(data[cut:])
            assert [m["CallerIDName"] for m in msgs] == [NAME, NAME], cut
        # the cuts inside the three-byte characters are among those above
        assert data[name_at : name_at + 9].decode("utf-8") == NAME

    def test_given_random_chunking_then_messages_are_identical(self) -> None:
        data = wire(*([NEWCHANNEL] * 50))
        rng = random.Random(7)
        chunks = [rng.randint(1, 40) for _ in range(200)]
        assert feed_all(data, chunks=chunks) == feed_all(data)

    def test_invalid_utf8_is_replaced_and_logged_and_neighbours_survive(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        bad = b"Event: Newcallerid\r\nCallerIDName: \xe5\xbc\xa0\xff\xfe\r\n\r\n"
        with caplog.at_level(logging.WARNING, logger="telephony.ami.parser"):
            msgs, _ = parse_frames(wire(NEWCHANNEL) + bad + wire(NEWCHANNEL))
        assert [m.name for m in msgs] == ["Newchannel", "Newcallerid", "Newchannel"]
        assert msgs[1]["CallerIDName"] == "张\ufffd\ufffd"
        assert msgs[0]["CallerIDName"] == NAME and msgs[2]["CallerIDName"] == NAME
        assert "invalid UTF-8" in caplog.text


class TestMalformed:
    def test_line_without_colon_is_dropped_and_logged_the_message_kept(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        with caplog.at_level(logging.WARNING, logger="telephony.ami.parser"):
            msgs, _ = parse_frames(b"Event: Newstate\r\nthis line has no colon\r\nUniqueid: 1.2\r\n\r\n")
        assert msgs[0].pairs() == [("Event", "Newstate"), ("Uniqueid", "1.2")]
        assert "without 'Key: value'" in caplog.text

    def test_frame_that_is_neither_event_nor_response_is_skipped(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        with caplog.at_level(logging.WARNING, logger="telephony.ami.parser"):
            msgs, _ = parse_frames(b"Foo: bar\r\nBaz: 1\r\n\r\n" + wire(NEWCHANNEL))
        assert [m.name for m in msgs] == ["Newchannel"]
        assert "neither event nor response" in caplog.text

    def test_binary_junk_is_skipped_and_the_next_message_parsed(self) -> None:
        junk = bytes(range(256)).replace(b"\n", b"").replace(b"\r", b"")
        msgs = feed_all(junk + b"\r\n\r\n" + wire(NEWCHANNEL) + junk + wire(NEWCHANNEL), chunks=[100, 100])
        assert [m.name for m in msgs] == ["Newchannel", "Newchannel"]
        assert all(m["CallerIDName"] == NAME for m in msgs)

    def test_one_megabyte_line_is_dropped_and_the_link_resyncs(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        huge = b"Event: Huge\r\nData: " + b"x" * (1024 * 1024) + b"\r\n\r\n"
        data = wire(NEWCHANNEL) + huge + wire(NEWCHANNEL)
        parser = FrameParser()
        out: list[Message] = []
        with caplog.at_level(logging.WARNING, logger="telephony.ami.parser"):
            for pos in range(0, len(data), 65536):
                out += parser.feed(data[pos : pos + 65536])
                assert parser.pending <= parser.max_frame + 65536
        assert [m.name for m in out] == ["Newchannel", "Newchannel"]
        assert "dropping an unfinished frame" in caplog.text

    def test_line_over_the_line_limit_inside_a_frame_is_dropped(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        data = b"Event: Long\r\nData: " + b"y" * 70_000 + b"\r\nUniqueid: 9.9\r\n\r\n"
        with caplog.at_level(logging.WARNING, logger="telephony.ami.parser"):
            msgs = feed_all(data)
        assert msgs[0].pairs() == [("Event", "Long"), ("Uniqueid", "9.9")]
        assert "70006-character header line" in caplog.text

    @pytest.mark.parametrize("first", [b"Event: ", b"Response: Success\r\nActionID: "])
    def test_over_long_first_line_drops_the_message_and_the_parser_survives(
        self, first: bytes, caplog: pytest.LogCaptureFixture
    ) -> None:
        # The first line alone names the message; an over-long one must not leave a headless message.
        data = first + b"z" * 70_000 + b"\r\nUniqueid: 9.9\r\n\r\n" + wire(NEWCHANNEL)
        with caplog.at_level(logging.WARNING, logger="telephony.ami.parser"):
            msgs = feed_all(data)
        assert [(m.kind, m.name) for m in msgs][-1] == ("event", "Newchannel")
        assert all(m.kind in ("event", "response") for m in msgs)
        assert "character" in caplog.text

    def test_truncated_frame_at_link_end_stays_pending(self) -> None:
        parser = FrameParser()
        assert parser.feed(b"Event: Hangup\r\nUniqueid: 1.1\r\n") == []
        assert parser.pending == len(b"Event: Hangup\r\nUniqueid: 1.1\r\n")

    def test_extra_blank_lines_between_messages_are_ignored(self) -> None:
        msgs, _ = parse_frames(b"\r\n\r\n" + wire(NEWCHANNEL) + b"\r\n\r\n\r\n" + wire(NEWCHANNEL))
        assert [m.name for m in msgs] == ["Newchannel", "Newchannel"]

    def test_junk_glued_before_a_message_is_cut_off(self) -> None:
        msgs, _ = parse_frames(b"[218 bytes missing]Event: Newexten\nContext: default\n\n")
        assert msgs[0].pairs() == [("Event", "Newexten"), ("Context", "default")]


def _server_blocks(text: str) -> tuple[list[str], bool]:
    """The capture's complete server messages (blocks not sent by the client), counted naively."""
    blocks = [b.strip("\n") for b in text.split("\n\n")]
    complete = text.endswith("\n\n")
    if not complete:
        blocks = blocks[:-1]
    return [b for b in blocks if b.strip() and not b.strip().lower().startswith("action:")], complete


# Explicit facts read from each capture: (kinds/names of the first messages, total messages).
CAPTURE_FACTS: dict[str, tuple[list[str], int]] = {
    "login_ok.yaml": (["banner:Asterisk Call Manager/1.3", "response:Success", "event:FullyBooted"], 3),
    "login_failed.yaml": (["banner:Asterisk Call Manager/1.3", "response:Error"], 2),
    "login_md5.yaml": (["banner:Asterisk Call Manager/7.0.3", "response:Success"], 2),
    "logoff.yaml": (["response:Goodbye"], 1),
    "ping.yaml": (["response:Success"], 1),
    "queue_add.yaml": (["response:Success"], 1),
    "originate_sync.yaml": (["response:Success"], 1),
    "sip_notify.yaml": (["response:Success"], 1),
    "command_core_show_version.yaml": (["response:Follows"], 1),
    "rasterisk_command.yaml": (["response:Follows"], 1),
    "asyncagi_get_var.yaml": (["response:Success", "event:AGIExec", "event:AGIExec", "event:AsyncAGI"], 4),
    "asyncagi_channel_does_not_exist.yaml": (["response:Error"], 1),
    "queue_status.yaml": (["response:Success", "event:QueueParams", "event:QueueMember"], 9),
    "pjsip_show_endpoint.yaml": (["response:Success", "event:EndpointDetail", "event:AuthDetail"], 6),
    "agent_loggued_in.yaml": (
        ["response:Success", "response:Success", "response:Success", "event:PeerStatus"],
        155,
    ),
    "agent_not_in_pause.yaml": (["event:Newchannel", "event:VarSet"], 60),
    "originate_with_events.yaml": (["response:Success", "event:Newchannel", "event:Newchannel"], 748),
}


class TestPanoramiskCaptures:
    @pytest.mark.parametrize("name", sorted(CAPTURE_FACTS))
    def test_given_a_real_capture_when_chunked_randomly_then_every_server_message_is_parsed(
        self, name: str
    ) -> None:
        raw = (PANORAMISK / name).read_bytes()
        first, total = CAPTURE_FACTS[name]
        rng = random.Random(name)
        chunks = [rng.randint(1, 300) for _ in range(len(raw) // 50 + 1)]
        msgs = [m for m in feed_all(raw, chunks=chunks) if m.kind != "banner" or name.startswith("login")]
        server = [m for m in msgs if m.kind != "banner"]
        assert [f"{m.kind}:{m.name}" for m in msgs[: len(first)]] == first
        assert len(msgs) == total
        blocks, _ = _server_blocks(raw.decode("utf-8"))
        # junk-prefixed blocks ("[N bytes missing in capture file]Event: ...") are recovered too
        assert len(server) == len(blocks) - sum(b.startswith("Asterisk Call Manager") for b in blocks)

    def test_core_show_version_follows_output(self) -> None:
        msg = feed_all((PANORAMISK / "command_core_show_version.yaml").read_bytes())[0]
        assert msg.action_id == "action/transaction_uid/1/1"
        assert msg.getall("Output") == [
            "Asterisk 11.11.0+xivo.14.15~20140724.155259.ed5592b-wheezy built by root @ wheezy-farm on a "
            "x86_64 running Linux on 2014-08-06 19:30:37 UTC"
        ]

    def test_rasterisk_follows_keeps_trailing_spaces_and_all_lines(self) -> None:
        msg = feed_all((PANORAMISK / "rasterisk_command.yaml").read_bytes())[0]
        output = msg.getall("Output")
        assert len(output) == 4 and output[0].endswith("             ")
        assert output[1:] == ["0 active channels", "0 active calls", "2 calls processed"]

    def test_queue_status_list_items_carry_the_action_id(self) -> None:
        msgs = feed_all((PANORAMISK / "queue_status.yaml").read_bytes())
        assert msgs[0]["Message"] == "Queue status will follow"
        assert [m.name for m in msgs[-2:]] == ["QueueMember", "QueueStatusComplete"]
        assert all(m.action_id == "action/transaction_uid/1/1" for m in msgs)
        assert [m["Name"] for m in msgs if m.name == "QueueMember"][:2] == ["Agent/220", "Agent/213"]

    def test_truncated_capture_end_stays_pending(self) -> None:
        raw = (PANORAMISK / "pjsip_show_endpoint.yaml").read_bytes()
        parser = FrameParser()
        msgs = parser.feed(raw)
        assert msgs[-1].name == "ContactStatusDetail"
        assert parser.pending > 0  # EndpointDetailComplete has no closing blank line in the file


def ping_reply(action_id: str) -> bytes:
    return wire([("Response", "Success"), ("ActionID", action_id), ("Ping", "Pong")])


class TestHostileFraming:
    """Issue 10 §5: findings from fuzzing the client over TCP."""

    def test_given_a_stray_follows_never_closed_when_a_reply_follows_then_the_reply_is_not_held(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        stray = b"Response: Follows\r\nPrivilege: Command\r\nActionID: c-9\r\nsome output\r\n\r\n"
        parser = FrameParser()
        with caplog.at_level(logging.WARNING, logger="telephony.ami.parser"):
            out = parser.feed(stray) + parser.feed(ping_reply("p-1") + wire(NEWCHANNEL))
        assert [(m.kind, m.name) for m in out] == [
            ("response", "Follows"),
            ("response", "Success"),
            ("event", "Newchannel"),
        ]
        assert out[0].action_id == "c-9" and out[0].getall("Output") == ["some output"]
        assert out[1].action_id == "p-1" and out[2].pairs() == NEWCHANNEL
        assert parser.pending == 0
        assert "--END COMMAND--" in caplog.text

    def test_given_a_stray_follows_then_junk_frames_then_an_event_the_event_ends_it(self) -> None:
        data = b"Response: Follows\r\n\r\njunk one\r\n\r\n\x00\x01\r\n\r\n" + wire(NEWCHANNEL)
        msgs = feed_all(data, chunks=[3, 17, 5])
        assert [m.name for m in msgs] == ["Follows", "Newchannel"]
        assert msgs[1].pairs() == NEWCHANNEL

    def test_given_a_stray_follows_growing_past_the_frame_limit_then_it_is_released(self) -> None:
        parser = FrameParser(max_frame=4096)
        out = parser.feed(b"Response: Follows\r\nActionID: c-1\r\n\r\n")
        for _ in range(10):
            out += parser.feed(b"x" * 1000 + b"\r\n\r\n")
        assert [m.name for m in out] == ["Follows"]
        assert parser.pending < 4096
        assert parser.feed(ping_reply("p-2"))[0].action_id == "p-2"

    def test_given_an_oversized_frame_then_events_after_it_in_the_same_read_keep_their_line_breaks(
        self,
    ) -> None:
        parser = FrameParser(max_frame=1024)
        assert parser.feed(b"Event: Huge\r\nData: " + b"x" * 2000) == []
        # "\r\r\n" is a value ending in a stray CR; it must not turn this read into a CRLF one
        tail = (
            b"xxx\r\n\r\n"
            + b"Event: A\nJunk: x\r\r\nB: 1\n\n"
            + b"Event: B\nC: 2\n\n"
            + b"Event: Split\r\nFirst: 1\r\n"
        )
        out = parser.feed(tail)
        out += parser.feed(b"Second: 2\r\nThird: 3\r\n\r\n")
        assert [m.name for m in out] == ["A", "B", "Split"]
        assert out[0]["B"] == "1" and out[1]["C"] == "2"
        assert out[2].pairs() == [("Event", "Split"), ("First", "1"), ("Second", "2"), ("Third", "3")]
        assert out[2]["Second"] == "2" and out[2]["Third"] == "3"

    def test_given_an_lf_only_frame_inside_a_crlf_stream_then_the_next_event_is_not_swallowed(self) -> None:
        hangup = [("Event", "Hangup"), ("Uniqueid", "1700000000.1"), ("Cause", "16")]
        lf = wire([("Event", "Newstate"), ("Uniqueid", "1700000000.1")], nl="\n")
        for data in (wire(NEWCHANNEL) + lf + wire(hangup), lf + wire(NEWCHANNEL) + wire(hangup)):
            for chunks in (None, [len(data) // 3, 11]):
                msgs = feed_all(data, chunks=chunks)
                assert sorted(m.name for m in msgs) == ["Hangup", "Newchannel", "Newstate"]
                by_name = {m.name: m for m in msgs}
                assert by_name["Hangup"].pairs() == hangup and by_name["Newchannel"].pairs() == NEWCHANNEL
                assert by_name["Hangup"]["Cause"] == "16"

    @pytest.mark.parametrize("nl", ["\r\n", "\n"])
    def test_given_a_line_ending_in_lf_inside_a_crlf_frame_then_every_header_is_found(self, nl: str) -> None:
        data = f"Event: Mixed{nl}A: 1\nB: 2\r\nC: 3{nl}{nl}".encode()
        msg = feed_all(data)[0]
        assert msg["A"] == "1" and msg["B"] == "2" and msg["C"] == "3"
        assert msg.pairs() == [("Event", "Mixed"), ("A", "1"), ("B", "2"), ("C", "3")]

    def test_given_headers_before_the_event_line_then_they_are_kept(self) -> None:
        msgs, _ = parse_frames(
            b"Privilege: call,all\r\nEvent: Hangup\r\nUniqueid: 1.1\r\n\r\n"
            b"ActionID: a-7\r\nResponse: Success\r\nMessage: ok\r\n\r\n"
        )
        assert [(m.kind, m.name) for m in msgs] == [("event", "Hangup"), ("response", "Success")]
        assert msgs[0]["Privilege"] == "call,all" and msgs[0]["Uniqueid"] == "1.1"
        assert msgs[0].pairs() == [("Privilege", "call,all"), ("Event", "Hangup"), ("Uniqueid", "1.1")]
        assert msgs[1].action_id == "a-7" and msgs[1]["Message"] == "ok"
