"""Who may change which ticket (tickets.ticketing.policy), through the API: agents change their own
tickets and their teams' unassigned ones, supervisors any; assignees are active users or team members."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from tests.tickets.ticketing.crm_data import make_agent, make_customer
from tickets.actors import Actor
from tickets.ticketing.policy import may_change

AGENT_WANG = Actor("agent_wang", "agent")  # a member of the shipped rules' "general" team


def _ticket(tk_client, customer_id, **fields):
    tk_client.act_as(Actor("sup_li", "supervisor"))
    r = tk_client.post("/api/tickets", json={"type": "inquiry", "customer_id": customer_id,
                                             "subject": "policy probe", **fields})
    assert r.status_code == 201, r.text
    return r.json()


def _queued(tk_client, customer_id, team):
    """A ticket waiting unassigned in ``team``'s queue (a supervisor returned it there)."""
    ticket = _ticket(tk_client, customer_id, team=team)
    r = tk_client.patch(f"/api/tickets/{ticket['id']}", json={"assignee": None})
    assert r.status_code == 200 and r.json()["assignee"] is None, r.text
    return r.json()


def test_given_a_ticket_of_another_agent_when_an_agent_moves_it_then_403(tk_client, db_session):
    customer = make_customer(db_session)
    other = make_agent(db_session, f"agent_other_{uuid.uuid4().hex[:8]}")
    ticket = _ticket(tk_client, customer.id, assignee=other)
    tk_client.act_as(AGENT_WANG)
    r = tk_client.post(f"/api/tickets/{ticket['id']}/transitions", json={"to": "in_progress"})
    assert r.status_code == 403 and r.json()["error_id"] == "not-your-ticket"
    r = tk_client.patch(f"/api/tickets/{ticket['id']}", json={"assignee": "agent_wang"})
    assert r.status_code == 403
    # reading and commenting stay open to every agent
    assert tk_client.get(f"/api/tickets/{ticket['id']}").status_code == 200
    r = tk_client.post(f"/api/tickets/{ticket['id']}/comments", json={"body": "客户来电"})
    assert r.status_code == 201
    tk_client.act_as(Actor(other, "agent"))
    r = tk_client.post(f"/api/tickets/{ticket['id']}/transitions", json={"to": "in_progress"})
    assert r.status_code == 200
    tk_client.act_as(Actor("sup_li", "supervisor"))
    r = tk_client.post(f"/api/tickets/{ticket['id']}/transitions", json={"to": "assigned"})
    assert r.status_code == 200


def test_given_an_unassigned_ticket_of_my_team_then_i_may_take_it_but_not_one_of_another_team(
    tk_client, db_session, rules
):
    customer = make_customer(db_session)
    mine = next(t for t in rules.teams if "agent_wang" in t.members)
    other = next(t for t in rules.teams if "agent_wang" not in t.members)
    queued, foreign = (_queued(tk_client, customer.id, team.name) for team in (mine, other))
    tk_client.act_as(AGENT_WANG)
    r = tk_client.patch(f"/api/tickets/{queued['id']}", json={"assignee": "agent_wang"})
    assert r.status_code == 200 and r.json()["assignee"] == "agent_wang"
    r = tk_client.post(f"/api/tickets/{foreign['id']}/transitions", json={"to": "in_progress"})
    assert r.status_code == 403


def test_given_an_assignee_that_is_no_active_user_or_team_member_then_422(tk_client, db_session):
    customer = make_customer(db_session)
    gone = make_agent(db_session, f"agent_gone_{uuid.uuid4().hex[:8]}", active=False)
    tk_client.act_as(Actor("sup_li", "supervisor"))
    for name in ("ghost_user", gone, "agent\u202ewang", "\x00"):
        r = tk_client.post("/api/tickets", json={"type": "inquiry", "customer_id": customer.id,
                                                 "subject": "x", "assignee": name})
        assert r.status_code == 422, (name, r.text)
    ticket = _ticket(tk_client, customer.id)
    r = tk_client.patch(f"/api/tickets/{ticket['id']}", json={"assignee": "ghost_user"})
    assert r.status_code == 422
    r = tk_client.post(f"/api/tickets/{ticket['id']}/transitions", json={"to": "assigned",
                                                                        "assignee": "ghost_user"})
    assert r.status_code == 422


_names = st.sampled_from(["agent_wang", "agent_zhang", "agent_zhao", "x"])


@given(role=st.sampled_from(["agent", "supervisor", "admin", "system"]), me=_names,
       assignee=st.none() | _names, team=st.none() | st.sampled_from(["general", "repairs", "nope"]))
def test_supervisors_change_any_ticket_and_agents_only_their_own_or_their_queues(rules, role, me, assignee,
                                                                                 team):
    actor = Actor(me, role)
    allowed = may_change(actor, assignee=assignee, team=team, rules=rules)
    if role != "agent":
        assert allowed
    elif assignee is not None:
        assert allowed == (assignee == me)
    else:
        assert allowed == (team is None or any(t.name == team for t in rules.teams_of(me)))
