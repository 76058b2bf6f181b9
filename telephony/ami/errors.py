"""Errors raised by the AMI client; all derive from ``AmiError``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .result import ActionResult


class AmiError(Exception):
    """Base of every AMI client error."""


class AmiConnectionError(AmiError):
    """The AMI link cannot be opened or is not up."""


class NotConnected(AmiConnectionError):
    """An action was sent while the link is down (the client may be reconnecting)."""


class ConnectionLost(AmiConnectionError):
    """The link dropped while the action was pending; it may or may not have run."""


class AuthenticationFailed(AmiError):
    """Asterisk refused the login (wrong user or secret, or not permitted from this host)."""


class ActionTimeout(AmiError, TimeoutError):
    """No (complete) reply to an action within its timeout."""

    def __init__(self, action: str, action_id: str, timeout: float) -> None:
        super().__init__(f"no reply to {action} (ActionID {action_id}) within {timeout:g}s")
        self.action = action
        self.action_id = action_id
        self.timeout = timeout


class ActionFailed(AmiError):
    """Asterisk answered ``Response: Error``; ``result`` holds the reply."""

    def __init__(self, action: str, result: ActionResult) -> None:
        message = result.message or "no message"
        super().__init__(f"{action} failed: {message}")
        self.action = action
        self.result = result
