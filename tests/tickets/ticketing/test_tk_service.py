"""Ticket use cases against a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.tickets.ticketing.crm_data import T0, make_agent, make_asset, make_customer, make_interaction
from tickets.actors import Actor
from tickets.errors import Conflict, InvalidInput, NotFound
from tickets.models import FollowUpTask, Notification, TicketComment
from tickets.ticketing import service
from tickets.ticketing.follow_ups import complete_follow_up, list_follow_ups
from tickets.ticketing.notifications import list_notifications, mark_all_read, mark_read
from tickets.ticketing.schemas import FollowUpComplete, TicketCreate, TicketUpdate
from tickets.ticketing.service import TicketQuery
from tickets.workflow.domain import IllegalTransition
from tickets.workflow.vocab import Status, TicketType


def create(session, actor, rules, now=T0, **fields):
    return service.create_ticket(session, actor=actor, data=TicketCreate.model_validate(fields),
                                 rules=rules, now=now)


def test_given_inquiry_when_created_then_numbered_routed_least_loaded_and_audited(db_session, agent,
                                                                                   unique_rules):
    rules, u = unique_rules.rules, unique_rules.u
    customer = make_customer(db_session)
    busy = create(db_session, agent, rules, type="inquiry", customer_id=customer.id, subject="发票问题",
                  assignee=u("agent_wang"))
    ticket = create(db_session, agent, rules, type="inquiry", customer_id=customer.id, subject="Hours")
    assert re.fullmatch(r"INQ-\d{6}", ticket.number) and ticket.number.endswith(f"{ticket.id:06d}")
    assert busy.number != ticket.number
    assert (ticket.team, ticket.assignee, ticket.status) == (u("service"), u("agent_zhang"), "assigned")
    assert ticket.priority == "normal"
    assert ticket.sla_due_at == T0 + timedelta(hours=48)
    assert ticket.created_by == "agent_wang"
    [created] = service.ticket_history(db_session, ref=ticket.number.lower())
    assert (created.field, created.actor, created.at) == ("created", "agent_wang", T0)
    assert created.new_value is not None
    assert f'"assignee": "{u("agent_zhang")}"' in created.new_value
    note = db_session.scalars(select(Notification).where(Notification.ticket_id == ticket.id)).one()
    assert (note.recipient, note.kind) == (u("agent_zhang"), "ticket_assigned")


def test_critical_complaint_of_vip_is_urgent_goes_to_complaints_with_vip_sla(db_session, agent, rules):
    customer = make_customer(db_session, tier="vip")
    ticket = create(db_session, agent, rules, type="complaint", customer_id=customer.id, subject="服务态度差",
                    severity="critical", priority="low")
    assert (ticket.priority, ticket.team, ticket.severity) == ("urgent", "complaints", "critical")
    assert ticket.sla_due_at == T0 + timedelta(hours=4 * 0.5)
    vip_inquiry = create(db_session, agent, rules, type="inquiry", customer_id=customer.id, subject="q")
    assert vip_inquiry.priority == "high"


def test_repairs_rotate_round_robin_and_installation_waits_in_the_team_queue(db_session, agent, unique_rules):
    rules, u = unique_rules.rules, unique_rules.u
    customer = make_customer(db_session)
    asset = make_asset(db_session, customer)
    first = create(db_session, agent, rules, type="repair", customer_id=customer.id, subject="漏水",
                   asset_id=asset.id, fault="water leak", parts_used=["valve"])
    second = create(db_session, agent, rules, type="repair", customer_id=customer.id, subject="noise")
    third = create(db_session, agent, rules, type="repair", customer_id=customer.id, subject="x")
    zhao, sun = u("agent_zhao"), u("agent_sun")
    assert [first.assignee, second.assignee, third.assignee] == [zhao, sun, zhao]
    assert first.asset_id == asset.id and first.parts_used == ["valve"]
    install = create(db_session, agent, rules, type="repair", customer_id=customer.id, subject="install",
                     category="installation")
    assert (install.team, install.assignee, install.status) == (u("installers"), None, "new")


def test_repair_naming_another_customers_asset_or_unknown_team_is_refused(db_session, agent, rules):
    owner, other = make_customer(db_session), make_customer(db_session, name="李四")
    asset = make_asset(db_session, owner)
    with pytest.raises(InvalidInput) as err:
        create(db_session, agent, rules, type="repair", customer_id=other.id, subject="x", asset_id=asset.id)
    assert err.value.details["field"] == "asset_id"
    with pytest.raises(InvalidInput) as err:
        create(db_session, agent, rules, type="inquiry", customer_id=other.id, subject="x", team="ghosts")
    assert err.value.details["field"] == "team"
    with pytest.raises(InvalidInput) as err:
        create(db_session, agent, rules, type="inquiry", customer_id=987654321, subject="x")
    assert err.value.details["field"] == "customer_id"


def test_ticket_for_a_merged_customer_lands_on_the_survivor(db_session, agent, rules):
    survivor = make_customer(db_session)
    duplicate = make_customer(db_session)
    duplicate.merged_into_id = survivor.id
    db_session.flush()
    ticket = create(db_session, agent, rules, type="inquiry", customer_id=duplicate.id, subject="x")
    assert ticket.customer_id == survivor.id


def test_list_filters_search_overdue_and_pagination(db_session, agent, rules):
    customer = make_customer(db_session, name="王五")
    other = make_customer(db_session)
    tickets = [create(db_session, agent, rules, now=T0 + timedelta(minutes=i), type="inquiry",
                      customer_id=customer.id, subject=f"Question {i} about 100% refunds")
               for i in range(5)]
    create(db_session, agent, rules, type="complaint", customer_id=other.id, subject="噪音", severity="low")
    page, total = service.list_tickets(db_session, query=TicketQuery(customer_id=customer.id), limit=2,
                                       offset=0, now=T0)
    assert total == 5 and [t.id for t in page] == [tickets[4].id, tickets[3].id]
    page, total = service.list_tickets(db_session, query=TicketQuery(customer_id=customer.id), limit=2,
                                       offset=4, now=T0)
    assert total == 5 and [t.id for t in page] == [tickets[0].id]
    _, total = service.list_tickets(db_session, query=TicketQuery(q="100% REFUNDS", customer_id=customer.id))
    assert total == 5
    _, total = service.list_tickets(db_session, query=TicketQuery(q="50%", customer_id=customer.id))
    assert total == 0
    found, _ = service.list_tickets(db_session, query=TicketQuery(q=tickets[2].number.lower()))
    assert [t.id for t in found] == [tickets[2].id]
    complaints = TicketQuery(type=TicketType.COMPLAINT, customer_id=other.id)
    _, total = service.list_tickets(db_session, query=complaints)
    assert total == 1
    later = T0 + timedelta(hours=48, minutes=2, seconds=30)
    service.transition_ticket(db_session, actor=agent, ref=tickets[0].id, to=Status.RESOLVED, rules=rules,
                              now=T0 + timedelta(hours=1))
    overdue, total = service.list_tickets(
        db_session, query=TicketQuery(customer_id=customer.id, overdue=True), now=later)
    assert {t.id for t in overdue} == {tickets[1].id, tickets[2].id}
    _, total = service.list_tickets(db_session, query=TicketQuery(customer_id=customer.id, overdue=False),
                                    now=later)
    assert total == 3
    _, total = service.list_tickets(
        db_session, query=TicketQuery(customer_id=customer.id, status=(Status.RESOLVED,)))
    assert total == 1


def test_lifecycle_with_audit_pause_reopen_and_illegal_moves(db_session, agent, rules):
    customer = make_customer(db_session)
    ticket = create(db_session, agent, rules, type="inquiry", customer_id=customer.id, subject="x",
                    category="installation")  # inquiries have no installation rule: service team
    ref = ticket.number
    with pytest.raises(IllegalTransition) as err:
        service.transition_ticket(db_session, actor=agent, ref=ref, to=Status.CLOSED, rules=rules, now=T0)
    assert err.value.details["from"] == "assigned" and err.value.status_code == 409
    due = ticket.sla_due_at
    service.transition_ticket(db_session, actor=agent, ref=ref, to=Status.IN_PROGRESS, rules=rules,
                              now=T0 + timedelta(hours=1), comment="calling the customer")
    service.transition_ticket(db_session, actor=agent, ref=ref, to=Status.PENDING_CUSTOMER, rules=rules,
                              now=T0 + timedelta(hours=2))
    service.transition_ticket(db_session, actor=agent, ref=ref, to=Status.IN_PROGRESS, rules=rules,
                              now=T0 + timedelta(hours=12))
    assert ticket.sla_due_at == due + timedelta(hours=10)
    assert ticket.first_response_at == T0 + timedelta(hours=1)
    service.transition_ticket(db_session, actor=agent, ref=ref, to=Status.RESOLVED, rules=rules,
                              now=T0 + timedelta(hours=13))
    service.transition_ticket(db_session, actor=agent, ref=ref, to=Status.CLOSED, rules=rules,
                              now=T0 + timedelta(hours=14))
    assert ticket.closed_at == T0 + timedelta(hours=14)
    reopen_at = T0 + timedelta(days=2)
    service.transition_ticket(db_session, actor=agent, ref=ref, to=Status.IN_PROGRESS, rules=rules,
                              now=reopen_at)
    assert (ticket.status, ticket.reopened_count, ticket.resolved_at, ticket.closed_at) == (
        "in_progress", 1, None, None)
    assert ticket.sla_due_at == reopen_at + timedelta(hours=48)
    statuses = [(c.old_value, c.new_value) for c in service.ticket_history(db_session, ref=ref)
                if c.field == "status"]
    assert statuses == [("assigned", "in_progress"), ("in_progress", "pending_customer"),
                        ("pending_customer", "in_progress"), ("in_progress", "resolved"),
                        ("resolved", "closed"), ("closed", "in_progress")]
    comments = db_session.scalars(select(TicketComment).where(TicketComment.ticket_id == ticket.id)).all()
    assert [c.body for c in comments] == ["calling the customer"]


def test_agent_taking_an_unassigned_ticket_becomes_its_assignee(db_session, agent, rules):
    customer = make_customer(db_session)
    ticket = create(db_session, agent, rules, type="repair", customer_id=customer.id, subject="install",
                    category="installation")
    unassigned = ticket.assignee
    assert unassigned is None
    service.transition_ticket(db_session, actor=Actor("agent_sun", "agent"), ref=ticket.id,
                              to=Status.IN_PROGRESS, rules=rules, now=T0)
    assert (ticket.status, ticket.assignee) == ("in_progress", "agent_sun")


def test_update_audits_each_field_and_priority_moves_the_sla(db_session, agent, supervisor, rules):
    customer = make_customer(db_session)
    ticket = create(db_session, agent, rules, type="complaint", customer_id=customer.id, subject="x",
                    severity="medium")
    assert ticket.priority == "high" and ticket.sla_due_at == T0 + timedelta(hours=24)
    later = T0 + timedelta(hours=1)
    service.update_ticket(db_session, actor=supervisor, ref=ticket.id, rules=rules, now=later,
                          data=TicketUpdate(severity="critical", compensation="voucher",
                                            compensation_amount="200.00"))
    assert ticket.priority == "urgent" and ticket.sla_due_at == T0 + timedelta(hours=4)
    changes = {c.field: (c.old_value, c.new_value, c.actor)
               for c in service.ticket_history(db_session, ref=ticket.id)}
    assert changes["severity"] == ("medium", "critical", "sup_li")
    assert changes["priority"] == ("high", "urgent", "sup_li")
    assert changes["compensation_amount"] == (None, "200.00", "sup_li")
    with pytest.raises(InvalidInput) as err:
        service.update_ticket(db_session, actor=agent, ref=ticket.id, rules=rules,
                              data=TicketUpdate(fault="broken"))
    assert err.value.details == {"field": "fault"}
    with pytest.raises(InvalidInput) as err:
        service.update_ticket(db_session, actor=agent, ref=ticket.id, rules=rules,
                              data=TicketUpdate.model_validate({"severity": None}))
    assert err.value.details == {"field": "severity"}


def test_assignee_edits_drive_the_status(db_session, agent, rules):
    zhao = make_agent(db_session, f"agent_zhao_{uuid.uuid4().hex[:8]}")
    customer = make_customer(db_session)
    ticket = create(db_session, agent, rules, type="repair", customer_id=customer.id, subject="install",
                    category="installation")
    service.update_ticket(db_session, actor=agent, ref=ticket.id, rules=rules,
                          data=TicketUpdate(assignee="agent_sun"))
    assert (ticket.status, ticket.assignee) == ("assigned", "agent_sun")
    service.update_ticket(db_session, actor=agent, ref=ticket.id, rules=rules,
                          data=TicketUpdate.model_validate({"assignee": None}))
    assert (ticket.status, ticket.assignee) == ("new", None)
    service.transition_ticket(db_session, actor=agent, ref=ticket.id, to=Status.IN_PROGRESS, rules=rules)
    with pytest.raises(InvalidInput):
        service.update_ticket(db_session, actor=agent, ref=ticket.id, rules=rules,
                              data=TicketUpdate.model_validate({"assignee": None}))
    service.update_ticket(db_session, actor=agent, ref=ticket.id, rules=rules,
                          data=TicketUpdate(assignee=zhao))
    assert (ticket.status, ticket.assignee) == ("in_progress", zhao)
    notes, _ = list_notifications(db_session, actor=Actor(zhao, "agent"))
    assert [n.kind for n in notes] == ["ticket_assigned"]


def test_comments_and_interaction_links(db_session, agent, rules):
    customer, other = make_customer(db_session), make_customer(db_session)
    call = make_interaction(db_session, customer)
    ticket = create(db_session, agent, rules, type="repair", customer_id=customer.id, subject="x",
                    category="installation", interaction_id=call.id)
    assert [i.id for i in ticket.interactions] == [call.id]
    service.add_comment(db_session, actor=agent, ref=ticket.id, body="内部备注", internal=True, now=T0)
    assert ticket.first_response_at is None
    service.add_comment(db_session, actor=agent, ref=ticket.id, body="We called you", now=T0)
    assert ticket.first_response_at == T0
    second = make_interaction(db_session, None, channel="email")
    service.link_interaction(db_session, actor=agent, ref=ticket.id, interaction_id=second.id)
    service.link_interaction(db_session, actor=agent, ref=ticket.id, interaction_id=second.id)
    assert sorted(i.id for i in ticket.interactions) == sorted([call.id, second.id])
    assert [c.field for c in service.ticket_history(db_session, ref=ticket.id)].count("interaction") == 1
    with pytest.raises(Conflict):
        service.link_interaction(db_session, actor=agent, ref=ticket.id,
                                 interaction_id=make_interaction(db_session, other).id)
    with pytest.raises(NotFound):
        service.link_interaction(db_session, actor=agent, ref=ticket.id, interaction_id=10**9)
    with pytest.raises(NotFound):
        service.get_ticket(db_session, ref="REP-999999999")


@pytest.mark.parametrize("ref", ["²²²²²²²²²", "٣٣٣٣٣٣٣٣٣", "⑨⑨⑨⑨⑨⑨⑨⑨⑨"])
def test_a_reference_of_non_ascii_digits_is_not_found_not_a_crash(db_session, ref):
    # str.isdigit() is true for superscripts and other scripts' digits; int() refuses some of them.
    with pytest.raises(NotFound):
        service.get_ticket(db_session, ref=ref)


def test_full_width_ticket_references_find_the_ticket(db_session, agent, rules):
    ticket = create(db_session, agent, rules, type="inquiry", customer_id=make_customer(db_session).id,
                    subject="全角编号")
    wide = str.maketrans("0123456789-ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                         "０１２３４５６７８９－ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ")
    assert service.get_ticket(db_session, ref=ticket.number.translate(wide)).id == ticket.id
    assert service.get_ticket(db_session, ref=str(ticket.id).translate(wide)).id == ticket.id


def test_follow_up_completion_records_outcome_and_satisfaction(db_session, agent, rules):
    customer = make_customer(db_session)
    ticket = create(db_session, agent, rules, type="repair", customer_id=customer.id, subject="x")
    task = FollowUpTask(ticket_id=ticket.id, customer_id=customer.id, kind="call", due_at=T0,
                        status="pending", assignee="agent_zhao", created_at=T0)
    db_session.add(task)
    db_session.flush()
    pending, total = list_follow_ups(db_session, due_before=T0, assignee="agent_zhao")
    assert total == 1 and pending[0].id == task.id
    call = make_interaction(db_session, customer, channel="phone")
    complete_follow_up(db_session, actor=agent, task_id=task.id, now=T0 + timedelta(hours=1),
                       data=FollowUpComplete(outcome="fixed, customer happy", satisfaction=5,
                                             interaction_id=call.id))
    assert (task.status, task.satisfaction, task.completed_at) == ("done", 5, T0 + timedelta(hours=1))
    assert call.survey_score == 5 and call in ticket.interactions
    follow_up = [c for c in service.ticket_history(db_session, ref=ticket.id) if c.field == "follow_up"]
    assert len(follow_up) == 1 and follow_up[0].new_value is not None
    assert '"satisfaction": 5' in follow_up[0].new_value
    notes = db_session.scalars(select(TicketComment).where(TicketComment.ticket_id == ticket.id)).all()
    assert [(n.internal, n.body) for n in notes] == [
        (True, "Follow-up call done: fixed, customer happy, satisfaction 5/5")]
    with pytest.raises(Conflict):
        complete_follow_up(db_session, actor=agent, task_id=task.id, data=FollowUpComplete(outcome="again"))
    _, total = list_follow_ups(db_session, ticket_id=ticket.id)
    assert total == 0


def test_reopen_cancels_pending_follow_ups(db_session, agent, rules):
    customer = make_customer(db_session)
    ticket = create(db_session, agent, rules, type="repair", customer_id=customer.id, subject="x")
    service.transition_ticket(db_session, actor=agent, ref=ticket.id, to=Status.RESOLVED, rules=rules)
    task = FollowUpTask(ticket_id=ticket.id, customer_id=customer.id, kind="call", due_at=T0,
                        status="pending", created_at=T0)
    db_session.add(task)
    db_session.flush()
    service.transition_ticket(db_session, actor=agent, ref=ticket.id, to=Status.IN_PROGRESS, rules=rules)
    assert task.status == "cancelled" and task.notes == "ticket reopened"


def test_notifications_are_private_and_marked_read(db_session, agent, rules):
    customer = make_customer(db_session)
    liu = Actor(make_agent(db_session, f"agent_liu_{uuid.uuid4().hex[:8]}"), "agent")
    create(db_session, agent, rules, type="inquiry", customer_id=customer.id, subject="a",
           assignee=liu.username)
    create(db_session, agent, rules, type="inquiry", customer_id=customer.id, subject="b",
           assignee=liu.username)
    notes, total = list_notifications(db_session, actor=liu, unread_only=True)
    assert total == 2
    with pytest.raises(NotFound):
        mark_read(db_session, actor=agent, notification_id=notes[0].id)
    mark_read(db_session, actor=liu, notification_id=notes[0].id, now=T0)
    assert list_notifications(db_session, actor=liu, unread_only=True)[1] == 1
    assert mark_all_read(db_session, actor=liu, now=T0) == 1
    assert list_notifications(db_session, actor=liu, unread_only=True)[1] == 0
