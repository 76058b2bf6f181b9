"""The demo logins created in development: an admin, two supervisors and seven agents (Chinese and
English names), matching the teams of config/workflow.yaml.

Passwords are ``CC_DEMO_PASSWORD`` when set, else :data:`DEFAULT_DEMO_PASSWORD`; existing users are
left as they are (a changed password stays changed). Never called outside development.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from tickets.db import unit_of_work
from tickets.users.login import find_user
from tickets.users.passwords import Passwords
from tickets.users.schemas import UserCreate
from tickets.users.service import create_user

DEFAULT_DEMO_PASSWORD = "demo-password"

# The usernames of config/workflow.yaml's teams (and its manager ``admin``), so seeded tickets,
# assignments and escalation notifications land on logins that exist.
DEMO_USERS: tuple[dict[str, str | None], ...] = (
    {"username": "admin", "display_name": "系统管理员 Admin", "role": "admin", "extension": None},
    {"username": "sup_li", "display_name": "李娜", "role": "supervisor", "extension": None},
    {
        "username": "sup_chen",
        "display_name": "Grace Chen",
        "role": "supervisor",
        "extension": None,
        "language": "en",
    },
    {"username": "agent_wang", "display_name": "王小明", "role": "agent", "extension": "1001"},
    {
        "username": "agent_zhang",
        "display_name": "Emily Zhang",
        "role": "agent",
        "extension": "1002",
        "language": "en",
    },
    {"username": "agent_liu", "display_name": "刘洋", "role": "agent", "extension": "1003"},
    {"username": "agent_zhao", "display_name": "赵磊", "role": "agent", "extension": "1004"},
    {
        "username": "agent_sun",
        "display_name": "David Sun",
        "role": "agent",
        "extension": "1005",
        "language": "en",
    },
    {"username": "agent_zhou", "display_name": "周婷", "role": "agent", "extension": "1006"},
    {"username": "agent_wu", "display_name": "吴强", "role": "agent", "extension": "1007"},
)


@dataclass(frozen=True)
class DemoLogin:
    username: str
    display_name: str
    role: str
    extension: str | None
    password: str | None  # None when the user existed already (password unknown to us)


def demo_password() -> str:
    return os.environ.get("CC_DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD


def ensure_demo_users(factory: sessionmaker[Session], passwords: Passwords | None = None) -> list[DemoLogin]:
    """Create the demo users that do not exist yet; returns every demo login."""
    passwords = passwords or Passwords()
    password = demo_password()
    logins = []
    with unit_of_work(factory) as session:
        for spec in DEMO_USERS:
            existing = find_user(session, str(spec["username"]))
            if existing is None:
                data = UserCreate.model_validate({**spec, "password": password})
                user = create_user(session, data, passwords=passwords)
            else:
                user = existing
            known = password if existing is None else None
            logins.append(DemoLogin(user.username, user.display_name, user.role, user.extension, known))
    return logins
