"""``/api/users``: the admins' user management (create, list, update, deactivate, reset a password)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Query, status

from agent_console.auth.deps import require_role
from agent_console.auth.websocket import OpenSockets, open_sockets
from agent_console.deps import platform_of
from callcenter.platform import Platform
from tickets.deps import SessionDep
from tickets.users import service as users
from tickets.users.passwords import Passwords
from tickets.users.schemas import PasswordReset, UserCreate, UserPublic, UserUpdate

router = APIRouter(prefix="/users", tags=["users"], dependencies=[Depends(require_role("admin"))])


def _passwords(platform: Annotated[Platform, Depends(platform_of)]) -> Passwords:
    return platform.passwords


PasswordsDep = Annotated[Passwords, Depends(_passwords)]
SocketsDep = Annotated[OpenSockets, Depends(open_sockets)]


@router.get("", response_model=list[UserPublic])
def list_users(session: SessionDep, include_inactive: bool = Query(True)) -> list[UserPublic]:
    found = users.list_users(session, include_inactive=include_inactive)
    return [UserPublic.model_validate(u) for u in found]


@router.post("", response_model=UserPublic, status_code=status.HTTP_201_CREATED)
def create_user(body: UserCreate, session: SessionDep, passwords: PasswordsDep) -> UserPublic:
    return UserPublic.model_validate(users.create_user(session, body, passwords=passwords))


@router.get("/{user_id}", response_model=UserPublic)
def get_user(user_id: int, session: SessionDep) -> UserPublic:
    return UserPublic.model_validate(users.get_user(session, user_id))


@router.patch("/{user_id}", response_model=UserPublic)
def update_user(
    user_id: int, body: UserUpdate, session: SessionDep, background: BackgroundTasks, sockets: SocketsDep
) -> UserPublic:
    """Change fields; a new role or active state ends the user's tokens and closes their websockets."""
    user = UserPublic.model_validate(users.update_user(session, user_id, body))
    background.add_task(sockets.user_changed, user_id)  # after the commit: the re-check sees it
    return user


@router.delete("/{user_id}", response_model=UserPublic)
def deactivate_user(
    user_id: int, session: SessionDep, background: BackgroundTasks, sockets: SocketsDep
) -> UserPublic:
    """Deactivate (users are never deleted: tickets and calls keep naming them); their tokens stop
    working for good (also after a reactivation) and their open websockets are closed."""
    user = UserPublic.model_validate(users.deactivate_user(session, user_id))
    background.add_task(sockets.user_changed, user_id)
    return user


@router.post("/{user_id}/password", response_model=UserPublic)
def reset_password(
    user_id: int, body: PasswordReset, session: SessionDep, passwords: PasswordsDep,
    background: BackgroundTasks, sockets: SocketsDep,
) -> UserPublic:
    """Set a new password; tokens issued before it stop working (open websockets are closed)."""
    user = users.reset_password(session, user_id, body.password, passwords=passwords)
    background.add_task(sockets.user_changed, user_id)
    return UserPublic.model_validate(user)
