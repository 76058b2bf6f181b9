"""Dependencies of the ticketing routers: the workflow rules and the notifier.

By default config/workflow.yaml and :class:`DbNotifier`; the app fills :func:`get_rules` with the
platform's rules and may fill :func:`get_notifier` with a notifier of its own.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated

from fastapi import Depends

from tickets.ticketing.notifier import DbNotifier, Notifier
from tickets.workflow.rules import WorkflowRules, load_rules


@lru_cache(maxsize=1)
def default_rules() -> WorkflowRules:
    return load_rules()


def get_rules() -> WorkflowRules:
    return default_rules()


def get_notifier() -> Notifier:
    return DbNotifier()


RulesDep = Annotated[WorkflowRules, Depends(get_rules)]
NotifierDep = Annotated[Notifier, Depends(get_notifier)]
