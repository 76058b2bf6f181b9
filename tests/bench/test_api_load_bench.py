"""Smoke test of bench/api_load.py: a tiny run against the real server on each backend prints one JSON
line with every figure the issue names; nothing is lost and no audit chain breaks (never timings)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KEYS = {"bench", "backend", "clients", "think_s", "requests", "errors_5xx", "lost_writes",
        "broken_audit_chains", "screenpop_p50_ms", "screenpop_p99_ms", "write_p99_ms", "writes_per_s",
        "max_rps", "saturation_5xx"}


@pytest.mark.parametrize("backend", ["sqlite"])  # the PostgreSQL scratch database: test_crm_bench.py
def test_a_tiny_run_prints_one_json_line_with_nothing_lost(backend: str) -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "api_load.py"), "--backend", backend, "--clients", "4",
         "--think", "0.05", "--duration", "2", "--saturation-duration", "1", "--customers", "10"],
        capture_output=True, text=True, timeout=240, cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stdout
    result = json.loads(lines[0])
    assert KEYS <= set(result)
    assert (result["bench"], result["backend"], result["clients"]) == ("api_load", backend, 4)
    assert result["requests"] > 0 and result["tickets_created"] > 0
    assert (result["errors_5xx"], result["lost_writes"], result["broken_audit_chains"]) == (0, 0, 0)
    assert result["saturation_5xx"] == 0
