"""The running flows: loaded from a folder, picked by dialled number, reloaded without a restart.

A reload reads every file again. A file that fails validation keeps its previous flow running
(its problems are reported); a set of flows that contradict each other (one number in two flows,
two defaults) is refused as a whole. ``watch()`` polls the files' modification times and a
reload stamp (``callcenter ivr reload`` touches it) and reloads on a change.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path

from ivr.loader import LoadedFlow, cross_file_problems, flow_files, load_flow_file
from ivr.model import Flow
from ivr.validate import Problem

logger = logging.getLogger("ivr.registry")


@dataclass
class ReloadReport:
    loaded: list[str] = field(default_factory=list)
    """Flows now running from a new or changed file."""
    kept: dict[str, list[Problem]] = field(default_factory=dict)
    """File → its problems; the flow loaded earlier from that file (if any) keeps running."""
    removed: list[str] = field(default_factory=list)
    refused: list[Problem] = field(default_factory=list)
    """Problems between files: nothing changed."""

    @property
    def ok(self) -> bool:
        return not self.kept and not self.refused

    def problems(self) -> list[Problem]:
        return [p for ps in self.kept.values() for p in ps] + self.refused


class FlowRegistry:
    def __init__(self, directory: Path, *, reload_stamp: Path | None = None) -> None:
        self.directory = directory
        self.reload_stamp = reload_stamp
        self._by_file: dict[Path, Flow] = {}
        self._signature: tuple[tuple[str, float], ...] = ()
        self.generation = 0
        """Goes up each time the running flows change."""

    # -- lookups ----------------------------------------------------------------------------

    @property
    def flows(self) -> dict[str, Flow]:
        return {flow.name: flow for flow in self._by_file.values()}

    def flow_for(self, number: str) -> Flow | None:
        """The flow answering ``number``, else the default flow, else None."""
        default = None
        for flow in self._by_file.values():
            if number in flow.numbers:
                return flow
            if flow.default and default is None:
                default = flow
        return default

    # -- loading ----------------------------------------------------------------------------

    def _current_signature(self) -> tuple[tuple[str, float], ...]:
        entries: list[tuple[str, float]] = []
        try:
            for path in flow_files(self.directory):
                entries.append((str(path), path.stat().st_mtime))
        except OSError:
            pass
        if self.reload_stamp is not None and self.reload_stamp.exists():
            entries.append((str(self.reload_stamp), self.reload_stamp.stat().st_mtime))
        return tuple(entries)

    def changed(self) -> bool:
        return self._current_signature() != self._signature

    def reload(self) -> ReloadReport:
        report = ReloadReport()
        self._signature = self._current_signature()
        try:
            files = flow_files(self.directory)
        except OSError as exc:
            report.refused.append(Problem(str(self.directory), None, f"cannot list flows: {exc}"))
            return report
        loaded: list[LoadedFlow] = [load_flow_file(path) for path in files]
        candidate: dict[Path, Flow] = {}
        for item in loaded:
            if item.ok:
                assert item.flow is not None
                candidate[item.file] = item.flow
                if self._by_file.get(item.file) != item.flow:
                    report.loaded.append(item.flow.name)
            else:
                report.kept[str(item.file)] = list(item.problems)
                if item.file in self._by_file:
                    candidate[item.file] = self._by_file[item.file]
        as_loaded = [LoadedFlow(path, flow, ()) for path, flow in candidate.items()]
        conflicts = cross_file_problems(as_loaded)
        if conflicts:
            report.refused = conflicts
            report.loaded = []
            for problem in conflicts:
                logger.error("IVR flows not reloaded: %s", problem)
            return report
        report.removed = [flow.name for path, flow in self._by_file.items() if path not in candidate]
        for file, problems in report.kept.items():
            for problem in problems:
                logger.error("IVR flow %s not (re)loaded: %s", file, problem)
        if report.loaded or report.removed:
            self.generation += 1
            logger.info("IVR flows loaded: %s; removed: %s", report.loaded or "-", report.removed or "-")
        self._by_file = candidate
        return report

    async def watch(self, interval: float = 2.0) -> None:
        """Reload whenever a flow file or the reload stamp changes; runs until cancelled."""
        while True:
            await asyncio.sleep(interval)
            if self.changed():
                self.reload()
