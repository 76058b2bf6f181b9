"""Dependencies of the ticketing routers: the workflow rules and the notifier.

The app may set ``app.state.workflow_rules`` (a :class:`WorkflowRules`) and
``app.state.ticket_notifier`` (a :class:`Notifier`); otherwise config/workflow.yaml and
:class:`DbNotifier` are used.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated

from fastapi import Depends, Request

from tickets.ticketing.notifier import DbNotifier, Notifier
from tickets.workflow.rules import WorkflowRules, load_rules


@lru_cache(maxsize=1)
def default_rules() -> WorkflowRules:
    return load_rules()


def get_rules(request: Request) -> WorkflowRules:
    rules = getattr(request.app.state, "workflow_rules", None)
    return rules if isinstance(rules, WorkflowRules) else default_rules()


def get_notifier(request: Request) -> Notifier:
    notifier: Notifier | None = getattr(request.app.state, "ticket_notifier", None)
    return notifier if notifier is not None else DbNotifier()


RulesDep = Annotated[WorkflowRules, Depends(get_rules)]
NotifierDep = Annotated[Notifier, Depends(get_notifier)]
