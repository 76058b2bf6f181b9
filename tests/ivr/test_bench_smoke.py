"""Smoke test of bench/ivr.py: a tiny run prints one JSON line with every figure (the shape and
the counts only, never the timings)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.pbx import PbxHandle

ROOT = Path(__file__).resolve().parents[2]
KEYS = {
    "bench",
    "callers",
    "agi_rtt_p50_ms",
    "agi_rtt_p99_ms",
    "panoramisk_rtt_p99_ms",
    "flows_per_s",
    "kib_per_session",
}


@pytest.mark.pbx
def test_ivr_bench_prints_one_json_line_with_ours_and_panoramisks_figures(pbx: PbxHandle) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "ivr.py"),
            "--callers",
            "3",
            "--rounds",
            "2",
            "--dtmf-delay",
            "8",
        ],
        capture_output=True,
        text=True,
        timeout=280,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert len(lines) == 1
    result = json.loads(lines[0])
    assert KEYS <= result.keys()
    assert result["bench"] == "ivr" and result["callers"] == 3
    assert result["flows_completed"] == 3 and result["agi_rtt_samples"] == 3 * 2 * 4
    assert result["panoramisk_rtt_samples"] == 3 * 2 * 4
