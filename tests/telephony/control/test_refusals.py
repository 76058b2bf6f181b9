"""Pure: Asterisk 22's refusal messages become typed errors; bad input is refused before sending."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from telephony.control import (
    ActionRefused,
    CallControlError,
    InvalidRequest,
    NoSuchChannel,
    NoSuchEntry,
    NotBridged,
    PermissionDenied,
    TransferFailed,
)
from telephony.control.refusals import refusal
from telephony.control.values import callerid, channel, variable_name, variables


@pytest.mark.parametrize(
    ("action", "message", "kind", "error_id"),
    [
        ("Hangup", "No such channel", NoSuchChannel, "no-such-channel"),
        ("Redirect", "Channel does not exist: Local/x;1", NoSuchChannel, "no-such-channel"),
        ("Redirect", "ExtraChannel does not exist: Local/y;1", NoSuchChannel, "no-such-channel"),
        ("Bridge", "Channel1 does not exist: Local/x;1", NoSuchChannel, "no-such-channel"),
        ("Atxfer", "Channel specified does not exist", NoSuchChannel, "no-such-channel"),
        ("Originate", "Permission denied", PermissionDenied, "permission-denied"),
        ("BlindTransfer", "Transfer not permitted", PermissionDenied, "permission-denied"),
        ("BlindTransfer", "Transfer invalid", NotBridged, "not-bridged"),
        ("BlindTransfer", "Transfer failed", TransferFailed, "transfer-failed"),
        ("DBGet", "Database entry not found", NoSuchEntry, "no-such-entry"),
        ("DBDel", "Database entry could not be deleted", NoSuchEntry, "no-such-entry"),
        ("Atxfer", "No attended transfer feature code found", ActionRefused, "action-refused"),
    ],
)
def test_asterisk_refusal_becomes_the_typed_error(
    action: str, message: str, kind: type[CallControlError], error_id: str
) -> None:
    error = refusal(action, message, subject="Local/x;1")
    assert type(error) is kind
    assert error.error_id == error_id
    assert error.details["asterisk"] == message
    assert error.details["action"] == action


@given(action=st.sampled_from(["Hangup", "Redirect", "Getvar", "DBGet"]), message=st.text(max_size=200))
def test_any_refusal_message_gives_a_call_control_error_that_keeps_it(action: str, message: str) -> None:
    error = refusal(action, message)
    assert isinstance(error, CallControlError)
    assert error.details["asterisk"] == message
    assert error.status_code >= 400


@given(value=st.text(min_size=1, max_size=40))
def test_a_header_value_with_a_line_break_is_refused_before_sending(value: str) -> None:
    broken = value + "\r\nAction: Hangup"
    with pytest.raises(InvalidRequest):
        channel(broken)
    with pytest.raises(InvalidRequest):
        variables({"CC_X": broken})


@given(value=st.text(alphabet=st.characters(blacklist_characters="\r\n\0"), max_size=40))
def test_variable_values_are_escaped_so_asterisks_argument_splitting_gives_them_back(value: str) -> None:
    (item,) = variables({"CC_X": value})
    sent = item.removeprefix("CC_X=")
    assert _split_like_asterisk(sent) == [value]


def _split_like_asterisk(text: str) -> list[str]:
    """ast_app_separate_args with remove_chars: split on unquoted, unescaped commas; drop quotes
    and escaping backslashes."""
    parts, current, quoted, escaped = [], [], False, False
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def test_variable_names_and_caller_ids_are_checked() -> None:
    assert variable_name("__CC_INHERITED") == "__CC_INHERITED"
    assert variable_name("CALLERID(num)") == "CALLERID(num)"
    for bad in ("", "1ABC", "A B", "X=Y"):
        with pytest.raises(InvalidRequest):
            variable_name(bad)
    assert callerid("张三", "+8613800138000") == '"张三" <+8613800138000>'
    assert callerid(None, "1001") == "<1001>"
    with pytest.raises(InvalidRequest):
        callerid('a "quoted" name', "1")
    with pytest.raises(InvalidRequest):
        callerid("x", "12ab")
    assert issubclass(InvalidRequest, ValueError)
