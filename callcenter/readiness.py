"""Readiness: named checks (the database, every AMI link ...) that ``/readyz`` runs with a timeout.

The platform registers ``database`` and, when it links to Asterisk, ``ami``. A check is a plain or
async callable returning a bool (or raising, which counts as failing).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from tickets.db import READ_ONLY

log = logging.getLogger(__name__)
Check = Callable[[], bool | Awaitable[bool]]


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str = ""


class ReadinessChecks:
    """Named readiness checks, each run with a timeout; a check that raises or times out fails."""

    def __init__(self, timeout: float = 2.0) -> None:
        self.timeout = timeout
        self._checks: dict[str, Check] = {}

    def add(self, name: str, check: Check) -> None:
        self._checks[name] = check

    def remove(self, name: str) -> None:
        self._checks.pop(name, None)

    @property
    def names(self) -> list[str]:
        return list(self._checks)

    async def run(self) -> list[CheckResult]:
        return list(await asyncio.gather(*(self._run_one(n, c) for n, c in self._checks.items())))

    async def _run_one(self, name: str, check: Check) -> CheckResult:
        try:
            async with asyncio.timeout(self.timeout):
                outcome = check()
                if inspect.isawaitable(outcome):
                    outcome = await outcome
        except TimeoutError:
            return CheckResult(name, False, f"no answer within {self.timeout:g} s")
        except Exception as exc:
            log.warning("readiness check %s failed: %s", name, exc)
            return CheckResult(name, False, type(exc).__name__)
        return CheckResult(name, bool(outcome), "" if outcome else "down")


def database_check(engine: Engine) -> Check:
    """A check that runs ``SELECT 1`` (in a worker thread, so a slow database cannot block the loop)."""

    def select_one() -> bool:
        with engine.connect() as conn:
            conn = conn.execution_options(**{READ_ONLY: True})  # on SQLite: never queued behind writers
            return bool(conn.execute(text("SELECT 1")).scalar() == 1)

    async def check() -> bool:
        return await run_in_threadpool(select_one)

    return check
