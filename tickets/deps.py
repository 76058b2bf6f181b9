"""FastAPI dependencies shared by every tickets router.

The app that mounts the routers provides what they need once, with :func:`provide` (the session
factory, the settings, the workflow rules), and its authentication records who acts with
:func:`authenticated`. The dependencies here read both back on the event loop: no thread-pool hop,
and no ``dependency_overrides`` (which make FastAPI analyse every dependency again on every request).
Tests may still override them. Unprovided, they refuse to serve.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, ParamSpec, TypeVar

import anyio
from fastapi import Depends, FastAPI, HTTPException, Request, status
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from config.settings import Settings
from tickets.actors import Actor
from tickets.db import discard, finish, read_only_factory

if TYPE_CHECKING:
    from tickets.workflow.rules import WorkflowRules


@dataclass(frozen=True)
class TicketsProviders:
    """What the tickets routers need from the app that mounts them."""

    sessions: sessionmaker[Session]
    settings: Settings
    rules: WorkflowRules | None = None  # None: config/workflow.yaml (tickets.ticketing.deps)
    read_sessions: sessionmaker[Session] = field(init=False)  # GET requests' (marked read-only)

    def __post_init__(self) -> None:
        object.__setattr__(self, "read_sessions", read_only_factory(self.sessions))


def provide(app: FastAPI, providers: TicketsProviders) -> None:
    """Give the tickets routers of ``app`` their session factory, settings and rules."""
    app.state.tickets_providers = providers


def providers_of(conn: HTTPConnection) -> TicketsProviders:
    try:
        providers: TicketsProviders = conn.app.state.tickets_providers
    except AttributeError:
        raise RuntimeError("the tickets routers need the app to call tickets.deps.provide") from None
    return providers


async def get_sessions(conn: HTTPConnection) -> sessionmaker[Session]:
    """The session factory of the platform's database."""
    return providers_of(conn).sessions


async def get_settings(conn: HTTPConnection) -> Settings:
    """The platform's settings."""
    return providers_of(conn).settings


SessionsDep = Annotated[sessionmaker[Session], Depends(get_sessions)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_db(request: Request) -> AsyncIterator[Session]:
    """One session per request, committed when the endpoint succeeds and rolled back when it raises.

    It is a function-scoped dependency: the commit runs after the endpoint returned and its response
    was serialized, but before the response is sent, so a 2xx means committed and a failed commit is
    an error response. GET requests get a read-only session (SQLite runs them beside the writer).

    The session is made on the event loop (no I/O until it is used); only the end of the
    transaction goes to the thread pool, shielded so that a client who hung up still gets the
    rollback and the connection back in the pool.
    """
    providers = providers_of(request)
    factory = providers.read_sessions if request.method in READ_METHODS else providers.sessions
    session = factory()
    try:
        yield session
    except BaseException:
        with anyio.CancelScope(shield=True):
            await run_in_threadpool(discard, session)
        raise
    if not (session.in_transaction() or session.new or session.dirty or session.deleted):
        session.close()  # committed already (``one_hop``) or never used: nothing to send
        return
    with anyio.CancelScope(shield=True):
        await run_in_threadpool(finish, session)


P = ParamSpec("P")
T = TypeVar("T")


def one_hop(endpoint: Callable[P, T]) -> Callable[P, Coroutine[Any, Any, T]]:
    """A plain endpoint run in one thread-pool call together with the commit of its request's
    session, instead of three (the endpoint, FastAPI's check of its response, the session's end).

    For the endpoints on the hot path (the screen pop, the ticket list and changes). The endpoint
    returns its response model built inside the transaction; the commit follows in the same thread,
    so a 2xx still means committed and a failed commit is still an error response.
    """

    @functools.wraps(endpoint)
    async def run(*args: P.args, **kwargs: P.kwargs) -> T:
        def work() -> T:
            result = endpoint(*args, **kwargs)
            for value in kwargs.values():
                if isinstance(value, Session):
                    value.commit()
            return result

        return await run_in_threadpool(work)

    return run


def authenticated(conn: HTTPConnection, actor: Actor) -> None:
    """Record who acts in this request (called by the app's authentication)."""
    conn.state.tickets_actor = actor


def actor_of(conn: HTTPConnection) -> Actor | None:
    """Who the app's authentication found for this request, if anyone."""
    actor: Actor | None = getattr(conn.state, "tickets_actor", None)
    return actor


def not_authenticated() -> HTTPException:
    """The 401 of a request nobody was authenticated for."""
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail="authentication required",
        headers={"WWW-Authenticate": "Bearer"},
    )


async def current_actor(conn: HTTPConnection) -> Actor:
    """Who is calling, as the app's authentication recorded it (it runs first: the app mounts these
    routers behind it); 401 when nobody was authenticated."""
    actor = actor_of(conn)
    if actor is None:
        raise not_authenticated()
    return actor


SessionDep = Annotated[Session, Depends(get_db, scope="function")]
ActorDep = Annotated[Actor, Depends(current_actor)]
