"""The event bus: typed messages (frozen dataclasses) from publishers to subscribers' bounded queues.

Infrastructure: imports nothing of ours. Domain packages define their message dataclasses; the
composition root publishes them. ``InProcessBus`` serves one process; ``bus.redis_stream.RedisBus``
offers the same interface across processes. See docs/bus.md.
"""

from typing import Final

from bus.base import BusBase
from bus.codec import Codec
from bus.errors import (
    BusClosed,
    BusError,
    CodecError,
    DecodeError,
    SubscriberOverflow,
    SubscriptionClosed,
    UnknownMessageType,
    UnsupportedType,
)
from bus.inproc import InProcessBus
from bus.messages import Dropped, Policy, SubscriberStats
from bus.subscription import Subscription

RELIABLE: Final = Policy.RELIABLE
LOSSY: Final = Policy.LOSSY

__all__ = [
    "LOSSY",
    "RELIABLE",
    "BusBase",
    "BusClosed",
    "BusError",
    "Codec",
    "CodecError",
    "DecodeError",
    "Dropped",
    "InProcessBus",
    "Policy",
    "SubscriberOverflow",
    "SubscriberStats",
    "Subscription",
    "SubscriptionClosed",
    "UnknownMessageType",
    "UnsupportedType",
]
