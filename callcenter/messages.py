"""Every message type that travels on the platform's bus, registered in one codec (for Redis).

Each domain package defines its own messages as frozen dataclasses; this is the one place that
lists them, so a process reading the Redis stream decodes what another one published.
"""

from __future__ import annotations

from typing import get_args

from bus import Codec, InProcessBus
from bus.redis_stream import RedisBus
from config.settings import Settings
from routing.messages import BusMessage
from telephony.devices import DeviceStateChange
from telephony.tracker import CallEvent

PlatformBus = InProcessBus | RedisBus
CALL_EVENTS: tuple[type, ...] = get_args(CallEvent)
DEVICE_EVENTS: tuple[type, ...] = (DeviceStateChange,)
ACD_MESSAGES: tuple[type, ...] = get_args(BusMessage)


def platform_codec() -> Codec:
    codec = Codec()
    for message_type in (*CALL_EVENTS, *DEVICE_EVENTS, *ACD_MESSAGES):
        codec.register(message_type)
    return codec


def build_bus(settings: Settings) -> PlatformBus:
    """The bus ``settings.bus`` names: in-process (default) or the Redis stream shared by processes."""
    if settings.bus.transport == "redis":
        return RedisBus(settings.redis_url, codec=platform_codec(), stream=settings.bus.stream)
    return InProcessBus()
