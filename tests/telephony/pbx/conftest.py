"""``ami`` (our AMI client on the bundled PBX, every event in ``events``) for the PBX tests that
drive calls through ``telephony.control``; test_simulated_calls.py defines its own raw ``ami``."""

from tests.telephony.control.fixtures import ami, events

__all__ = ["ami", "events"]
