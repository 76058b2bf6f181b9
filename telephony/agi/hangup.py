"""``HangupWatch``: run a block that sends no AGI commands until it ends or the caller hangs up.

    async with session.watch_hangup():
        await acd.wait_for_agent(call)       # no AGI command while the caller waits

When the caller hangs up, the task running the block is cancelled at its current ``await`` and the
block raises ``AgiHangup`` instead of ``CancelledError`` (as ``asyncio.timeout`` turns its own
cancellation into ``TimeoutError``). A cancellation from elsewhere stays a ``CancelledError``.
A command in flight when the hang-up arrives is not interrupted: it finishes (a media command
then raises ``AgiHangup`` itself) and the block is cancelled only if it goes on waiting.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING

from telephony.agi.errors import AgiHangup

if TYPE_CHECKING:
    from telephony.agi.connection import AgiConnection


class HangupWatch:
    """The async context manager behind ``AgiSession.watch_hangup()`` (not reusable)."""

    def __init__(self, connection: AgiConnection) -> None:
        self._connection = connection
        self._task: asyncio.Task[object] | None = None
        self._remove: Callable[[], None] | None = None
        self._active = False
        self._fired = False

    @property
    def fired(self) -> bool:
        """True when the hang-up cancelled the block."""
        return self._fired

    async def __aenter__(self) -> HangupWatch:
        if self._task is not None:
            raise RuntimeError("HangupWatch is not reusable")
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("watch_hangup() needs a running task")
        if self._connection.hung_up:
            raise AgiHangup("caller hung up")
        self._task = task
        self._active = True
        self._remove = self._connection.on_hangup(self._schedule)
        return self

    def _schedule(self) -> None:
        # Cancel on the next loop turn: the listener may run inside the watched task itself (a
        # helper noting the hang-up), where a cancel would land after the block, not inside it.
        asyncio.get_running_loop().call_soon(self._fire)

    def _fire(self) -> None:
        if self._active and self._task is not None and not self._task.done():
            self._fired = True
            self._task.cancel(msg="caller hung up")

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._active = False
        if self._remove is not None:
            self._remove()
        if not self._fired or self._task is None:
            return
        if self._task.uncancel() == 0 and exc_type is asyncio.CancelledError:
            raise AgiHangup("caller hung up while the handler waited") from exc
