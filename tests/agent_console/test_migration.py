"""Revision 0002_auth creates exactly the users table the model describes, and downgrades cleanly."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from callcenter.migrate import current, downgrade, heads, load_models, upgrade
from tests.fixtures.db import create_scratch_postgres, drop_scratch_postgres
from tickets.db import create_engine


def test_the_migrated_users_table_matches_the_model(db_url: str) -> None:
    metadata = load_models()
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            # alembic compares a sequence of MetaData (as env.py's target_metadata) but annotates one
            diffs = [d for d in compare_metadata(context, metadata) if "users" in repr(d)]  # type: ignore[arg-type]
    finally:
        engine.dispose()
    assert diffs == []
    assert current(db_url) == heads()


@pytest.fixture(params=["sqlite", "postgresql"])
def scratch_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'scratch.db'}"
        return
    url = create_scratch_postgres("cc_auth_mig")
    try:
        yield url
    finally:
        drop_scratch_postgres(url)


def test_downgrade_to_0001_drops_users_and_upgrade_restores_them(scratch_url: str) -> None:
    upgrade(scratch_url, "0002_auth")
    downgrade(scratch_url, "0001_crm")
    engine = create_engine(scratch_url)
    try:
        assert "users" not in inspect(engine).get_table_names()
        assert "customers" in inspect(engine).get_table_names()
        upgrade(scratch_url, "0002_auth")
        inspector = inspect(engine)
        assert "users" in inspector.get_table_names()
        assert {c["name"] for c in inspector.get_unique_constraints("users")} == {"uq_users_username"}
    finally:
        engine.dispose()
