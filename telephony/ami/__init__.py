"""Our asyncio Asterisk Manager Interface client.

- ``parse_frames`` / ``FrameParser``: bytes to ``Message`` without I/O.
- ``AmiClient``: login, actions (``send_action``, ``command``) returning ``ActionResult``,
  event subscriptions by name or wildcard, keepalive, reconnect with backoff, ``on_connect``.
"""

from .actions import format_action
from .client import AmiClient
from .dispatch import EventHandler, Subscription
from .errors import (
    ActionFailed,
    ActionTimeout,
    AmiConnectionError,
    AmiError,
    AuthenticationFailed,
    ConnectionLost,
    NotConnected,
)
from .message import BANNER, EVENT, RESPONSE, Message
from .parser import MAX_FRAME, MAX_LINE, FrameParser, parse_frames
from .protocol import AmiProtocol
from .result import ActionResult

__all__ = [
    "BANNER",
    "EVENT",
    "MAX_FRAME",
    "MAX_LINE",
    "RESPONSE",
    "ActionFailed",
    "ActionResult",
    "ActionTimeout",
    "AmiClient",
    "AmiConnectionError",
    "AmiError",
    "AmiProtocol",
    "AuthenticationFailed",
    "ConnectionLost",
    "EventHandler",
    "FrameParser",
    "Message",
    "NotConnected",
    "Subscription",
    "format_action",
    "parse_frames",
]
