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
    # a few callers, one phase, no flow after the round trips: seconds, not minutes (the flow
    # itself is the IVR's PBX tests' business)
    callers, rounds = 4, 2
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "ivr.py"),
            "--callers",
            str(callers),
            "--rounds",
            str(rounds),
            "--repeat",
            "1",
            "--no-flow",
            "--dtmf-delay",
            "1",
            "--talk",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert len(lines) == 1
    result = json.loads(lines[0])
    assert KEYS <= result.keys()
    assert result["bench"] == "ivr" and result["callers"] == callers
    assert result["sessions_connected_together"] == callers
    assert result["panoramisk_sessions_connected_together"] == callers
    assert result["agi_rtt_samples"] == callers * rounds * 4
    assert result["panoramisk_rtt_samples"] == callers * rounds * 4
    for side in ("agi", "panoramisk"):
        assert 0 < result[f"{side}_rtt_p50_ms"] <= result[f"{side}_rtt_p99_ms"]
    assert result["windows"]["ours"] >= 1 and result["windows"]["panoramisk"] >= 1
    assert result["flows_completed"] == callers and result["flows_per_s"] > 0
    assert result["peak_live_sessions"] == callers
    assert isinstance(result["kib_per_session"], float)
    assert result["phases_ours_p99_lower"] in (0, 1)
    # what held the loop up while it measured: the collector (tuned as serve tunes it) and stalls
    assert result["gc_tuned"] is True and set(result["gc_collections"]) == {"0", "1", "2"}
    assert isinstance(result["loop_stalls"], int)
    cores = result["cores_while_measuring"]
    assert set(cores) == {"this_process", "asterisk", "others", "steal", "idle"}
    assert 0 <= result["agi_rtt_samples_in_stalls"] <= result["agi_rtt_samples"]
    assert 0 <= result["panoramisk_rtt_samples_in_stalls"] <= result["panoramisk_rtt_samples"]
    # each phase's own figures, one line per side, go to stderr
    assert proc.stderr.count("phase ours:") == 1 and proc.stderr.count("phase panoramisk:") == 1
