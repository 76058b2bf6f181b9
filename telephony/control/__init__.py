"""Call control over AMI: typed actions with typed results and typed errors.

Every action is an ``async`` function taking the AMI link (``telephony.ami.AmiClient``, or anything
with ``send_action`` and ``subscribe``: ``AmiPort``) first. It returns a frozen dataclass from
``telephony.control.results`` or raises a ``CallControlError`` (stable ``error_id``). See
docs/call-control.md for which Asterisk feature each one uses.
"""

from telephony.control.astdb import db_delete, db_get, db_put
from telephony.control.bridge import bridge
from telephony.control.errors import (
    ActionRefused,
    CallControlError,
    ControlTimeout,
    ControlUnavailable,
    InvalidRequest,
    NoSuchChannel,
    NoSuchEntry,
    NotBridged,
    OriginateFailed,
    PermissionDenied,
    TransferFailed,
)
from telephony.control.hangup import hangup
from telephony.control.hold import bridge_peer, hold, resume
from telephony.control.listing import list_channels
from telephony.control.originate import ApplicationTarget, DialplanTarget, Target, local_channel, originate
from telephony.control.port import AmiPort
from telephony.control.redirect import redirect
from telephony.control.results import (
    AttendedTransferStarted,
    BlindTransferred,
    Bridged,
    ChannelInfo,
    DbDeleted,
    DbEntry,
    Held,
    HungUp,
    Originated,
    Redirected,
    Resumed,
    Spying,
    SpyMode,
    VariableSet,
    VariableValue,
)
from telephony.control.spy import spy
from telephony.control.transfer import attended_transfer, blind_transfer, cancel_attended_transfer
from telephony.control.variables import get_variable, set_variable

__all__ = [
    "ActionRefused",
    "AmiPort",
    "ApplicationTarget",
    "AttendedTransferStarted",
    "BlindTransferred",
    "Bridged",
    "CallControlError",
    "ChannelInfo",
    "ControlTimeout",
    "ControlUnavailable",
    "DbDeleted",
    "DbEntry",
    "DialplanTarget",
    "Held",
    "HungUp",
    "InvalidRequest",
    "NoSuchChannel",
    "NoSuchEntry",
    "NotBridged",
    "OriginateFailed",
    "Originated",
    "PermissionDenied",
    "Redirected",
    "Resumed",
    "SpyMode",
    "Spying",
    "Target",
    "TransferFailed",
    "VariableSet",
    "VariableValue",
    "attended_transfer",
    "blind_transfer",
    "bridge",
    "bridge_peer",
    "cancel_attended_transfer",
    "db_delete",
    "db_get",
    "db_put",
    "get_variable",
    "hangup",
    "hold",
    "list_channels",
    "local_channel",
    "originate",
    "redirect",
    "resume",
    "set_variable",
    "spy",
]
