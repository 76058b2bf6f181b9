"""The ACD's ports filled from the customer record: who may be an agent, and customers' value tiers."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from routing.ports import DirectoryUser
from tickets.customers import lookup
from tickets.errors import DomainError
from tickets.users.models import User


class RecordAgentDirectory:
    """AgentDirectory: the users with an extension (active or not: the ACD logs inactive ones out)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    async def users_with_extension(self) -> Sequence[DirectoryUser]:
        return await asyncio.to_thread(self._read)

    def _read(self) -> list[DirectoryUser]:
        with self._sessions() as session:
            rows = session.scalars(select(User).where(User.extension.is_not(None)).order_by(User.username))
            return [
                DirectoryUser(
                    username=u.username, extension=u.extension or "", name=u.display_name, active=u.active
                )
                for u in rows
                if u.extension
            ]


class RecordCustomerTiers:
    """CustomerTiers: the value tier of a customer (of its survivor, when it was merged)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    async def tier(self, customer_id: str) -> str | None:
        if not customer_id.isdigit() or len(customer_id) > 12:
            return None
        return await asyncio.to_thread(self._read, int(customer_id))

    def _read(self, customer_id: int) -> str | None:
        with self._sessions() as session:
            try:
                return lookup.survivor(session, customer_id).tier
            except DomainError:
                return None
