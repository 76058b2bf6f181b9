"""AGI error model: one base class, one class per Asterisk error code, one class for hang-up.

``AgiHangup`` covers every way a caller's hang-up shows up: a bare ``HANGUP`` line, the socket
closing, and a ``511`` reply (command refused on a dead channel, ``AgiDeadChannel`` is a subclass).
Catch ``AgiHangup`` once to handle them all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from telephony.agi.replies import AgiReply


class AgiError(Exception):
    """Base of every AGI error raised by this package."""

    def __init__(self, message: str, *, command: str | None = None, reply: AgiReply | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.command = command
        self.reply = reply

    def __str__(self) -> str:
        return f"{self.message} (command: {self.command})" if self.command else self.message


class AgiHangup(AgiError):
    """The caller hung up: ``HANGUP`` line, end of stream, or a command refused on a dead channel."""


class AgiDeadChannel(AgiHangup):
    """``511 Command Not Permitted on a dead channel``: the channel is gone."""


class AgiCommandInvalid(AgiError):
    """``510 Invalid or unknown command``."""


class AgiUsageError(AgiError):
    """``520 Invalid command syntax``; ``usage`` holds the usage text Asterisk sent, if any."""

    def __init__(
        self,
        message: str,
        *,
        usage: str = "",
        command: str | None = None,
        reply: AgiReply | None = None,
    ) -> None:
        super().__init__(message, command=command, reply=reply)
        self.usage = usage


class AgiCommandFailed(AgiError):
    """A command answered ``200 result=-1`` while the channel is still up (e.g. a missing sound file)."""


class AgiTimeout(AgiError):
    """No reply within the command timeout; the session can no longer be trusted and is closed."""


class AgiProtocolError(AgiError):
    """Asterisk sent something this package cannot make sense of (reply or result value)."""


class AgiEnvironmentError(AgiError):
    """The ``agi_*`` environment block is malformed, too large, or incomplete."""
