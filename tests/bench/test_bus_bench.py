"""Smoke test of bench/bus.py: a tiny run prints one JSON line with every figure for both transports.

Only the shape is checked, never the timings (speed goals live in the bench).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KEYS = {"bench", "subscribers", "inproc_msgs_per_s", "inproc_p99_ms", "redis_msgs_per_s", "redis_p99_ms",
        "inproc_p50_ms", "redis_p50_ms", "inproc_deliveries_per_s", "redis_deliveries_per_s"}


@pytest.mark.redis
def test_a_tiny_run_prints_one_json_line_with_every_figure() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bus.py"), "--subscribers", "20", "--messages", "200",
         "--latency-messages", "40"],
        capture_output=True, text=True, timeout=240, cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stdout
    result = json.loads(lines[0])
    assert KEYS <= set(result)
    assert (result["bench"], result["subscribers"], result["messages"]) == ("bus", 20, 200)
    for key in KEYS - {"bench", "subscribers"}:
        assert isinstance(result[key], float) and result[key] > 0, key
    assert result["inproc_p50_ms"] <= result["inproc_p99_ms"]
    assert result["redis_p50_ms"] <= result["redis_p99_ms"]
