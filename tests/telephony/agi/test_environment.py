"""The agi_* environment block and the request URL, parsed without I/O."""

from __future__ import annotations

import pytest

from telephony.agi import (
    AgiEnvironmentError,
    parse_environment,
    parse_environment_block,
    parse_request_url,
)

# The order and form Asterisk 22 uses (res_agi.c setup_env), agi_network_script included.
REAL_BLOCK = (
    "agi_network: yes\n"
    "agi_network_script: ivr?did=+8610800\n"
    "agi_request: agi://127.0.0.1:14573/ivr?did=+8610800\n"
    "agi_channel: Local/100@sim-caller-00000001;2\n"
    "agi_language: en\n"
    "agi_type: Local\n"
    "agi_uniqueid: 1732312345.17\n"
    "agi_version: 22.10.1\n"
    "agi_callerid: 13800138000\n"
    "agi_calleridname: 张三丰\n"
    "agi_callingpres: 0\n"
    "agi_callingani2: 0\n"
    "agi_callington: 0\n"
    "agi_callingtns: 0\n"
    "agi_dnid: unknown\n"
    "agi_rdnis: unknown\n"
    "agi_context: inbound\n"
    "agi_extension: 8610800\n"
    "agi_priority: 2\n"
    "agi_enhanced: 0.0\n"
    "agi_accountcode: \n"
    "agi_threadid: 140290358707904\n"
    "agi_arg_1: first arg\n"
    "agi_arg_2: \n"
    "agi_arg_3: 三\n"
    "\n"
)


def test_given_a_real_block_when_parsed_then_every_field_is_available() -> None:
    env = parse_environment_block(REAL_BLOCK.encode("utf-8"))

    assert env.channel == "Local/100@sim-caller-00000001;2"
    assert env.uniqueid == "1732312345.17"
    assert env.callerid == "13800138000"
    assert env.calleridname == "张三丰"
    assert env.dnid == "unknown"
    assert env.extension == "8610800"
    assert env.context == "inbound"
    assert env.language == "en"
    assert env.priority == "2"
    assert env.accountcode == ""
    assert env.get("agi_version") == env.get("version") == "22.10.1"
    assert env.args == ("first arg", "", "三")
    assert env.script == "ivr"
    assert env.query == {"did": "+8610800"}


def test_given_no_network_script_when_parsed_then_the_route_comes_from_the_request() -> None:
    block = REAL_BLOCK.replace("agi_network_script: ivr?did=+8610800\n", "")
    env = parse_environment(block.split("\n"))
    assert "network_script" not in env.headers
    assert env.script == "ivr"
    assert env.query == {"did": "+8610800"}


def test_given_a_request_without_a_path_when_parsed_then_the_script_is_empty() -> None:
    env = parse_environment(["agi_network: yes", "agi_request: agi://10.0.0.1", "agi_channel: X", ""])
    assert env.script == ""
    assert env.query == {}


def test_given_crlf_terminated_lines_when_parsed_then_values_have_no_cr() -> None:
    env = parse_environment(["agi_request: agi://h/ivr\r\n", "agi_channel: PJSIP/1-0001\r\n", "\r\n"])
    assert env.channel == "PJSIP/1-0001"


def test_given_lines_after_the_empty_line_when_parsed_then_they_are_ignored() -> None:
    env = parse_environment(["agi_request: agi://h/ivr", "", "200 result=0", "garbage"])
    assert env.script == "ivr"


def test_given_twelve_args_when_parsed_then_they_keep_numeric_order() -> None:
    lines = ["agi_request: agi://h/ivr"] + [f"agi_arg_{n}: a{n}" for n in range(12, 0, -1)]
    env = parse_environment(lines)
    assert env.args == tuple(f"a{n}" for n in range(1, 13))


@pytest.mark.parametrize(
    "line",
    [
        "GET / HTTP/1.1",
        "agi_channel without colon",
        "not_agi: value",
        "agi_: value",
        "\x00\x01binary",
    ],
)
def test_given_a_garbage_line_when_parsed_then_environment_error(line: str) -> None:
    with pytest.raises(AgiEnvironmentError):
        parse_environment(["agi_request: agi://h/ivr", line, ""])


def test_given_no_request_and_no_script_when_parsed_then_environment_error() -> None:
    with pytest.raises(AgiEnvironmentError, match="agi_request"):
        parse_environment(["agi_network: yes", "agi_channel: X", ""])


def test_given_invalid_utf8_when_parsed_from_bytes_then_replacement_characters() -> None:
    env = parse_environment_block(b"agi_request: agi://h/ivr\nagi_calleridname: \xff\xfe\n\n")
    assert env.calleridname == "\ufffd\ufffd"


@pytest.mark.parametrize(
    ("url", "script", "query"),
    [
        ("agi://127.0.0.1:4573/ivr?did=100", "ivr", {"did": "100"}),
        ("agi://127.0.0.1/ivr", "ivr", {}),
        ("agi://host:4573/ivr/", "ivr", {}),
        ("agi://host/menus/sales?a=1&b=&c", "menus/sales", {"a": "1", "b": "", "c": ""}),
        ("agi://host/ivr?did=+8610%2012&name=%E5%BC%A0", "ivr", {"did": "+8610 12", "name": "张"}),
        ("agi://host/ivr?x=1=2", "ivr", {"x": "1=2"}),
        ("ivr?did=100", "ivr", {"did": "100"}),
        ("hagi://_agi._tcp.example/ivr?k=v", "ivr", {"k": "v"}),
    ],
)
def test_request_url_gives_script_and_query(url: str, script: str, query: dict[str, str]) -> None:
    request = parse_request_url(url)
    assert request.script == script
    assert dict(request.query) == query
