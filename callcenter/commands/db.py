"""``callcenter db``: the database schema (Alembic migrations in ``callcenter/migrations``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from callcenter import migrate
from config.settings import get_settings

app = typer.Typer(no_args_is_help=True)

URL_OPTION = typer.Option(None, "--url", help="Database URL (default: CC_DATABASE_URL or the SQLite file).")


def _url(url: str | None) -> str:
    return url or get_settings().effective_database_url


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


@contextmanager
def _reported(url: str) -> Iterator[None]:
    """An unreachable database is a one-line error, not a traceback."""
    try:
        yield
    except OperationalError as exc:
        typer.echo(f"{_shown(url)}: {str(exc.orig).strip().splitlines()[-1]}", err=True)
        raise typer.Exit(1) from exc


@app.command("upgrade")
def upgrade(
    url: str | None = URL_OPTION,
    revision: str = typer.Option("head", "--revision", "-r", help="Target revision."),
) -> None:
    """Create or update the schema to the newest (or the given) revision."""
    target = _url(url)
    with _reported(target):
        migrate.upgrade(target, revision)
    typer.echo(f"{_shown(target)}: at {', '.join(migrate.current(target)) or 'base'}")


@app.command("downgrade")
def downgrade(
    revision: str = typer.Argument(..., help="Target revision, e.g. base or 0001_crm."),
    url: str | None = URL_OPTION,
) -> None:
    """Undo migrations down to ``revision`` (``base`` drops every table)."""
    target = _url(url)
    with _reported(target):
        migrate.downgrade(target, revision)
    typer.echo(f"{_shown(target)}: at {', '.join(migrate.current(target)) or 'base'}")


@app.command("current")
def current(url: str | None = URL_OPTION) -> None:
    """Show the revision the database is at and the newest one available."""
    target = _url(url)
    with _reported(target):
        at = migrate.current(target)
    newest = migrate.heads()
    typer.echo(f"{_shown(target)}: at {', '.join(at) or 'base'} (newest {', '.join(newest)})")
    if set(at) != set(newest):
        raise typer.Exit(1)
