"""``POST /intake/web``: the website backend's door into the customer record.

Callers authenticate with a bearer token of any user or with the shared key
``settings.api.intake_key`` in the ``X-Intake-Key`` header (empty key = off). For the key to work
the app mounts ``tickets.api.public_router`` (which holds this router) under ``/api`` behind an
optional bearer check instead of its blanket requirement: a bad token is still 401, no token leaves
:func:`bearer_actor` None.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Response, status
from sqlalchemy.exc import IntegrityError
from starlette.requests import HTTPConnection

from tickets.actors import Actor
from tickets.deps import SessionDep, SettingsDep, actor_of
from tickets.errors import Conflict
from tickets.intake.schemas import WebIntake, WebIntakeResult
from tickets.intake.web import submit_web_intake
from tickets.ticketing.deps import RulesDep

WEB_INTAKE = Actor("web-intake", "system", "Web intake")

router = APIRouter(prefix="/intake", tags=["intake"])


async def bearer_actor(conn: HTTPConnection) -> Actor | None:
    """The user a bearer token names (the app's authentication recorded them), None without one."""
    return actor_of(conn)


def intake_actor(
    settings: SettingsDep,
    bearer: Annotated[Actor | None, Depends(bearer_actor)],
    x_intake_key: Annotated[str | None, Header()] = None,
) -> Actor:
    """A user with any role, or the holder of the shared intake key."""
    if bearer is not None:
        return bearer
    expected = settings.api.intake_key or ""
    given = x_intake_key
    if given is not None and expected and hmac.compare_digest(given.encode(), expected.encode()):
        return WEB_INTAKE
    message = "invalid X-Intake-Key" if x_intake_key is not None else (
        "not authenticated: send 'Authorization: Bearer <token>' or 'X-Intake-Key: <key>'"
    )
    raise HTTPException(status.HTTP_401_UNAUTHORIZED, message, headers={"WWW-Authenticate": "Bearer"})


IntakeActorDep = Annotated[Actor, Depends(intake_actor)]


@router.post("/web", response_model=WebIntakeResult, status_code=status.HTTP_201_CREATED)
def web_intake(
    data: WebIntake, session: SessionDep, actor: IntakeActorDep, rules: RulesDep, response: Response
) -> WebIntakeResult:
    """A contact request or complaint from the website; returns the ticket number to show the customer."""
    try:
        result = submit_web_intake(session, data=data, actor=actor, rules=rules)
    except (IntegrityError, Conflict):
        if not data.reference:
            raise
        # The same reference was stored concurrently (a double click, a retried POST) between the
        # check and the insert: start again in a fresh transaction, which returns that submission.
        session.rollback()
        result = submit_web_intake(session, data=data, actor=actor, rules=rules)
    if result.duplicate:
        response.status_code = status.HTTP_200_OK
    return result
