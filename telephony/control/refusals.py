"""Pure translation of Asterisk's ``Response: Error`` messages into typed call-control errors.

Asterisk 22 says the same thing in several ways ("No such channel", "Channel does not exist: X",
"Channel1 does not exist: X", "Channel specified does not exist"); the patterns below are the
messages of manager.c and res/ for the actions in this package.
"""

from __future__ import annotations

import re

from telephony.control.errors import (
    ActionRefused,
    CallControlError,
    NoSuchChannel,
    NoSuchEntry,
    NotBridged,
    PermissionDenied,
    TransferFailed,
)

_NO_CHANNEL = re.compile(r"no such channel|does not exist|doesn't exist|does not exists", re.IGNORECASE)
_PERMISSION = re.compile(r"permission denied|not permitted", re.IGNORECASE)
_NO_ENTRY = re.compile(r"database entry (?:not found|could not be deleted)", re.IGNORECASE)
_TRANSFER_INVALID = re.compile(r"transfer invalid", re.IGNORECASE)
_TRANSFER_FAILED = re.compile(r"transfer failed", re.IGNORECASE)


def refusal(action: str, message: str, *, subject: str = "") -> CallControlError:
    """The typed error for Asterisk refusing ``action`` with ``message``; ``subject`` names what the
    action was about (a channel, an AstDB key) for the error text."""
    about = f" ({subject})" if subject else ""
    details = {"action": action, "asterisk": message}
    if subject:
        details["subject"] = subject
    if _PERMISSION.search(message):
        return PermissionDenied(f"{action}{about} refused by Asterisk: {message}", details=details)
    if _NO_ENTRY.search(message):
        return NoSuchEntry(f"no AstDB entry{about}", details=details)
    if _NO_CHANNEL.search(message):
        return NoSuchChannel(f"{action}: no such channel{about}: {message}", details=details)
    if _TRANSFER_INVALID.search(message):
        return NotBridged(f"{action}{about}: the channel is not in a bridge ({message})", details=details)
    if _TRANSFER_FAILED.search(message):
        return TransferFailed(f"{action}{about} failed: {message}", details=details)
    return ActionRefused(f"{action}{about} refused by Asterisk: {message or 'no message'}", details=details)
