"""callcenter.thread_switching: serve's interpreter hands the lock over after 1 ms, not 5."""

from __future__ import annotations

import sys

from callcenter import thread_switching


def test_tune_sets_the_switch_interval_and_returns_the_previous_one() -> None:
    before = sys.getswitchinterval()
    try:
        assert thread_switching.tune(0.002) == before
        assert sys.getswitchinterval() == 0.002
        assert thread_switching.tune() == 0.002
        assert sys.getswitchinterval() == thread_switching.SWITCH_INTERVAL_SECONDS
    finally:
        sys.setswitchinterval(before)
