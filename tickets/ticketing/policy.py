"""Who may change which ticket: the authorization policy of the ticketing use cases (pure).

- Supervisors, admins and the system may change any ticket and assign it to anyone.
- An agent may change (edit fields, move it along the workflow) a ticket that is assigned to them,
  or an unassigned one that sits in one of their teams' queues or in no team's queue; on such a
  ticket they may also set the assignee (take it, hand it on, return it to the queue). A ticket
  assigned to someone else, or waiting in another team's queue, is changed by a supervisor only.
- Anyone logged in may open a ticket for any customer and name its assignee and team.
- Anyone logged in may read every ticket, comment on it and link a contact to it (append-only and
  audited: an agent on a call notes what the customer said on a colleague's ticket).
- A follow-up call is completed by its assignee, or by any agent when it has none; supervisors may
  complete any.

Refusals are 403 with a stable ``error_id`` (``not-your-ticket``, ``not-your-follow-up``).
"""

from __future__ import annotations

from tickets.actors import Actor
from tickets.errors import Forbidden
from tickets.workflow.rules import WorkflowRules


def may_change(actor: Actor, *, assignee: str | None, team: str | None, rules: WorkflowRules) -> bool:
    """True when ``actor`` may edit or move a ticket with this assignee and team."""
    if actor.is_supervisor:
        return True
    if assignee is not None:
        return assignee == actor.username
    return team is None or any(t.name == team for t in rules.teams_of(actor.username))


def check_change(actor: Actor, *, number: str, assignee: str | None, team: str | None,
                 rules: WorkflowRules) -> None:
    if not may_change(actor, assignee=assignee, team=team, rules=rules):
        whose = f"assigned to {assignee}" if assignee else f"in the {team} queue"
        raise Forbidden(
            f"{number} is {whose}: an agent changes their own tickets and their teams' unassigned ones",
            error_id="not-your-ticket",
            details={"ticket": number, "assignee": assignee, "team": team},
        )


def check_follow_up(actor: Actor, *, task_id: int, assignee: str | None) -> None:
    if actor.is_supervisor or assignee is None or assignee == actor.username:
        return
    raise Forbidden(
        f"follow-up {task_id} is assigned to {assignee}",
        error_id="not-your-follow-up",
        details={"follow_up": task_id, "assignee": assignee},
    )
