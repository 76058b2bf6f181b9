"""The prompt library: text prompts built once per (text, voice) and cached outside the checkout,
Asterisk's own sounds by name, and what ``callcenter ivr prompts`` builds ahead of calls.

Cache layout: ``<cache_dir>/<voice>/<sha256(voice, text)[:20]>.<fmt>``. Asterisk may see files
under another path (the bundled PBX runs chrooted): ``publish_dir`` is the host folder Asterisk
reads and ``playback_dir`` the same folder as Asterisk names it; a built prompt is hard-linked
(or copied) there. Without them Asterisk reads the cache itself.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ivr.model import Flow, Language
from ivr.render import literal_texts
from ivr.session import Sound, Speech, Text
from ivr.tts import VOICES, PromptBuildError, synthesize

KNOWN_NAMES = 4096
"""Text prompts ``PromptStore.playable`` remembers as ready."""


@dataclass(frozen=True)
class PromptStore:
    cache_dir: Path
    publish_dir: Path | None = None
    playback_dir: PurePosixPath | None = None
    sounds_dirs: tuple[Path, ...] = ()
    """Host folders holding Asterisk's sounds (``.../sounds/en``), to check ``sound:`` prompts."""
    fmt: str = "wav"
    _names: dict[tuple[str, Language], str] = field(
        default_factory=dict, init=False, compare=False, hash=False, repr=False
    )
    """Text prompts already known to be built and published → their playback name (``playable``
    then neither hashes nor looks at the disk again)."""

    def key(self, text: str, language: Language) -> str:
        return hashlib.sha256(f"{VOICES[language]}\n{text}".encode()).hexdigest()[:20]

    def cached(self, text: str, language: Language) -> Path:
        return self.cache_dir / VOICES[language] / f"{self.key(text, language)}.{self.fmt}"

    def _published(self, text: str, language: Language) -> Path | None:
        if self.publish_dir is None:
            return None
        return self.publish_dir / VOICES[language] / f"{self.key(text, language)}.{self.fmt}"

    def playback_name(self, text: str, language: Language) -> str:
        """The name STREAM FILE takes (no extension), as Asterisk sees the file."""
        base = PurePosixPath(self.playback_dir) if self.playback_dir is not None else None
        if base is None:
            folder = self.publish_dir or self.cache_dir
            return str(folder / VOICES[language] / self.key(text, language))
        return str(base / VOICES[language] / self.key(text, language))

    def ready(self, text: str, language: Language) -> bool:
        published = self._published(text, language)
        return self.cached(text, language).exists() and (published is None or published.exists())

    def build(self, text: str, language: Language) -> bool:
        """Make sure the prompt exists (and is published); True when it had to be synthesized."""
        cached = self.cached(text, language)
        fresh = False
        if not cached.exists():
            synthesize(text, language, cached, fmt=self.fmt)
            fresh = True
        published = self._published(text, language)
        if published is not None and not published.exists():
            published.parent.mkdir(parents=True, exist_ok=True)
            partial = published.with_name(f".{published.name}.{os.getpid()}.part")
            try:
                os.link(cached, partial)
            except OSError:
                shutil.copyfile(cached, partial)
            partial.replace(published)
        return fresh

    def sound_exists(self, name: str) -> bool:
        """Whether an Asterisk sound (``vm-goodbye``, ``digits/1``) exists in some format."""
        if name.startswith("/"):
            candidates = [Path(name).parent]
            stem = Path(name).name
        else:
            candidates = [folder / Path(name).parent for folder in self.sounds_dirs]
            stem = Path(name).name
        return any(folder.is_dir() and any(folder.glob(f"{stem}.*")) for folder in candidates)

    async def playable(self, speech: Speech) -> list[str]:
        """Speech → the names to STREAM FILE, synthesizing per-call text (names, references)."""
        names: list[str] = []
        for part in speech:
            if isinstance(part, Sound):
                names.append(part.name)
            elif isinstance(part, Text):
                spot = (part.text, part.language)
                name = self._names.get(spot)
                if name is None:
                    if not self.ready(part.text, part.language):
                        await asyncio.to_thread(self.build, part.text, part.language)
                    name = self.playback_name(part.text, part.language)
                    if len(self._names) >= KNOWN_NAMES:
                        self._names.clear()  # per-call texts (names, references) must not pile up
                    self._names[spot] = name
                names.append(name)
        return names


@dataclass
class BuildReport:
    built: int = 0
    cached: int = 0
    sounds: int = 0
    refused: list[str] = field(default_factory=list)
    """One line per prompt that could not be produced: flow, node, field, why."""


def flow_prompts(flow: Flow) -> Iterable[tuple[str, str, list[str], list[tuple[str, Language]]]]:
    """``(node, field, [sound ...], [(text, language) ...])`` for every prompt of a flow."""
    for node_id, node in flow.nodes.items():
        for field_name, prompt in node.prompts():
            if prompt is None:
                continue
            yield node_id, field_name, prompt.sound_names(), literal_texts(prompt)


def build_flow_prompts(
    store: PromptStore, flows: Iterable[Flow], *, check_sounds: bool = True
) -> BuildReport:
    """Build every fixed prompt text of the flows; refuse (report) what cannot be produced."""
    report = BuildReport()
    for flow in flows:
        for node_id, field_name, sounds, texts in flow_prompts(flow):
            where = f"{flow.name}: node {node_id}: {field_name}"
            for sound in sounds:
                if check_sounds and not store.sound_exists(sound):
                    report.refused.append(f"{where}: sound {sound!r} not found in {_dirs(store)}")
                else:
                    report.sounds += 1
            for text, language in texts:
                try:
                    if store.build(text, language):
                        report.built += 1
                    else:
                        report.cached += 1
                except PromptBuildError as exc:
                    report.refused.append(f"{where} ({language}): {exc}")
    return report


def _dirs(store: PromptStore) -> str:
    return ", ".join(str(d) for d in store.sounds_dirs) or "(no sounds folder configured)"
