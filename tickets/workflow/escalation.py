"""Which escalation steps a breached ticket has reached and who each step notifies."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from tickets.workflow.rules import EscalationStep, WorkflowRules


def reached_steps(
    steps: Sequence[EscalationStep], *, sla_due_at: datetime, now: datetime, level: int
) -> list[EscalationStep]:
    """The steps above ``level`` whose time (due + after_hours) has come, lowest first."""
    return [
        s for s in steps
        if s.level > level and sla_due_at + timedelta(hours=s.after_hours) <= now
    ]


def recipients(
    rules: WorkflowRules, step: EscalationStep, *, team: str | None, assignee: str | None
) -> list[str]:
    """The usernames ``step`` notifies, without duplicates, in the step's order."""
    found: list[str] = []
    for kind in step.notify:
        if kind == "assignee":
            names = [assignee] if assignee else []
        elif kind == "supervisor":
            sup = rules.supervisor_for(team=team, assignee=assignee)
            names = [sup] if sup else []
        else:
            names = list(rules.escalation.managers)
        for name in names:
            if name not in found:
                found.append(name)
    if not found:
        # Nobody configured: the managers (if any) hear of it rather than no one.
        found = list(rules.escalation.managers)
    return found
