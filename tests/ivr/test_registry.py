from __future__ import annotations

import os
import shutil
from pathlib import Path

from ivr.registry import FlowRegistry

from .conftest import FLOWS_DIR
from .polling import wait_until

OTHER = """
name: hotline
numbers: ["4001", "+861088886666"]
start: bye
nodes:
  bye:
    type: hangup
    prompt: {zh: 再见, en: Goodbye}
"""


def make_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "ivr"
    folder.mkdir()
    shutil.copy(FLOWS_DIR / "default.yaml", folder / "default.yaml")
    (folder / "hotline.yaml").write_text(OTHER, encoding="utf-8")
    return folder


def bump(path: Path) -> None:
    stat = path.stat()
    os.utime(path, (stat.st_atime + 5, stat.st_mtime + 5))


def test_flows_are_picked_by_dialled_number_else_the_default(tmp_path: Path) -> None:
    registry = FlowRegistry(make_dir(tmp_path))
    assert registry.reload().ok
    assert registry.flow_for("4001").name == "hotline"  # type: ignore[union-attr]
    assert registry.flow_for("+861088886666").name == "hotline"  # type: ignore[union-attr]
    assert registry.flow_for("9999").name == "default"  # type: ignore[union-attr]


def test_a_changed_flow_is_picked_up_and_a_broken_one_never_replaces_the_running_one(tmp_path: Path) -> None:
    folder = make_dir(tmp_path)
    registry = FlowRegistry(folder)
    registry.reload()
    hotline = folder / "hotline.yaml"
    hotline.write_text(OTHER.replace("再见", "再会"), encoding="utf-8")
    bump(hotline)
    assert registry.changed()
    report = registry.reload()
    assert report.loaded == ["hotline"] and report.ok
    running = registry.flows["hotline"]

    hotline.write_text(OTHER.replace("start: bye", "start: nowhere"), encoding="utf-8")
    bump(hotline)
    report = registry.reload()
    assert not report.ok
    assert [str(p) for p in report.problems()] == [
        f"{hotline}: start 'nowhere' is not a node",
        f"{hotline}: node bye: unreachable (no path from start or survey leads here)",
    ]
    assert registry.flows["hotline"] is running  # still the last good version


def test_two_flows_claiming_one_number_are_refused_as_a_whole(tmp_path: Path) -> None:
    folder = make_dir(tmp_path)
    registry = FlowRegistry(folder)
    registry.reload()
    generation = registry.generation
    (folder / "clash.yaml").write_text(OTHER.replace("hotline", "clash"), encoding="utf-8")
    report = registry.reload()
    assert report.refused and "also answered by" in str(report.refused[0])
    assert "clash" not in registry.flows and registry.generation == generation


def test_the_reload_stamp_triggers_a_reload(tmp_path: Path) -> None:
    stamp = tmp_path / "reload"
    registry = FlowRegistry(make_dir(tmp_path), reload_stamp=stamp)
    registry.reload()
    assert not registry.changed()
    stamp.touch()
    assert registry.changed()


async def test_watch_reloads_a_changed_file_without_a_restart(tmp_path: Path) -> None:
    import asyncio

    folder = make_dir(tmp_path)
    registry = FlowRegistry(folder)
    registry.reload()
    watcher = asyncio.create_task(registry.watch(interval=0.01))
    try:
        hotline = folder / "hotline.yaml"
        await asyncio.to_thread(hotline.write_text, OTHER.replace("4001", "4002"), "utf-8")
        await asyncio.to_thread(bump, hotline)
        await wait_until(lambda: registry.flow_for("4002").name == "hotline", 5)  # type: ignore[union-attr]
    finally:
        watcher.cancel()
    assert registry.flow_for("4001").name == "default"  # type: ignore[union-attr]
