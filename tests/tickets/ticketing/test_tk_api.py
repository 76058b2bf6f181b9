"""The ticketing routers over HTTP (both database backends)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from tests.tickets.ticketing.crm_data import T0, make_agent, make_asset, make_customer, make_interaction
from tickets.actors import Actor
from tickets.models import FollowUpTask, utcnow


def test_unauthenticated_requests_get_401(tk_client):
    tk_client.act_as(None)
    assert tk_client.get("/api/tickets").status_code == 401


def test_invalid_bodies_get_422_naming_the_field(tk_client, db_session):
    customer = make_customer(db_session)
    r = tk_client.post("/api/tickets", json={"type": "complaint", "customer_id": customer.id, "subject": "x"})
    assert r.status_code == 422
    assert {"field": "body.severity", "reason": "Value error, required for complaint tickets"} in \
        r.json()["details"]["errors"]
    r = tk_client.post("/api/tickets", json={"type": "inquiry", "customer_id": customer.id, "subject": "",
                                             "fault": "x"})
    fields = {e["field"] for e in r.json()["details"]["errors"]}
    assert r.status_code == 422 and fields == {"body.subject", "body.fault"}
    r = tk_client.post("/api/tickets", json={"type": "repair", "customer_id": customer.id, "subject": "x",
                                             "appointment_start": "2026-11-03T10:00:00"})
    assert r.status_code == 422 and r.json()["details"]["errors"][0]["field"] == "body.appointment_start"
    other = make_customer(db_session, name="李四")
    asset = make_asset(db_session, other)
    r = tk_client.post("/api/tickets", json={"type": "repair", "customer_id": customer.id, "subject": "x",
                                             "asset_id": asset.id})
    assert r.status_code == 422 and r.json()["details"] == {"field": "asset_id"}


def test_ticket_round_trip_create_get_patch_transition_comment_history(tk_client, db_session):
    customer = make_customer(db_session, tier="gold")
    asset = make_asset(db_session, customer)
    call = make_interaction(db_session, customer)
    r = tk_client.post("/api/tickets", json={
        "type": "repair", "customer_id": customer.id, "subject": "空调不制冷", "asset_id": asset.id,
        "fault": "no cooling", "appointment_start": "2026-11-03T02:00:00Z",
        "appointment_end": "2026-11-03T04:00:00+00:00", "interaction_id": call.id,
    })
    assert r.status_code == 201, r.text
    created = r.json()
    number = created["number"]
    assert number.startswith("REP-") and created["team"] == "repairs" and created["status"] == "assigned"
    assert created["interaction_ids"] == [call.id]
    assert created["allowed_transitions"] == ["in_progress", "new", "resolved"]

    got = tk_client.get(f"/api/tickets/{number.lower()}").json()
    assert got["id"] == created["id"] and got["subject"] == "空调不制冷"
    assert tk_client.get("/api/tickets/CMP-000000").json()["error_id"] == "no-such-ticket"

    r = tk_client.patch(f"/api/tickets/{number}", json={"technician": "师傅 Zhang", "priority": "urgent"})
    assert r.status_code == 200
    assert (r.json()["priority"], r.json()["technician"]) == ("urgent", "师傅 Zhang")
    r = tk_client.patch(f"/api/tickets/{number}", json={"status": "closed"})
    assert r.status_code == 422 and r.json()["details"]["errors"][0]["field"] == "body.status"

    r = tk_client.post(f"/api/tickets/{number}/transitions", json={"to": "closed"})
    assert r.status_code == 409
    body = r.json()
    assert body["error_id"] == "illegal-transition"
    assert body["details"]["from"] == "assigned" and body["details"]["to"] == "closed"
    assert body["details"]["allowed"] == ["in_progress", "new", "resolved"]
    assert "closed only after it is resolved" in body["message"]
    r = tk_client.post(f"/api/tickets/{number}/transitions", json={"to": "nowhere"})
    assert r.status_code == 422

    tk_client.act_as(Actor(created["assignee"], "agent"))  # the assignee works their own ticket
    r = tk_client.post(f"/api/tickets/{created['id']}/transitions",
                       json={"to": "in_progress", "comment": "on my way"})
    assert r.status_code == 200 and r.json()["status"] == "in_progress"
    assert r.json()["comments"][0]["body"] == "on my way"
    r = tk_client.post(f"/api/tickets/{number}/comments", json={"body": "parts ordered", "internal": True})
    assert r.status_code == 201 and r.json()["internal"] is True
    r = tk_client.post(f"/api/tickets/{number}/transitions", json={"to": "resolved"})
    assert r.json()["resolved_at"] is not None

    history = tk_client.get(f"/api/tickets/{number}/history").json()
    fields = [(h["field"], h["actor"]) for h in history]
    assert fields[0] == ("created", "agent_wang")
    assert ("priority", "agent_wang") in fields and ("technician", "agent_wang") in fields
    assert [(h["old_value"], h["new_value"]) for h in history if h["field"] == "status"] == [
        ("assigned", "in_progress"), ("in_progress", "resolved")]


def test_list_with_filters_and_pagination(tk_client, db_session):
    customer = make_customer(db_session)
    numbers = []
    for i in range(3):
        r = tk_client.post("/api/tickets", json={"type": "inquiry", "customer_id": customer.id,
                                                 "subject": f"退款 {i}", "assignee": "agent_liu"})
        numbers.append(r.json()["number"])
    r = tk_client.get("/api/tickets", params={"customer_id": customer.id, "limit": 2})
    page = r.json()
    assert page["total"] == 3 and page["limit"] == 2 and len(page["items"]) == 2
    r = tk_client.get("/api/tickets", params={"customer_id": customer.id, "limit": 2, "offset": 2})
    assert len(r.json()["items"]) == 1
    r = tk_client.get("/api/tickets", params=[("customer_id", customer.id), ("status", "assigned"),
                                              ("status", "new"), ("q", "退款 1")])
    assert [t["number"] for t in r.json()["items"]] == [numbers[1]]
    tk_client.act_as(Actor("agent_liu", "agent"))
    r = tk_client.get("/api/tickets", params={"assignee": "me", "customer_id": customer.id})
    assert r.json()["total"] == 3
    r = tk_client.get("/api/tickets", params={"overdue": "true", "customer_id": customer.id})
    assert r.json()["total"] == 0
    assert tk_client.get("/api/tickets", params={"limit": 0}).status_code == 422
    assert tk_client.get("/api/tickets", params={"priority": "asap"}).status_code == 422


def test_link_interaction_and_notifications(tk_client, db_session):
    customer = make_customer(db_session)
    liu = make_agent(db_session, f"agent_liu_{uuid.uuid4().hex[:8]}")
    r = tk_client.post("/api/tickets", json={"type": "inquiry", "customer_id": customer.id, "subject": "x",
                                             "assignee": liu})
    ticket_id = r.json()["id"]
    mail = make_interaction(db_session, customer, channel="email")
    r = tk_client.post(f"/api/tickets/{ticket_id}/interactions/{mail.id}")
    assert r.status_code == 200 and r.json()["interaction_ids"] == [mail.id]
    assert tk_client.post(f"/api/tickets/{ticket_id}/interactions/999999999").status_code == 404

    tk_client.act_as(Actor(liu, "agent"))
    inbox = tk_client.get("/api/notifications", params={"unread": "true"}).json()
    assert inbox["total"] == 1 and inbox["items"][0]["kind"] == "ticket_assigned"
    note_id = inbox["items"][0]["id"]
    tk_client.act_as(Actor(f"agent_wang_{uuid.uuid4().hex[:8]}", "agent"))
    assert tk_client.get("/api/notifications").json()["total"] == 0
    assert tk_client.post(f"/api/notifications/{note_id}/read").status_code == 404
    tk_client.act_as(Actor(liu, "agent"))
    assert tk_client.post(f"/api/notifications/{note_id}/read").json()["read_at"] is not None
    assert tk_client.post("/api/notifications/read-all").json() == {"marked": 0}


def test_follow_ups_list_and_complete(tk_client, db_session):
    customer = make_customer(db_session)
    r = tk_client.post("/api/tickets", json={"type": "repair", "customer_id": customer.id, "subject": "x"})
    ticket = r.json()
    task = FollowUpTask(ticket_id=ticket["id"], customer_id=customer.id, kind="call", status="pending",
                        due_at=utcnow() - timedelta(hours=1), assignee=ticket["assignee"], created_at=T0)
    db_session.add(task)
    db_session.flush()
    tk_client.act_as(Actor(ticket["assignee"], "agent"))
    due = tk_client.get("/api/follow-ups", params={"assignee": "me", "due": "true",
                                                   "customer_id": customer.id}).json()
    assert [t["id"] for t in due["items"]] == [task.id]
    r = tk_client.post(f"/api/follow-ups/{task.id}/complete", json={"outcome": "ok", "satisfaction": 6})
    assert r.status_code == 422 and r.json()["details"]["errors"][0]["field"] == "body.satisfaction"
    r = tk_client.post(f"/api/follow-ups/{task.id}/complete", json={"outcome": "works again",
                                                                    "satisfaction": 4})
    assert r.status_code == 200 and r.json()["status"] == "done" and r.json()["satisfaction"] == 4
    r = tk_client.post(f"/api/follow-ups/{task.id}/complete", json={"outcome": "again"})
    assert r.status_code == 409 and r.json()["error_id"] == "follow-up-closed"
    listed = tk_client.get(f"/api/tickets/{ticket['number']}/follow-ups").json()
    assert [(t["id"], t["satisfaction"]) for t in listed] == [(task.id, 4)]
    assert tk_client.get("/api/follow-ups", params={"status": "any", "customer_id": customer.id}
                         ).json()["total"] == 1


def test_detail_comments_and_interactions_in_order_and_list_totals(tk_client, db_session):
    customer = make_customer(db_session)
    liu = make_agent(db_session, f"agent_liu_{uuid.uuid4().hex[:8]}")
    later = make_interaction(db_session, customer, started_at=T0 + timedelta(hours=2))
    earlier = make_interaction(db_session, customer, started_at=T0)
    r = tk_client.post("/api/tickets", json={"type": "inquiry", "customer_id": customer.id, "subject": "x",
                                             "assignee": liu, "interaction_id": later.id})
    assert r.status_code == 201 and r.json()["comments"] == [] and r.json()["interaction_ids"] == [later.id]
    number = r.json()["number"]
    linked = tk_client.post(f"/api/tickets/{number}/interactions/{earlier.id}").json()["interaction_ids"]
    assert sorted(linked) == sorted([earlier.id, later.id])
    for body in ("第一 first", "second"):
        assert tk_client.post(f"/api/tickets/{number}/comments", json={"body": body}).status_code == 201
    tk_client.act_as(Actor(liu, "agent"))
    r = tk_client.post(f"/api/tickets/{number}/transitions", json={"to": "in_progress", "comment": "third"})
    detail = r.json()
    assert [c["body"] for c in detail["comments"]] == ["第一 first", "second", "third"]
    assert all(c["ticket_id"] == detail["id"] and c["author"] for c in detail["comments"])
    assert detail["interaction_ids"] == [earlier.id, later.id]
    assert tk_client.get(f"/api/tickets/{number}").json() == {**detail}

    for i in range(2):
        tk_client.post("/api/tickets", json={"type": "inquiry", "customer_id": customer.id,
                                             "subject": f"y{i}", "assignee": liu})
    # A short page tells the total; a full page, or one past the end, has it counted: the same answer.
    pages = {(limit, offset): tk_client.get("/api/tickets", params={
        "customer_id": customer.id, "limit": limit, "offset": offset}).json()
        for limit, offset in ((5, 0), (3, 0), (2, 0), (2, 2), (2, 3), (2, 9))}
    assert {key: page["total"] for key, page in pages.items()} == dict.fromkeys(pages, 3)
    assert [len(page["items"]) for page in pages.values()] == [3, 3, 2, 1, 0, 0]
    assert [t["subject"] for t in pages[5, 0]["items"]] == ["y1", "y0", "x"]
