"""``callcenter users``: create users, list them, set a password (admins' tasks on the server)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from pydantic import ValidationError
from sqlalchemy.orm import Session

from config.settings import get_settings

app = typer.Typer(no_args_is_help=True)


@contextmanager
def _session() -> Iterator[Session]:
    from callcenter.migrate import upgrade
    from tickets.db import create_engine, session_factory, unit_of_work

    url = get_settings().effective_database_url
    upgrade(url)
    engine = create_engine(url)
    try:
        with unit_of_work(session_factory(engine)) as session:
            yield session
    finally:
        engine.dispose()


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(1)


@app.command("create")
def create(
    username: str = typer.Option(
        ..., "--username", "-u", help="Login name (lower-case letters, digits, . _ -)."
    ),
    role: str = typer.Option("agent", "--role", "-r", help="agent, supervisor or admin."),
    display_name: str = typer.Option(
        None, "--display-name", "-n", help="Shown name (default: the username)."
    ),
    password: str = typer.Option(
        ...,
        "--password",
        "-p",
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        help="Asked when left out.",
    ),
    extension: str = typer.Option(None, "--extension", "-e", help="The agent's phone extension."),
    language: str = typer.Option("zh", "--language", "-l", help="zh or en."),
) -> None:
    """Create a user."""
    from tickets.errors import DomainError
    from tickets.users.passwords import Passwords
    from tickets.users.schemas import UserCreate
    from tickets.users.service import create_user

    try:
        data = UserCreate.model_validate(
            {
                "username": username,
                "role": role,
                "display_name": display_name or username,
                "password": password,
                "extension": extension,
                "language": language,
            }
        )
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise _fail(f"invalid user: {problems}") from exc
    try:
        with _session() as session:
            user = create_user(session, data, passwords=Passwords())
            typer.echo(f"created {user.role} {user.username} (id {user.id})")
    except DomainError as exc:
        raise _fail(exc.message) from exc


@app.command("list")
def list_users() -> None:
    """List every user."""
    from tickets.users.service import list_users as all_users

    with _session() as session:
        for user in all_users(session):
            state = "active" if user.active else "inactive"
            typer.echo(f"{user.id:>5}  {user.username:<20} {user.role:<11} {state:<9} {user.display_name}")


@app.command("set-password")
def set_password(
    username: str = typer.Option(..., "--username", "-u"),
    password: str = typer.Option(
        ..., "--password", "-p", prompt=True, hide_input=True, confirmation_prompt=True
    ),
) -> None:
    """Set a user's password (their older tokens stop working)."""
    from tickets.users.login import find_user
    from tickets.users.passwords import MIN_PASSWORD_LENGTH, Passwords
    from tickets.users.service import reset_password

    if len(password) < MIN_PASSWORD_LENGTH:
        raise _fail(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    with _session() as session:
        user = find_user(session, username)
        if user is None:
            raise _fail(f"no user {username!r}")
        reset_password(session, user.id, password, passwords=Passwords())
    typer.echo(f"password of {username} changed")
