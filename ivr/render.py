"""Prompt → speech for one call (pure): the language's text with its placeholders filled in.

Literal text and placeholder values become separate ``Text`` parts, so the literal parts are the
same for every caller (built once by ``callcenter ivr prompts``) and only the values (a name, a
reference) are synthesized per call. A value with Chinese characters (a customer's name) is
spoken by the Mandarin voice even inside an English prompt.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ivr.model import LANGUAGES, Language, Prompt
from ivr.session import Sound, Speech, SpeechPart, Text
from ivr.speech import value_words
from ivr.validate import PLACEHOLDER

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_SILENT = re.compile(r"^[\s,.;:!?，。；：！？、…-]*$")
_LEADING = re.compile(r"^[\s,;:，；：、]+")


def voice_language(text: str, default: Language) -> Language:
    """``zh`` for text holding Chinese characters, else ``default``."""
    return "zh" if _CJK.search(text) else default


def prompt_text(prompt: Prompt, language: Language) -> str:
    """The prompt's text in ``language``, else in another language it has."""
    if prompt.text.get(language):
        return prompt.text[language]
    for other in LANGUAGES:
        if prompt.text.get(other):
            return prompt.text[other]
    return ""


def render(prompt: Prompt | None, language: Language, variables: Mapping[str, str]) -> Speech:
    if prompt is None:
        return ()
    sound = prompt.sound_for(language)
    if sound:
        return (Sound(sound),)
    text = prompt_text(prompt, language)
    parts: list[SpeechPart] = []
    position = 0
    for match in PLACEHOLDER.finditer(text):
        piece = text[position : match.start()]
        _add_text(parts, piece, voice_language(piece, language))
        value = variables.get(match.group(1), "")
        if value:
            words = value_words(value, match.group(2) or "text", language)
            _add_text(parts, words, voice_language(words, language))
        position = match.end()
    _add_text(parts, text[position:], voice_language(text[position:], language))
    return tuple(parts)


def _add_text(parts: list[SpeechPart], text: str, language: Language) -> None:
    if not _SILENT.match(text):
        parts.append(Text(_trim(text), language))


def _trim(text: str) -> str:
    """Without blanks around it and without the separator a placeholder left in front."""
    return _LEADING.sub("", text).strip()


def literal_texts(prompt: Prompt) -> list[tuple[str, Language]]:
    """The fixed text pieces of a prompt per language (what ``ivr prompts`` builds ahead)."""
    found: list[tuple[str, Language]] = []
    if prompt.sound:
        return found
    for language, text in prompt.text.items():
        if language in prompt.sounds:
            continue
        for piece in PLACEHOLDER.split(text)[::3]:
            if not _SILENT.match(piece):
                found.append((_trim(piece), voice_language(piece, language)))
    return found
