"""Smoke test of bench/e2e_routing.py: a tiny run on the bundled PBX prints one JSON line with every
figure the issue names, ours and app_queue's measured on the same agents (never timings)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
KEYS = {"bench", "calls", "ours_p50_ms", "ours_p99_ms", "app_queue_p50_ms", "app_queue_p99_ms",
        "ours_max_cps", "app_queue_max_cps"}

pytestmark = pytest.mark.pbx


def test_a_tiny_run_prints_one_json_line_with_both_sides_measured(pbx: Any) -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "e2e_routing.py"), "--calls", "3", "--agents", "2",
         "--rates", "1", "--rate-seconds", "2",
         "--est-calls", "6", "--est-agents", "1", "--est-talk", "0.5", "--est-rate", "3"],
        capture_output=True, text=True, timeout=240, cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stdout
    result = json.loads(lines[0])
    assert KEYS <= set(result)
    assert (result["bench"], result["calls"]) == ("e2e_routing", 3)
    assert result["ours_samples"] == 3 and result["app_queue_samples"] == 3  # every call reached a phone
    assert result["ours_p50_ms"] > 0 and result["app_queue_p50_ms"] >= 0
