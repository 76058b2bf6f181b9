"""Dependencies of the ticketing routers: the workflow rules and the notifier.

The rules are the ones the app provided (``tickets.deps.provide``), else config/workflow.yaml; the
notifier is :class:`DbNotifier` (a test may override :func:`get_notifier`).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated

from fastapi import Depends
from starlette.requests import HTTPConnection

from tickets.deps import providers_of
from tickets.ticketing.notifier import DbNotifier, Notifier
from tickets.workflow.rules import WorkflowRules, load_rules


@lru_cache(maxsize=1)
def default_rules() -> WorkflowRules:
    return load_rules()


async def get_rules(conn: HTTPConnection) -> WorkflowRules:
    return providers_of(conn).rules or default_rules()


async def get_notifier() -> Notifier:
    return DbNotifier()


RulesDep = Annotated[WorkflowRules, Depends(get_rules)]
NotifierDep = Annotated[Notifier, Depends(get_notifier)]
