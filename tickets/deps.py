"""FastAPI dependencies shared by every tickets router.

The app (``agent_console.create_app``) fills them from the running platform: :func:`get_sessions`
with its session factory, :func:`get_settings` with its settings, :func:`current_actor` with its
authentication. Unfilled, they refuse to serve.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from tickets.actors import Actor
from tickets.db import unit_of_work


def get_sessions() -> sessionmaker[Session]:
    """The session factory of the platform's database (filled by the app)."""
    raise RuntimeError("tickets routers need the app to provide tickets.deps.get_sessions")


def get_settings() -> Settings:
    """The platform's settings (filled by the app)."""
    raise RuntimeError("tickets routers need the app to provide tickets.deps.get_settings")


SessionsDep = Annotated[sessionmaker[Session], Depends(get_sessions)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_db(request: Request, sessions: SessionsDep) -> Iterator[Session]:
    """One session per request, committed when the endpoint succeeds and rolled back when it raises.

    It is a function-scoped dependency: the commit runs after the endpoint returned and its response
    was serialized, but before the response is sent, so a 2xx means committed and a failed commit is
    an error response. GET requests get a read-only session (SQLite runs them beside the writer).
    """
    with unit_of_work(sessions, read_only=request.method in READ_METHODS) as session:
        yield session


def current_actor() -> Actor:
    """Who is calling; the app replaces this with its authentication (unauthenticated until then)."""
    raise HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail="authentication required",
        headers={"WWW-Authenticate": "Bearer"},
    )


SessionDep = Annotated[Session, Depends(get_db, scope="function")]
ActorDep = Annotated[Actor, Depends(current_actor)]
