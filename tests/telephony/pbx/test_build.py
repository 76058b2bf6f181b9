"""Prerequisite failures of the root build give one clear PbxError (real debootstrap where possible)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from config.settings import load_settings
from telephony.pbx import BundledPbx, build
from telephony.pbx.build import ensure_root, read_marker
from telephony.pbx.errors import PbxError


def test_a_root_without_marker_is_not_taken_as_built(tmp_path: Path) -> None:
    (tmp_path / "root" / "usr" / "sbin").mkdir(parents=True)
    (tmp_path / "root" / "usr" / "sbin" / "asterisk").touch()
    assert read_marker(tmp_path / "root") is None
    (tmp_path / "root" / ".callcenter-built").write_text("{half", encoding="utf-8")
    assert read_marker(tmp_path / "root") is None


def test_not_root_is_one_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(PbxError, match="needs root"):
        ensure_root(tmp_path, "sid")


def test_down_when_not_root_is_one_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    pbx = BundledPbx(
        load_settings(pbx={"cache_dir": str(tmp_path), "run_dir": str(tmp_path / "root" / "run")})
    )
    pbx.layout.run_dir.mkdir(parents=True)
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(PbxError, match="needs root"):
        pbx.down()


@pytest.mark.skipif(os.geteuid() != 0, reason="the build needs root")
def test_missing_debootstrap_is_one_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing on PATH
    with pytest.raises(PbxError, match="debootstrap is not installed: apt-get install -y debootstrap"):
        ensure_root(tmp_path, "sid")
    assert not (tmp_path / "root").exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="the build needs root")
def test_unreachable_registry_is_one_clear_error_and_leaves_no_root(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    if not shutil.which("debootstrap"):
        pytest.fail("debootstrap is not installed on this machine (apt-get install -y debootstrap)")
    monkeypatch.setenv(build.MIRROR_ENV, "http://127.0.0.1:9/debian")  # nothing listens on port 9
    with pytest.raises(PbxError, match=r"debootstrap failed \(registry unreachable\?\): E: Failed getting"):
        ensure_root(tmp_path, "sid")
    assert not (tmp_path / "root").exists()
    assert read_marker(tmp_path / "root") is None
