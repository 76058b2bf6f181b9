"""The ticketing API inside the real app (authentication, error mapping), both backends."""

from __future__ import annotations

from sqlalchemy import delete

from tickets.db import unit_of_work
from tickets.models import Customer, Ticket


def test_tickets_through_the_app_with_real_auth(api_client, auth_headers):
    agent = auth_headers("supervisor")  # the complaints team's ticket: a supervisor moves it
    assert api_client.get("/api/tickets").status_code == 401
    r = api_client.post("/api/customers", json={"display_name": "赵六"}, headers=agent)
    assert r.status_code == 201, r.text
    customer_id = r.json()["id"]
    try:
        _ticket_round_trip(api_client, agent, customer_id)
    finally:  # the app commits: leave the shared test database as it was
        with unit_of_work(api_client.app.state.platform.sessions) as session:
            session.execute(delete(Ticket).where(Ticket.customer_id == customer_id))
            session.execute(delete(Customer).where(Customer.id == customer_id))


def _ticket_round_trip(api_client, agent, customer_id):
    r = api_client.post("/api/tickets", headers=agent, json={
        "type": "complaint", "customer_id": customer_id, "subject": "账单错误", "severity": "critical"})
    assert r.status_code == 201, r.text
    ticket = r.json()
    assert ticket["priority"] == "urgent" and ticket["team"] == "complaints"
    r = api_client.post(f"/api/tickets/{ticket['number']}/transitions", json={"to": "closed"}, headers=agent)
    assert r.status_code == 409 and r.json()["error_id"] == "illegal-transition"
    assert r.json()["details"]["allowed"] == ["in_progress", "new", "resolved"]
    r = api_client.post(f"/api/tickets/{ticket['id']}/transitions", json={"to": "in_progress"},
                        headers=agent)
    assert r.status_code == 200
    history = api_client.get(f"/api/tickets/{ticket['id']}/history", headers=agent).json()
    assert [h["field"] for h in history][:2] == ["created", "status"]
    assert history[1]["actor"] == history[0]["actor"]
