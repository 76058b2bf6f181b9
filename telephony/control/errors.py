"""Typed errors of call control; each has a stable ``error_id`` and an HTTP-ish ``status_code``.

Every failure of a ``telephony.control`` action is a ``CallControlError``: Asterisk's refusals
(``Response: Error``) are translated by ``telephony.control.refusals.refusal``, link problems by
``telephony.control.send``, bad input is refused before anything is sent (``InvalidRequest``).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType


class CallControlError(Exception):
    """Base of every call-control error: ``message``, stable ``error_id``, ``status_code``, ``details``."""

    error_id = "call-control-error"
    status_code = 500

    def __init__(self, message: str, *, details: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: Mapping[str, str] = MappingProxyType(dict(details or {}))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.error_id!r}, {self.message!r})"


class InvalidRequest(CallControlError, ValueError):
    """The arguments cannot be sent as they are (line breaks, commas in a variable, empty names)."""

    error_id = "invalid-request"
    status_code = 422


class NoSuchChannel(CallControlError):
    """Asterisk has no channel of that name (it hung up, or never existed)."""

    error_id = "no-such-channel"
    status_code = 404


class NotBridged(CallControlError):
    """The action needs the channel to be in a bridge (talking to someone) and it is not."""

    error_id = "not-bridged"
    status_code = 409


class PermissionDenied(CallControlError):
    """Asterisk refused: the AMI user lacks the class, or the bridge forbids the transfer."""

    error_id = "permission-denied"
    status_code = 403


class OriginateFailed(CallControlError):
    """The originated channel did not answer: busy, no answer, congestion, no such destination."""

    error_id = "originate-failed"
    status_code = 409

    def __init__(self, message: str, *, reason: int, details: Mapping[str, str] | None = None) -> None:
        super().__init__(message, details=details)
        self.reason = reason


class TransferFailed(CallControlError):
    """Asterisk accepted the channel but could not transfer it."""

    error_id = "transfer-failed"
    status_code = 409


class NoSuchEntry(CallControlError):
    """No AstDB entry under that family and key."""

    error_id = "no-such-entry"
    status_code = 404


class ActionRefused(CallControlError):
    """Any other ``Response: Error``; ``details["asterisk"]`` holds Asterisk's message."""

    error_id = "action-refused"
    status_code = 409


class ControlUnavailable(CallControlError):
    """The AMI link is down, or dropped while the action was pending (it may or may not have run)."""

    error_id = "ami-unavailable"
    status_code = 503


class ControlTimeout(CallControlError):
    """No reply, or not the awaited event (OriginateResponse, ChanSpyStart, ...), in time."""

    error_id = "timeout"
    status_code = 504
