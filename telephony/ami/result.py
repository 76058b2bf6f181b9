"""The outcome of one action: its response and, for list actions, the events that belong to it."""

from __future__ import annotations

from dataclasses import dataclass

from .message import Message

SUCCESS_STATUSES = frozenset({"Success", "Follows", "Goodbye"})


@dataclass(frozen=True, slots=True)
class ActionResult:
    """``response`` is the reply; ``events`` the list items (``EventList: start`` ... ``Complete``),
    without the final ``...Complete`` event, which is in ``complete`` when the list ended normally.
    """

    action: str
    response: Message
    events: tuple[Message, ...] = ()
    complete: Message | None = None

    @property
    def success(self) -> bool:
        return self.response.get("Response", "") in SUCCESS_STATUSES

    @property
    def message(self) -> str:
        return self.response.get("Message", "")

    @property
    def output(self) -> list[str]:
        """Command output lines (``Output:`` headers, or the body of ``Response: Follows``)."""
        return self.response.getall("Output")

    @property
    def action_id(self) -> str:
        return self.response.get("ActionID", "")
