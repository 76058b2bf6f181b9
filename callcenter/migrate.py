"""Schema migrations (Alembic, scripts in ``callcenter/migrations``) callable from code.

``upgrade(url)`` is what the CLI (``callcenter db upgrade``), ``serve``, ``seed`` and the test fixtures
use. The Alembic configuration is built in code, so it works from any working directory and from an
installed package; ``callcenter/migrations/alembic.ini`` exists for running the ``alembic`` tool by hand.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, pool

# Importing a model module registers its tables on Base.metadata.
import tickets.models
import tickets.users.models  # noqa: F401
from routing.models import metadata as routing_metadata
from tickets.db import Base, create_engine


def migrations_dir() -> Path:
    """The Alembic script folder beside this module."""
    return Path(__file__).resolve().parent / "migrations"


def load_models() -> list[MetaData]:
    """The metadata of every table the migrations create: the record's (``tickets``, with the users)
    and the ACD's (``routing``, on a metadata of its own)."""
    return [Base.metadata, routing_metadata]


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.attributes["url"] = url
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` up to ``revision`` (default: the newest)."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


def current(url: str) -> tuple[str, ...]:
    """The revisions the database at ``url`` is at (empty when never migrated)."""
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            return tuple(MigrationContext.configure(conn).get_current_heads())
    finally:
        engine.dispose()


def heads() -> tuple[str, ...]:
    """The newest revisions of the migration scripts."""
    return tuple(ScriptDirectory.from_config(alembic_config("")).get_heads())
