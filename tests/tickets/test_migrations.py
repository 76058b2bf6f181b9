"""The Alembic migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

import tickets.models  # noqa: F401  (registers the CRM tables)
from callcenter.migrate import current, downgrade, heads, load_models, upgrade
from tickets.db import Base, create_engine

CRM_TABLES = {
    "customers",
    "contact_points",
    "assets",
    "interactions",
    "tickets",
    "ticket_comments",
    "ticket_changes",
    "ticket_interactions",
    "follow_up_tasks",
    "notifications",
}


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_then_downgrade_then_upgrade_again(empty_db_url: str) -> None:
    assert current(empty_db_url) == ()
    upgrade(empty_db_url)
    assert CRM_TABLES <= _tables(empty_db_url)
    assert current(empty_db_url) == heads()

    downgrade(empty_db_url, "base")
    assert _tables(empty_db_url) <= {"alembic_version"}
    assert current(empty_db_url) == ()

    upgrade(empty_db_url)
    assert CRM_TABLES <= _tables(empty_db_url)


def _crm_only(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Compare the CRM tables (other packages' tables come with their own migrations and tests)."""
    return type_ != "table" or name in CRM_TABLES


def test_migrated_schema_matches_the_crm_models(db_url: str) -> None:
    """Autogenerate finds nothing to change: tables, indexes, constraints, types and nullability agree."""
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "include_object": _crm_only}
            )
            diff = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_every_registered_model_has_its_migration(db_url: str) -> None:
    """Every package's models (what ``env.py`` loads) are fully created by the migrations at head."""
    metadata = load_models()
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            # alembic compares a sequence of MetaData (as env.py's target_metadata) but annotates one
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, metadata)  # type: ignore[arg-type]
    finally:
        engine.dispose()
    assert diff == []
