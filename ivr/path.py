"""The call's IVR path: every step the interpreter took, for the screen pop and for analytics."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

Outcome = Literal["route", "voicemail", "callback", "survey", "hangup", "caller_hangup", "fallback"]
ENDED_BY_CALLER: tuple[Outcome, ...] = ("caller_hangup",)

Event = Literal[
    "entered", "option", "invalid", "timeout", "repeat", "input", "lookup", "branch",
    "set", "played", "recorded", "scheduled", "scored", "step_limit", "hangup", "error",
]  # fmt: skip


class PathStep(BaseModel):
    """One thing that happened at a node."""

    node: str
    type: str
    event: Event
    digits: str | None = None
    """What the caller pressed (an option, an entered number)."""
    result: dict[str, str] = Field(default_factory=dict)
    """A lookup's or a branch's result, the option's target, an attribute set ..."""
    at: datetime


class IvrPath(BaseModel):
    """One call's path through one flow; ``outcome`` once it ended."""

    call_id: str
    flow: str
    caller: str
    did: str
    started_at: datetime
    ended_at: datetime | None = None
    outcome: Outcome | None = None
    ended_at_node: str | None = None
    self_service: bool = False
    """A self-service node was reached (e.g. a ticket's status was told)."""
    language: str | None = None
    survey_score: int | None = None
    """The caller's 1–5 score from the survey after the call."""
    variables: dict[str, str] = Field(default_factory=dict)
    """The call variables at the end (customer, ticket, intent, skills, priority ...)."""
    steps: list[PathStep] = Field(default_factory=list)

    def nodes(self) -> list[str]:
        """Node ids in the order they were entered."""
        return [s.node for s in self.steps if s.event == "entered"]

    def digits(self) -> list[str]:
        """Everything the caller pressed, in order."""
        return [s.digits for s in self.steps if s.digits]
