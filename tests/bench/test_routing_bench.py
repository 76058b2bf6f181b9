"""Smoke test of bench/routing_core.py: a tiny run prints one JSON line with every figure.

Only the shape and the counts are checked, never the timings (speed goals live in the bench).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KEYS = {"bench", "agents", "queues", "waiting", "p50_us", "p99_us", "redis_p50_us", "redis_p99_us"}


@pytest.mark.redis
def test_a_tiny_run_prints_one_json_line_with_every_figure() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "routing_core.py"), "--agents", "40", "--queues", "5",
         "--skills", "6", "--waiting", "60", "--samples", "300", "--redis-samples", "90"],
        capture_output=True, text=True, timeout=240, cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stdout
    result = json.loads(lines[0])
    assert KEYS <= set(result)
    assert (result["bench"], result["agents"], result["queues"]) == ("routing_core", 40, 5)
    assert result["waiting"] == 60
    for key in ("p50_us", "p99_us", "redis_p50_us", "redis_p99_us"):
        assert isinstance(result[key], float) and result[key] > 0, key
    assert result["p50_us"] <= result["p99_us"]
