"""Prompt building with the real espeak-ng and sox (Debian packages espeak-ng, sox)."""

from __future__ import annotations

import subprocess
from pathlib import Path, PurePosixPath

import pytest

from ivr.model import Flow
from ivr.prompts import PromptStore, build_flow_prompts
from ivr.session import Sound, Text
from ivr.tts import PromptBuildError, synthesize


def audio_info(path: Path) -> str:
    return subprocess.run(["soxi", str(path)], capture_output=True, text=True, check=True).stdout


@pytest.mark.parametrize("fmt", ["wav", "gsm", "sln"])
def test_mandarin_and_english_text_become_8khz_mono_audio(tmp_path: Path, fmt: str) -> None:
    for text, language in (("您好，张三丰。", "zh"), ("Hello, John.", "en")):
        out = synthesize(text, language, tmp_path / f"{language}.{fmt}", fmt=fmt)  # type: ignore[arg-type]
        assert out.stat().st_size > 1000
        if fmt == "wav":
            info = audio_info(out)
            assert "Sample Rate    : 8000" in info and "Channels       : 1" in info


def test_the_build_refuses_what_it_cannot_produce(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(PromptBuildError, match="empty"):
        synthesize("  ", "zh", tmp_path / "x.wav")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(PromptBuildError, match="espeak-ng and sox not installed"):
        synthesize("你好", "zh", tmp_path / "x.wav")


def test_store_caches_by_text_and_voice_and_publishes_where_asterisk_reads(tmp_path: Path) -> None:
    store = PromptStore(
        cache_dir=tmp_path / "cache",
        publish_dir=tmp_path / "root/var/prompts",
        playback_dir=PurePosixPath("/var/prompts"),
    )
    assert store.build("欢迎", "zh") is True
    assert store.build("欢迎", "zh") is False  # cached
    key = store.key("欢迎", "zh")
    assert store.cached("欢迎", "zh") == tmp_path / "cache" / "cmn" / f"{key}.wav"
    assert (tmp_path / "root/var/prompts/cmn" / f"{key}.wav").exists()
    assert store.playback_name("欢迎", "zh") == f"/var/prompts/cmn/{key}"
    assert store.key("欢迎", "zh") != store.key("欢迎", "en")


async def test_per_call_text_is_synthesized_on_demand(tmp_path: Path) -> None:
    store = PromptStore(cache_dir=tmp_path)
    names = await store.playable((Sound("beep"), Text("张三丰", "zh")))
    assert names[0] == "beep"
    assert store.cached("张三丰", "zh") == Path(names[1] + ".wav")
    assert store.ready("张三丰", "zh")


def test_flow_prompts_build_and_a_missing_sound_is_refused(tmp_path: Path, default_flow: Flow) -> None:
    sounds = tmp_path / "sounds"
    sounds.mkdir()
    for name in ("vm-intro", "vm-goodbye"):
        (sounds / f"{name}.gsm").write_bytes(b"x")
    store = PromptStore(cache_dir=tmp_path / "cache", sounds_dirs=(sounds,))
    report = build_flow_prompts(store, [default_flow])
    assert report.refused == [] and report.built > 20 and report.sounds == 2
    again = build_flow_prompts(store, [default_flow])
    assert again.built == 0 and again.cached == report.built + report.cached
    broken = default_flow.model_copy(
        update={
            "nodes": {
                **default_flow.nodes,
                "goodbye": default_flow.nodes["goodbye"].model_copy(
                    update={
                        "prompt": default_flow.nodes["refused"]
                        .prompts()[0][1]
                        .model_copy(  # type: ignore[union-attr]
                            update={"sound": "no-such-sound"}
                        )
                    }
                ),
            }
        }
    )
    refused = build_flow_prompts(store, [broken]).refused
    assert refused == [f"default: node goodbye: prompt: sound 'no-such-sound' not found in {sounds}"]
