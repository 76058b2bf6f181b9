"""Test-suite root: settings isolated per session, shared fixtures from tests/fixtures/."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

# Isolate settings before anything imports them: a private data folder, test environment.
_DATA_DIR = Path(tempfile.mkdtemp(prefix="cc-test-data-"))
os.environ.setdefault("CC_ENVIRONMENT", "test")
os.environ.setdefault("CC_DATA_DIR", str(_DATA_DIR))

pytest_plugins = [
    "tests.fixtures.pbx",
    "tests.fixtures.db",
    "tests.fixtures.api",
]

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
TESTDATA = Path(__file__).resolve().parent / "data"
