"""The IVR flow model: what a YAML file under ``config/ivr/`` holds, as pydantic models.

A flow answers some dialled numbers (``numbers``, or ``default: true`` for any other), starts at
``start`` and is a graph of ``nodes`` (node id → node with a ``type``). Node fields that name
another node (``next``, ``options``' values, ``then``/``else``, ``on_fail`` ...) are the graph's
edges; :func:`Node.targets` lists them. Terminal nodes (route, voicemail, callback, survey, hangup)
end the call's IVR part.
"""

from __future__ import annotations

import re
from datetime import date, time
from typing import Annotated, Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

Language = Literal["zh", "en"]
LANGUAGES: tuple[Language, ...] = ("zh", "en")
DIGITS = "0123456789*#"
Slot = Literal["asap", "next_business_day"]
DEFAULT_LANGUAGE_KEYS: dict[str, Language] = {"1": "zh", "2": "en"}
DEFAULT_SLOTS: dict[str, Slot] = {"1": "asap", "2": "next_business_day"}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _text_keys(value: Any) -> Any:
    """YAML reads ``{1: a}`` with an integer key: keys are digits as text."""
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items()}
    return value


T = TypeVar("T")
DigitKeys = Annotated[dict[str, T], BeforeValidator(_text_keys)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Prompt(_Model):
    """Something to play: text per language (spoken by espeak-ng) and/or an Asterisk sound file.

    YAML forms: ``"text"`` (the same text in every language), ``{zh: ..., en: ...}``,
    ``{sound: vm-goodbye}``, ``{text: {zh: ...}, sounds: {en: vm-intro}}`` (an Asterisk core sound
    for one language, text for the others); a sound wins over text.
    Text may hold placeholders ``{variable}`` or ``{variable:kind}`` with kind ``text``, ``digits``,
    ``number``, ``ref`` (ticket reference), ``date`` or ``phone`` (see ivr/speech.py).
    """

    text: dict[Language, str] = Field(default_factory=dict)
    sound: str | None = None
    """An Asterisk sound for every language."""
    sounds: dict[Language, str] = Field(default_factory=dict)
    """An Asterisk sound for one language (e.g. the English core sound ``vm-intro``); the
    other languages use their text."""

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"text": dict.fromkeys(LANGUAGES, value)}
        if isinstance(value, dict) and not {"text", "sound", "sounds"} & value.keys():
            return {"text": value}
        if isinstance(value, dict) and isinstance(value.get("text"), str):
            return {**value, "text": dict.fromkeys(LANGUAGES, value["text"])}
        return value

    @property
    def empty(self) -> bool:
        return not self.sound and not self.sounds and not any(t.strip() for t in self.text.values())

    def sound_for(self, language: Language) -> str | None:
        """The Asterisk sound played in ``language``, if any (else the text is spoken)."""
        return self.sound or self.sounds.get(language)

    def sound_names(self) -> list[str]:
        return [self.sound] if self.sound else list(dict.fromkeys(self.sounds.values()))


OptionalPrompt = Prompt | None


class _NodeBase(_Model):
    label: str = ""
    """Free text for people reading the flow and for analytics."""
    self_service: bool = False
    """Reaching this node means the caller was served without an agent (for analytics)."""

    terminal: ClassVar[bool] = False
    required_prompts: ClassVar[tuple[str, ...]] = ()
    """Prompt fields that must be set (validation reports a missing one)."""
    optional_prompts: ClassVar[tuple[str, ...]] = ()

    def targets(self) -> list[tuple[str, str | None]]:
        """``(field, node id)`` for each edge out of this node (``None``: an edge without a target)."""
        return []

    def prompts(self) -> list[tuple[str, Prompt | None]]:
        """``(field, prompt)`` for each prompt this node plays (``None``: a required one is missing)."""
        found: list[tuple[str, Prompt | None]] = [
            (name, getattr(self, name)) for name in self.required_prompts
        ]
        for name in self.optional_prompts:
            if getattr(self, name) is not None:
                found.append((name, getattr(self, name)))
        return found


class PlayNode(_NodeBase):
    type: Literal["play"]
    prompts_: list[Prompt] = Field(alias="prompts", min_length=1)
    next: str

    def targets(self) -> list[tuple[str, str | None]]:
        return [("next", self.next)]

    def prompts(self) -> list[tuple[str, Prompt | None]]:
        return [(f"prompts[{i}]", p) for i, p in enumerate(self.prompts_)]


class _Asks(_NodeBase):
    """Shared by nodes that collect DTMF: a prompt, a timeout, retries and what to say on errors."""

    prompt: OptionalPrompt = None
    timeout: float = Field(5.0, gt=0, le=60)
    """Seconds to wait for the caller's input."""
    retries: int = Field(2, ge=0, le=5)
    """Extra attempts after the first on invalid input or a timeout."""
    invalid_prompt: OptionalPrompt = None
    timeout_prompt: OptionalPrompt = None
    on_fail: str | None = None
    """Where to go when the retries are used up (validation requires it)."""

    required_prompts: ClassVar[tuple[str, ...]] = ("prompt",)
    optional_prompts: ClassVar[tuple[str, ...]] = ("invalid_prompt", "timeout_prompt")


class MenuNode(_Asks):
    """One digit chooses an option; ``*`` repeats the prompt; ``0`` goes to ``agent`` when set."""

    type: Literal["menu"]
    options: DigitKeys[str | None]
    agent: str | None = None
    """Node for ``0`` (an agent) when ``options`` has no ``0`` of its own."""

    @field_validator("options")
    @classmethod
    def _single_digits(cls, value: dict[str, str | None]) -> dict[str, str | None]:
        for key in value:
            if len(key) != 1 or key not in DIGITS:
                raise ValueError(f"option {key!r}: one digit 0-9, * or #")
        if not value:
            raise ValueError("a menu needs at least one option")
        return value

    def choice(self, digit: str) -> str | None:
        if digit in self.options:
            return self.options[digit]
        if digit == "0" and self.agent:
            return self.agent
        return None

    def targets(self) -> list[tuple[str, str | None]]:
        edges: list[tuple[str, str | None]] = [(f"options[{d}]", t) for d, t in self.options.items()]
        if self.agent is not None:
            edges.append(("agent", self.agent))
        edges.append(("on_fail", self.on_fail))
        return edges


class InputNode(_Asks):
    """Digits ended by ``#`` (or ``max_length``), checked against a length and a pattern."""

    type: Literal["input"]
    variable: str
    min_length: int = Field(1, ge=0, le=32)
    max_length: int = Field(20, ge=1, le=32)
    pattern: str | None = None
    next: str

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"pattern {value!r} is not a regular expression: {exc}") from exc
        return value

    @model_validator(mode="after")
    def _lengths(self) -> InputNode:
        if self.min_length > self.max_length:
            raise ValueError(f"min_length {self.min_length} > max_length {self.max_length}")
        return self

    def accepts(self, digits: str) -> bool:
        if not self.min_length <= len(digits) <= self.max_length or (not digits.isdigit() and digits):
            return False
        return self.pattern is None or re.fullmatch(self.pattern, digits) is not None

    def targets(self) -> list[tuple[str, str | None]]:
        return [("next", self.next), ("on_fail", self.on_fail)]


class LookupNode(_NodeBase):
    """Look something up through a port; results land in call variables.

    ``caller``: the customer by the calling number; ``account`` / ``phone``: the customer by the
    number in ``source`` (an input's variable); ``ticket``: a ticket by the reference in ``source``
    (digits alone are read with ``ticket_prefix``; an identified caller finds only their own
    tickets). Variables set: ``customer.id``, ``customer.name``,
    ``customer.tier``, ``customer.language``, ``open_ticket.ref`` / ``open_ticket.type`` (the
    caller's newest open ticket), ``ticket.ref``, ``ticket.status``, ``ticket.type``.
    """

    type: Literal["lookup"]
    by: Literal["caller", "account", "phone", "ticket"]
    source: str | None = None
    ticket_prefix: str = "REP"
    found: str
    not_found: str

    @model_validator(mode="after")
    def _source(self) -> LookupNode:
        if self.by != "caller" and not self.source:
            raise ValueError(f"lookup by {self.by} needs `source` (the variable holding the number)")
        return self

    def targets(self) -> list[tuple[str, str | None]]:
        return [("found", self.found), ("not_found", self.not_found)]


class Schedule(_Model):
    """Business hours in a timezone, with holidays and make-up working days (调休)."""

    timezone: str = "Asia/Shanghai"
    hours: dict[str, list[str]] = Field(default_factory=dict)
    """Weekday (mon..sun) → opening spans ``"09:00-18:00"``; a missing weekday is closed."""
    holidays: list[date] = Field(default_factory=list)
    workdays: list[date] = Field(default_factory=list)
    """Make-up working days (调休): open with ``workday_hours`` even on a weekend."""
    workday_hours: list[str] = Field(default_factory=lambda: ["09:00-18:00"])

    @field_validator("hours")
    @classmethod
    def _weekdays(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for day, spans in value.items():
            if day not in WEEKDAYS:
                raise ValueError(f"weekday {day!r}: one of {', '.join(WEEKDAYS)}")
            for span in spans:
                parse_span(span)
        return value

    @field_validator("workday_hours")
    @classmethod
    def _spans(cls, value: list[str]) -> list[str]:
        for span in value:
            parse_span(span)
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {value!r}") from exc
        return value


def parse_span(span: str) -> tuple[time, time]:
    """``"09:00-18:00"`` → (09:00, 18:00); ``24:00`` as an end means the end of the day."""
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", span)
    if not match:
        raise ValueError(f"opening span {span!r}: expected HH:MM-HH:MM")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2):
        raise ValueError(f"opening span {span!r}: not a time of day")
    start = time(h1, m1)
    end = time.max if h2 == 24 else time(h2, m2)
    if end <= start:
        raise ValueError(f"opening span {span!r}: ends before it starts")
    return start, end


class HoursCondition(_Model):
    check: Literal["hours"]
    schedule: str = "default"


class TierCondition(_Model):
    check: Literal["tier"]
    tiers: list[str] = Field(min_length=1)


class OpenTicketCondition(_Model):
    check: Literal["open_ticket"]
    ticket_type: str | None = None
    """Only an open ticket of this type (``repair`` ...) counts; ``None``: any."""


class BlockedCondition(_Model):
    check: Literal["blocked"]
    list: str = "blocked"
    """Name of a list in the flow's ``lists``."""


class VariableCondition(_Model):
    check: Literal["variable"]
    name: str
    equals: str | None = None
    one_of: list[str] | None = None
    """Neither ``equals`` nor ``one_of``: true when the variable is set and not empty."""


Condition = Annotated[
    HoursCondition | TierCondition | OpenTicketCondition | BlockedCondition | VariableCondition,
    Field(discriminator="check"),
]


class BranchNode(_NodeBase):
    type: Literal["branch"]
    if_: Condition = Field(alias="if")
    then: str
    else_: str = Field(alias="else")

    def targets(self) -> list[tuple[str, str | None]]:
        return [("then", self.then), ("else", self.else_)]


class SetNode(_NodeBase):
    """Set routing attributes and call variables."""

    type: Literal["set"]
    intent: Literal["inquiry", "repair", "complaint"] | None = None
    language: Language | None = None
    skills: list[str] | None = None
    """Added to the skills set earlier in the call."""
    priority: int | None = Field(None, ge=0, le=10)
    survey: bool | None = None
    """The caller agreed (``true``) or declined to take the survey after the call."""
    variables: dict[str, str] = Field(default_factory=dict)
    """Call variables; ``{other}`` in a value is replaced by that variable's value."""
    next: str

    def targets(self) -> list[tuple[str, str | None]]:
        return [("next", self.next)]


class LanguageNode(_Asks):
    """Choose Mandarin or English by one digit; ``default`` when the retries run out."""

    type: Literal["language"]
    options: DigitKeys[Language] = Field(default_factory=lambda: dict(DEFAULT_LANGUAGE_KEYS))
    default: Language = "zh"
    next: str

    def targets(self) -> list[tuple[str, str | None]]:
        return [("next", self.next)]


class RouteNode(_NodeBase):
    """Hand the call to distribution with its attributes (intent, language, tier, skills, priority)."""

    type: Literal["route"]
    queue: str = "default"
    attributes: dict[str, str] = Field(default_factory=dict)
    prompt: OptionalPrompt = None
    terminal: ClassVar[bool] = True
    optional_prompts: ClassVar[tuple[str, ...]] = ("prompt",)


class VoicemailNode(_NodeBase):
    """Record a message (``#`` ends it) → a callback ticket holding the recording."""

    type: Literal["voicemail"]
    prompt: OptionalPrompt = None
    max_seconds: int = Field(120, ge=5, le=600)
    silence_seconds: int = Field(5, ge=1, le=30)
    thanks: OptionalPrompt = None
    terminal: ClassVar[bool] = True
    required_prompts: ClassVar[tuple[str, ...]] = ("prompt",)
    optional_prompts: ClassVar[tuple[str, ...]] = ("thanks",)


class CallbackNode(_NodeBase):
    """Confirm the number to call back (1 this number, 2 enter another), then when (``slots``)."""

    type: Literal["callback"]
    confirm_prompt: OptionalPrompt = None
    """Played with ``{callback.number:phone}`` available."""
    number_prompt: OptionalPrompt = None
    schedule_prompt: OptionalPrompt = None
    slots: DigitKeys[Slot] = Field(default_factory=lambda: dict(DEFAULT_SLOTS))
    schedule: str = "default"
    """Schedule whose hours the ``next_business_day`` slot uses."""
    thanks: OptionalPrompt = None
    timeout: float = Field(5.0, gt=0, le=60)
    retries: int = Field(2, ge=0, le=5)
    terminal: ClassVar[bool] = True
    required_prompts: ClassVar[tuple[str, ...]] = ("confirm_prompt", "number_prompt", "schedule_prompt")
    optional_prompts: ClassVar[tuple[str, ...]] = ("thanks",)


class SurveyNode(_NodeBase):
    """After the agent hangs up: a score 1–5, stored on the call's interaction."""

    type: Literal["survey"]
    prompt: OptionalPrompt = None
    thanks: OptionalPrompt = None
    timeout: float = Field(5.0, gt=0, le=60)
    retries: int = Field(1, ge=0, le=5)
    terminal: ClassVar[bool] = True
    required_prompts: ClassVar[tuple[str, ...]] = ("prompt",)
    optional_prompts: ClassVar[tuple[str, ...]] = ("thanks",)


class HangupNode(_NodeBase):
    type: Literal["hangup"]
    prompt: OptionalPrompt = None
    terminal: ClassVar[bool] = True
    optional_prompts: ClassVar[tuple[str, ...]] = ("prompt",)


Node = Annotated[
    PlayNode
    | MenuNode
    | InputNode
    | LookupNode
    | BranchNode
    | SetNode
    | LanguageNode
    | RouteNode
    | VoicemailNode
    | CallbackNode
    | SurveyNode
    | HangupNode,
    Field(discriminator="type"),
]
NODE_TYPES = (
    "play", "menu", "input", "lookup", "branch", "set", "language",
    "route", "voicemail", "callback", "survey", "hangup",
)  # fmt: skip


class Flow(_Model):
    """One IVR flow (one YAML file)."""

    name: str = Field(min_length=1)
    numbers: list[str] = Field(default_factory=list)
    """Dialled numbers (DIDs) this flow answers."""
    default: bool = False
    """Answers every number no other flow names (exactly one flow should say so)."""
    start: str
    languages: list[Language] = Field(default_factory=lambda: list(LANGUAGES))
    """Languages every text prompt must have (or a sound file)."""
    survey: str | None = None
    """Entry node of the after-call survey (run when the caller agreed and the agent hung up)."""
    schedules: dict[str, Schedule] = Field(default_factory=dict)
    lists: dict[str, list[str]] = Field(default_factory=dict)
    """Named number lists (``blocked`` ...) for branch conditions."""
    nodes: dict[str, Node]

    @field_validator("numbers", mode="before")
    @classmethod
    def _numbers_as_text(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [str(v) for v in value]
        return value

    @field_validator("lists", mode="before")
    @classmethod
    def _list_numbers_as_text(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: [str(v) for v in (vs or [])] for k, vs in value.items()}
        return value

    def entries(self) -> list[str]:
        """Nodes a call can start at: ``start`` and the survey."""
        return [self.start] + ([self.survey] if self.survey else [])
