"""Fixtures of the call-control tests: ``ami`` (our AMI client on the bundled PBX) and ``events``."""

from tests.telephony.control.fixtures import ami, events

__all__ = ["ami", "events"]
