"""Smoke test of bench/crm.py: a tiny run on each backend prints one JSON line with every figure.

Only the shape and the row counts are checked, never the timings (speed goals live in the bench).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.fixtures.db import postgres_admin_url
from tickets.db import create_engine

ROOT = Path(__file__).resolve().parents[2]
KEYS = {"bench", "backend", "customers", "lookup_p50_ms", "lookup_p99_ms", "record_p50_ms", "record_p99_ms",
        "ticket_create_per_s", "load_seconds"}


def run_bench(*args: str) -> tuple[dict[str, object], str]:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "crm.py"), *args],
        capture_output=True, text=True, timeout=240, cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stdout
    return json.loads(lines[0]), proc.stderr


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_tiny_run_prints_one_json_line_with_every_figure(backend: str) -> None:
    result, _err = run_bench("--customers", "60", "--backend", backend, "--samples", "30", "--tickets", "6")
    assert KEYS <= set(result)
    assert (result["bench"], result["backend"], result["customers"]) == ("crm", backend, 60)
    assert result["rows"] == {"customers": 60, "contact_points": 120, "assets": 36, "interactions": 180,
                              "tickets": 30, "ticket_interactions": 30}
    for key in ("lookup_p50_ms", "lookup_p99_ms", "record_p50_ms", "record_p99_ms", "ticket_create_per_s"):
        value = result[key]
        assert isinstance(value, float) and value > 0, key
    p50, p99 = result["lookup_p50_ms"], result["lookup_p99_ms"]
    assert isinstance(p50, float) and isinstance(p99, float) and p50 <= p99


def test_the_postgresql_scratch_database_is_dropped_unless_kept() -> None:
    _result, stderr = run_bench("--customers", "10", "--samples", "5", "--tickets", "1", "--keep")
    kept = stderr.strip().splitlines()[-1].removeprefix("kept database ")
    admin = create_engine(postgres_admin_url(), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": kept}).scalar()
            assert exists == 1
            conn.execute(text(f'DROP DATABASE "{kept}" WITH (FORCE)'))
            names = conn.execute(text("SELECT datname FROM pg_database WHERE datname LIKE 'cc_bench_%'"))
            before = set(names.scalars())
        run_bench("--customers", "10", "--samples", "5", "--tickets", "1")
        with admin.connect() as conn:
            names = conn.execute(text("SELECT datname FROM pg_database WHERE datname LIKE 'cc_bench_%'"))
            assert set(names.scalars()) <= before  # the run's own database is gone
    finally:
        admin.dispose()
