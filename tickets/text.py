"""Human-readable text as people type it: control characters, terminal escapes and bidi overrides
are refused, in every field of every input schema, by one validator (:class:`HumanText`).

What is refused, and why:

- C0 controls (NUL, ESC starting an ANSI sequence, backspace ...), DEL and the C1 controls: they
  corrupt terminals, logs and CSV exports, and PostgreSQL cannot store NUL at all. Tab, line feed
  and carriage return are kept in multi-line fields (a comment, notes, a description).
- The bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069): they make a name
  display as something else ("Trojan source"). The plain direction marks (U+200E, U+200F, U+061C)
  that right-to-left text needs are kept.
- Line and paragraph separators (U+2028, U+2029) in single-line fields.

``check_text`` is the rule (pure); ``clean_text`` removes the same characters for input that is not
a person's request (a mail, a caller name from the network), where refusing would lose the rest.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from pydantic import BaseModel, ValidationInfo, field_validator

_ALWAYS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
_SINGLE_LINE_ONLY = "\t\n\r\u2028\u2029"
_REFUSED_MULTILINE = re.compile(f"[{_ALWAYS}]")
_REFUSED_SINGLE_LINE = re.compile(f"[{_ALWAYS}{_SINGLE_LINE_ONLY}]")


def check_text(value: str, *, multiline: bool = False) -> str:
    """``value`` unchanged, or ValueError naming the first refused character and where it is."""
    found = (_REFUSED_MULTILINE if multiline else _REFUSED_SINGLE_LINE).search(value)
    if found is not None:
        raise ValueError(
            f"control or bidi-override character U+{ord(found.group()):04X} at position {found.start()} "
            "is not allowed in text"
        )
    return value


def clean_text(value: str, *, multiline: bool = True) -> str:
    """``value`` without the characters :func:`check_text` refuses."""
    return (_REFUSED_MULTILINE if multiline else _REFUSED_SINGLE_LINE).sub("", value)


class HumanText(BaseModel):
    """Input schemas inherit this: every ``str`` field (and every string in a list field) goes
    through :func:`check_text`; the fields named in ``MULTILINE`` may hold tabs and line breaks."""

    MULTILINE: ClassVar[frozenset[str]] = frozenset()
    EXEMPT: ClassVar[frozenset[str]] = frozenset({"password"})

    @field_validator("*", mode="after")
    @classmethod
    def _human_text(cls, value: Any, info: ValidationInfo) -> Any:
        name = info.field_name or ""
        if name in cls.EXEMPT:
            return value
        multiline = name in cls.MULTILINE
        if isinstance(value, str):
            return check_text(value, multiline=multiline)
        if isinstance(value, list | tuple):
            for item in value:
                if isinstance(item, str):
                    check_text(item, multiline=multiline)
        return value
