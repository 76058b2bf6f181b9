"""Schema migrations (Alembic, scripts in ``callcenter/migrations``) callable from code.

``upgrade(url)`` is what the CLI (``callcenter db upgrade``), ``serve``, ``seed`` and the test fixtures
use. The Alembic configuration is built in code, so it works from any working directory and from an
installed package; ``callcenter/migrations/alembic.ini`` exists for running the ``alembic`` tool by hand.
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, pool

from tickets.db import Base, create_engine

# Modules whose import registers models on ``Base.metadata``; optional ones are skipped when absent.
MODEL_MODULES = ("tickets.models", "agent_console.models")


def migrations_dir() -> Path:
    """The Alembic script folder, located without importing the ``callcenter`` package."""
    spec = importlib.util.find_spec("callcenter")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the callcenter package (which holds the migrations) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "migrations"


def load_models() -> MetaData:
    """Import every model module present and return the complete metadata."""
    for name in MODEL_MODULES:
        try:
            found = importlib.util.find_spec(name)
        except ModuleNotFoundError:
            found = None
        if found is not None:
            importlib.import_module(name)
    return Base.metadata


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
