"""Keyword classification of an incoming message into a ticket type.

The rule is deliberately simple and predictable: a complaint keyword anywhere in the subject or
body makes a complaint; otherwise a repair keyword makes a repair; otherwise it is an inquiry.
Matching is case-insensitive substring matching, so Chinese keywords need no word splitting.
The keyword lists can be replaced (``KeywordRules.from_mapping`` reads a ``{"complaint": [...],
"repair": [...]}`` mapping, e.g. loaded from a YAML file given to ``callcenter import-mail``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

TicketType = Literal["inquiry", "repair", "complaint"]

DEFAULT_COMPLAINT_KEYWORDS: tuple[str, ...] = (
    "complaint", "complain", "unacceptable", "refund", "compensation", "disappointed", "terrible",
    "投诉", "不满", "退款", "赔偿", "差评", "太差", "欺骗",
)
DEFAULT_REPAIR_KEYWORDS: tuple[str, ...] = (
    "repair", "broken", "not working", "doesn't work", "does not work", "fault", "defect", "error code",
    "technician", "维修", "故障", "坏了", "修理", "报修", "不工作", "无法开机", "漏水", "不制冷",
)


@dataclass(frozen=True)
class KeywordRules:
    complaint: tuple[str, ...] = DEFAULT_COMPLAINT_KEYWORDS
    repair: tuple[str, ...] = DEFAULT_REPAIR_KEYWORDS

    @classmethod
    def from_mapping(cls, data: Mapping[str, Iterable[str]]) -> KeywordRules:
        """Rules from a mapping; a missing key keeps the default list, unknown keys are refused."""
        unknown = set(data) - {"complaint", "repair"}
        if unknown:
            raise ValueError(f"unknown keyword lists: {', '.join(sorted(unknown))} (use complaint, repair)")
        return cls(
            complaint=_clean(data.get("complaint", DEFAULT_COMPLAINT_KEYWORDS)),
            repair=_clean(data.get("repair", DEFAULT_REPAIR_KEYWORDS)),
        )


def _clean(words: Iterable[str]) -> tuple[str, ...]:
    if isinstance(words, str):
        raise ValueError("a keyword list must be a list of strings, not one string")
    return tuple(w.strip().lower() for w in words if str(w).strip())


DEFAULT_RULES = KeywordRules()


def classify(subject: str, body: str, rules: KeywordRules = DEFAULT_RULES) -> TicketType:
    """``complaint`` beats ``repair`` beats ``inquiry``."""
    text = f"{subject}\n{body}".lower()
    if any(word.lower() in text for word in rules.complaint):
        return "complaint"
    if any(word.lower() in text for word in rules.repair):
        return "repair"
    return "inquiry"
