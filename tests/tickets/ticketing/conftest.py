"""Fixtures of the ticketing tests: the shipped workflow rules and actors."""

from __future__ import annotations

import pytest

from tickets.actors import Actor
from tickets.workflow.rules import WorkflowRules, load_rules


@pytest.fixture(scope="session")
def rules() -> WorkflowRules:
    return load_rules()


@pytest.fixture
def agent() -> Actor:
    return Actor("agent_wang", "agent")


@pytest.fixture
def supervisor() -> Actor:
    return Actor("sup_li", "supervisor")
