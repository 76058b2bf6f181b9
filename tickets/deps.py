"""FastAPI dependencies shared by every tickets router.

The app (``agent_console.create_app``) puts a ``sessionmaker`` in ``app.state.db`` and overrides
:func:`current_actor` with its authentication.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from sqlalchemy.orm import Session

from tickets.actors import Actor
from tickets.db import unit_of_work


def get_db(request: Request) -> Iterator[Session]:
    """One session per request: committed when the endpoint succeeds, rolled back when it raises."""
    with unit_of_work(request.app.state.db) as session:
        yield session


def current_actor() -> Actor:
    """Who is calling; the app replaces this with its authentication (unauthenticated until then)."""
    raise HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail="authentication required",
        headers={"WWW-Authenticate": "Bearer"},
    )


SessionDep = Annotated[Session, Depends(get_db)]
ActorDep = Annotated[Actor, Depends(current_actor)]
