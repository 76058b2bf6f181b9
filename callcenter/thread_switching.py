"""How soon a thread waiting for Python's interpreter lock gets it, in the ``serve`` process.

The process runs its event loop (HTTP, AMI, FastAGI) in one thread and the database work of API
requests in a small thread pool. A thread that got a database reply, or the loop woken by a
socket, needs the interpreter lock back; while another thread runs Python code it waits until that
thread lets go, which CPython forces after the switch interval: 5 ms by default. A screen pop makes
about eight round trips to the database, each of which may wait that long behind the loop or
another request, so the default puts milliseconds of waiting into every request under load.

1 ms bounds that wait fivefold tighter, for a few more switches a second. In bench/api_load
(200 agents, PostgreSQL, the 2-core development machine, alternating runs) the screen pop p99 went
from 83 and 67 ms to 69 and 41 ms, p50 from 24 and 13 ms to 12 and 11 ms.
"""

from __future__ import annotations

import logging
import sys

log = logging.getLogger(__name__)

SWITCH_INTERVAL_SECONDS = 0.001


def tune(interval: float = SWITCH_INTERVAL_SECONDS) -> float:
    """Set the interpreter's switch interval; returns the one it had."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(interval)
    log.info("thread switch interval %.1f ms (was %.1f ms)", interval * 1000, previous * 1000)
    return previous
