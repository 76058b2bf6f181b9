"""Every message the platform publishes can cross the Redis bus (its type is in the codec)."""

from __future__ import annotations

from typing import get_args

from callcenter.messages import platform_codec
from routing.messages import BusMessage
from telephony.devices import DeviceStateChange
from telephony.tracker import CallEvent


def test_the_platform_codec_knows_every_call_event_device_state_and_acd_message() -> None:
    codec = platform_codec()
    for message_type in (*get_args(CallEvent), DeviceStateChange, *get_args(BusMessage)):
        assert codec.name_of(message_type) in codec.names, message_type
