"""Parsing real-looking RFC 822 messages: charsets, transfer encodings, threading, attachments."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tickets.intake.classify import KeywordRules, classify
from tickets.intake.html_text import html_to_text
from tickets.intake.mail import (
    MailParseError,
    decode_header_value,
    find_ticket_number,
    parse_message,
    strip_quoted_reply,
)

DATA = Path(__file__).parent / "data"


def load(name: str) -> bytes:
    return (DATA / name).read_bytes()


def test_given_foxmail_gb2312_label_with_gbk_only_characters_then_name_subject_and_body_decode() -> None:
    mail = parse_message(load("foxmail_gbk_repair.eml"))
    assert mail.sender_name == "王喆"  # 喆 is GBK-only: a strict gb2312 decoder would fail
    assert mail.sender_address == "wangzhe@example.cn"
    assert mail.subject == "空调不制冷，申请维修"
    assert mail.body.startswith("您好：\n我家的空调不制冷了")
    assert "\r" not in mail.body
    assert mail.message_id == "<202611220913580123456@example.cn>"
    assert mail.has_message_id
    assert mail.date == datetime(2026, 11, 22, 1, 13, 58, tzinfo=UTC)
    assert mail.recipients == ("service@callcenter.example",)
    assert mail.attachments == ()
    assert mail.ticket_number is None
    assert classify(mail.subject, mail.body) == "repair"


def test_given_html_only_quoted_printable_with_attachment_then_text_stripped_and_attachment_listed() -> None:
    mail = parse_message(load("outlook_qp_complaint.eml"))
    assert mail.sender_name == "李娜"
    assert mail.sender_address == "lina.1988@example.com"
    assert mail.subject == "投诉：维修师傅迟到"
    assert "我要投诉：上周的维修师傅迟到了三个小时 & 态度很差。" in mail.body
    assert "color:red" not in mail.body  # <style> content is not text
    assert "<" not in mail.body
    assert "订单号 A-778812" in mail.body
    assert mail.recipients == ("service@callcenter.example", "boss@callcenter.example")
    assert len(mail.attachments) == 1
    att = mail.attachments[0]
    assert (att.filename, att.content_type, att.size) == ("发票.pdf", "application/pdf", 9 + 256 * 8)
    assert classify(mail.subject, mail.body) == "complaint"  # complaint beats the repair words


def test_given_reply_with_ticket_number_in_subject_then_thread_headers_and_number_are_read() -> None:
    mail = parse_message(load("reply_to_ticket.eml"))
    assert mail.ticket_number == "REP-000123"
    assert mail.in_reply_to == "<ticket-REP-000123.1@callcenter.example>"
    assert mail.references == (
        "<ticket-REP-000123.0@callcenter.example>",
        "<ticket-REP-000123.1@callcenter.example>",
    )
    assert mail.sender_name == "Alice Johnson"
    assert mail.sender_address == "alice.johnson@example.com"
    assert mail.date == datetime(2026, 11, 23, 16, 0, tzinfo=UTC)
    new_text = strip_quoted_reply(mail.body)
    assert new_text == "Thanks, Tuesday afternoon works for the technician visit.\n\nAlice"


def test_given_raw_8bit_gb18030_body_without_message_id_then_a_stable_id_is_synthesised() -> None:
    raw = load("gb18030_8bit_no_msgid.eml")
    mail = parse_message(raw)
    assert mail.sender_name == "赵敏"  # =?GBK?Q?...?=
    assert mail.subject == "保修期咨询"
    assert mail.body == "请问你们的洗衣机保修期是多久？谢谢。"
    assert not mail.has_message_id
    assert mail.message_id.endswith("@callcenter.invalid>")
    assert parse_message(raw).message_id == mail.message_id  # same bytes, same id: imports stay idempotent
    assert parse_message(raw + b"x").message_id != mail.message_id
    assert classify(mail.subject, mail.body) == "inquiry"


def test_given_raw_utf8_header_bytes_then_they_decode() -> None:
    raw = "From: 张三丰 <zsf@example.cn>\nSubject: 你好\n\nbody\n".encode()
    mail = parse_message(raw)
    assert (mail.sender_name, mail.subject) == ("张三丰", "你好")


@pytest.mark.parametrize(
    "raw, reason",
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (load("malformed_no_from.eml"), "no From"),
        (b"From: not an address\nSubject: x\n\nbody\n", "no usable sender"),
    ],
)
def test_given_message_without_usable_sender_then_parse_error_says_why(raw: bytes, reason: str) -> None:
    with pytest.raises(MailParseError, match=reason):
        parse_message(raw)


def test_given_bad_date_then_date_is_none_not_an_error() -> None:
    mail = parse_message(b"From: a@example.com\nDate: yesterday-ish\nSubject: x\n\nhello\n")
    assert mail.date is None
    assert mail.body == "hello"


@pytest.mark.parametrize(
    "subject, number",
    [
        ("Re: [REP-000123] Your repair", "REP-000123"),
        ("回复：CMP-000045 投诉处理进度", "CMP-000045"),
        ("Fwd: INQ-2026000001", "INQ-2026000001"),
        ("no number here", None),
        ("model KFR-35GW", None),
        ("order xREP-000123", None),
    ],
)
def test_ticket_number_in_subject(subject: str, number: str | None) -> None:
    assert find_ticket_number(subject) == number


def test_decode_header_value_handles_adjacent_encoded_words_and_plain_text() -> None:
    assert decode_header_value("=?UTF-8?B?5byg?= =?UTF-8?B?5LiJ?=") == "张三"
    assert decode_header_value("Re: =?gb2312?B?0N7A7Q==?= ok") == "Re: 修理 ok"
    assert decode_header_value("plain\r\n folded") == "plain folded"
    assert decode_header_value(None) == ""


def test_html_to_text_keeps_blocks_as_lines_and_drops_scripts() -> None:
    html = "<p>Line&nbsp;one</p><script>alert(1)</script><ul><li>a</li><li>b</li></ul>x<br>y"
    assert html_to_text(html) == "Line one\n\n- a\n\n- b\n\nx\ny"


def test_strip_quoted_reply_handles_chinese_clients() -> None:
    body = "好的，周二可以。\n\n在 2026年11月22日 10:00，客服 <s@c.example> 写道：\n> 请回复方便的时间"
    assert strip_quoted_reply(body) == "好的，周二可以。"
    assert strip_quoted_reply("> only quotes") == "> only quotes"


def test_classifier_rules_are_configurable() -> None:
    rules = KeywordRules.from_mapping({"repair": ["lavadora"]})
    assert classify("la lavadora", "", rules) == "repair"
    assert classify("投诉", "", rules) == "complaint"  # complaint list kept its defaults
    assert classify("维修", "", rules) == "inquiry"  # the repair list was replaced
    with pytest.raises(ValueError, match="unknown keyword lists: spam"):
        KeywordRules.from_mapping({"spam": ["x"]})
    with pytest.raises(ValueError, match="list of strings"):
        KeywordRules.from_mapping({"repair": "broken"})
