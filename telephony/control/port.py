"""What call control needs of an AMI link: ``telephony.ami.AmiClient`` satisfies it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from telephony.ami import ActionResult, EventHandler, Subscription
from telephony.ami.actions import HeaderValue


class AmiPort(Protocol):
    async def send_action(
        self,
        action: str,
        headers: Mapping[str, HeaderValue] | None = None,
        *,
        timeout: float | None = None,  # noqa: ASYNC109
        check: bool = False,
    ) -> ActionResult: ...

    def subscribe(self, pattern: str, handler: EventHandler) -> Subscription: ...
