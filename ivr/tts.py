"""Text → an 8 kHz mono sound file Asterisk plays: espeak-ng (Mandarin ``cmn``, English ``en``)
then sox. Raises ``PromptBuildError`` when it cannot produce the prompt (a tool missing, the
voice missing, nothing spoken)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from ivr.model import Language

VOICES: dict[Language, str] = {"zh": "cmn", "en": "en"}
FORMATS = ("wav", "gsm", "sln")
"""What Asterisk plays at 8 kHz: 16-bit PCM WAV, GSM, signed linear raw (sln)."""
_SOX_OUTPUT: dict[str, list[str]] = {
    "wav": ["-t", "wav", "-e", "signed-integer", "-b", "16"],
    "gsm": ["-t", "gsm"],
    "sln": ["-t", "raw", "-e", "signed-integer", "-b", "16"],
}
MIN_AUDIO_BYTES = 800
"""Less than 0.05 s of 8 kHz audio: nothing was spoken."""


class PromptBuildError(Exception):
    """A prompt that cannot be produced (named in the message)."""


def tools_missing() -> list[str]:
    return [tool for tool in ("espeak-ng", "sox") if shutil.which(tool) is None]


def synthesize(text: str, language: Language, dest: Path, *, fmt: str = "wav", speed: int = 150) -> Path:
    """Speak ``text`` with the language's voice into ``dest`` (written atomically)."""
    if fmt not in FORMATS:
        raise PromptBuildError(f"format {fmt!r}: one of {', '.join(FORMATS)}")
    if not text.strip():
        raise PromptBuildError("empty prompt text")
    missing = tools_missing()
    if missing:
        raise PromptBuildError(f"cannot build prompts: {' and '.join(missing)} not installed")
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ivr-tts-") as tmp:
        raw = Path(tmp) / "speech.wav"
        spoken = _run(
            ["espeak-ng", "-v", VOICES[language], "-s", str(speed), "-w", str(raw), "--stdin"],
            text,
            what=f"espeak-ng ({VOICES[language]}) for {text[:40]!r}",
        )
        if not raw.exists() or raw.stat().st_size < MIN_AUDIO_BYTES:
            raise PromptBuildError(
                f"espeak-ng ({VOICES[language]}) produced no speech for {text[:40]!r} {spoken}"
            )
        partial = dest.with_name(f".{dest.name}.{os.getpid()}.part")
        _run(
            ["sox", str(raw), *_SOX_OUTPUT[fmt], "-r", "8000", "-c", "1", str(partial), "gain", "-n", "-1"],
            None,
            what=f"sox to {fmt} for {text[:40]!r}",
        )
        if not partial.exists() or partial.stat().st_size < MIN_AUDIO_BYTES // 8:
            raise PromptBuildError(f"sox produced no {fmt} audio for {text[:40]!r}")
        partial.replace(dest)
    return dest


def _run(command: list[str], stdin: str | None, *, what: str) -> str:
    try:
        done = subprocess.run(command, input=stdin, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PromptBuildError(f"{what}: {exc}") from exc
    if done.returncode != 0 or "Failed to read voice" in done.stderr:
        raise PromptBuildError(f"{what} failed: {(done.stderr or done.stdout).strip()[:200]}")
    return done.stderr.strip()
