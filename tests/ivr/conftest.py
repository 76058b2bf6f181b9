from __future__ import annotations

from pathlib import Path

import pytest

from ivr.loader import load_flow_file
from ivr.model import Flow

FLOWS_DIR = Path(__file__).resolve().parents[2] / "config" / "ivr"


@pytest.fixture(scope="session")
def default_flow() -> Flow:
    loaded = load_flow_file(FLOWS_DIR / "default.yaml")
    assert loaded.ok, loaded.problems
    assert loaded.flow is not None
    return loaded.flow
