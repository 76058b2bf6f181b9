"""The shipped default flow made quick for the PBX tests: the same nodes, options, branches,
retries and targets, every fixed prompt text cut to one word (the placeholders kept, so a ticket's
status or a caller's name is still spoken), and optionally shorter timeouts and recordings.

A simulated caller's keys stop a prompt, but a test that waits for a timeout, a recording or a
played value waits for the whole prompt: the shipped prompts take 3 to 8 s each."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from callcenter.commands.ivr import flows_dir
from ivr.validate import PLACEHOLDER

WORD = {"zh": "好。", "en": "OK."}
PROMPT_FIELDS = (
    "prompt",
    "invalid_prompt",
    "timeout_prompt",
    "thanks",
    "confirm_prompt",
    "number_prompt",
    "schedule_prompt",
)
ASKING = ("menu", "input", "language", "survey")


def short_text(text: str, language: str) -> str:
    """One word, then the text's placeholders in their order."""
    return WORD[language] + "".join(m.group(0) for m in PLACEHOLDER.finditer(text))


def short_prompt(prompt: Any) -> Any:
    """A prompt in any of its YAML forms with its texts cut (sounds stay as they are)."""
    if isinstance(prompt, str):
        return {language: short_text(prompt, language) for language in WORD}
    if not isinstance(prompt, dict):
        return prompt
    if "text" in prompt:
        text = prompt["text"]
        texts = dict.fromkeys(WORD, text) if isinstance(text, str) else text
        return {**prompt, "text": {lang: short_text(t, lang) for lang, t in texts.items()}}
    if "sound" in prompt or "sounds" in prompt:
        return prompt
    return {lang: short_text(t, lang) for lang, t in prompt.items()}


def quick_default_flow(
    folder: Path,
    *,
    timeouts: Mapping[str, int] | None = None,
    record_seconds: int | None = None,
    silence_seconds: int | None = None,
) -> Path:
    """Write the quick copy of ``config/ivr/default.yaml`` into ``folder`` (a flows directory).

    ``timeouts``: seconds the named asking nodes wait for a key (the shipped 4-6 s otherwise);
    ``record_seconds``: the voicemail's longest message (5 s at least), ``silence_seconds``: the
    silence that ends it."""
    data = yaml.safe_load((flows_dir() / "default.yaml").read_text(encoding="utf-8"))
    for node in data["nodes"].values():
        for name in PROMPT_FIELDS:
            if name in node:
                node[name] = short_prompt(node[name])
        if "prompts" in node:
            node["prompts"] = [short_prompt(p) for p in node["prompts"]]
        if node["type"] == "voicemail":
            if record_seconds is not None:
                node["max_seconds"] = record_seconds
            if silence_seconds is not None:
                node["silence_seconds"] = silence_seconds
    for node_id, seconds in (timeouts or {}).items():
        assert data["nodes"][node_id]["type"] in ASKING, node_id
        data["nodes"][node_id]["timeout"] = seconds
    folder.mkdir(parents=True)
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    (folder / "default.yaml").write_text(text, encoding="utf-8")
    return folder
