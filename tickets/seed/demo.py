"""``seed_demo``: a realistic demo CRM built through the real services.

Customers (the well-known ones of ``tickets.seed.well_known`` plus generated ones), their assets,
half a year of interactions across phone, web and e-mail, tickets of every type in every status
(with comments, audited history, links to the contacts they came from), follow-up call tasks (some
done with a satisfaction score) and SLA escalations, all back-dated relative to ``now``.

Idempotent: when the well-known customer 张三丰 (+8613800138000) exists, nothing is added.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tickets.actors import SYSTEM, Actor
from tickets.assets.schemas import AssetCreate
from tickets.assets.service import create_asset
from tickets.customers.schemas import CustomerCreate
from tickets.customers.service import create_customer, customer_id_for_number
from tickets.interactions.schemas import InteractionCreate
from tickets.interactions.service import create_interaction
from tickets.jobs.escalation import escalate_overdue
from tickets.jobs.follow_ups import create_follow_ups
from tickets.jobs.value import recompute_value_segments
from tickets.models import Asset, Customer, FollowUpTask, Interaction, Ticket, TicketComment
from tickets.seed import names
from tickets.seed.people import DemoPerson, demo_person
from tickets.seed.well_known import WELL_KNOWN, ZHANG_SANFENG_PHONE, KnownCustomer
from tickets.ticketing.follow_ups import complete_follow_up
from tickets.ticketing.schemas import FollowUpComplete, TicketCreate
from tickets.ticketing.service import add_comment, create_ticket, transition_ticket
from tickets.workflow.rules import WorkflowRules, load_rules
from tickets.workflow.vocab import Status

DEFAULT_SEED = 20261122
STATUSES = ("new", "assigned", "in_progress", "pending_customer", "resolved", "closed")
TYPES = ("inquiry", "repair", "complaint")
KNOWN_ASSETS_BY_TIER = {"vip": 6, "gold": 2, "silver": 1, "standard": 0}
QUEUES = ("sales", "support", "repairs", "complaints", "vip")
DISPOSITIONS = ("resolved", "info_given", "callback", "ticket_created", "transferred")
FAULTS = ("不制冷 not cooling", "漏水 leaking", "无法开机 will not power on", "噪音大 loud noise",
          "显示错误代码 E4 error code E4", "屏幕闪烁 screen flicker")
SUBJECTS = {
    "inquiry": ("保修期咨询 Warranty question", "发票开具 Invoice request", "安装预约 Installation booking",
                "会员积分 Loyalty points", "产品使用方法 How to use"),
    "repair": ("空调不制冷 AC not cooling", "洗衣机漏水 Washer leaking", "电视无法开机 TV will not start",
               "冰箱噪音大 Fridge noisy", "笔记本屏幕闪烁 Laptop screen flicker"),
    "complaint": ("维修师傅迟到 Technician late", "配件收费不合理 Unfair parts charge",
                  "客服态度差 Rude service", "重复维修未解决 Repeated repair failed",
                  "送货延误 Late delivery"),
}


@dataclass
class SeedSummary:
    already_seeded: bool = False
    customers: int = 0
    contact_points: int = 0
    assets: int = 0
    interactions: int = 0
    tickets: int = 0
    tickets_by_status: dict[str, int] = field(default_factory=dict)
    tickets_by_type: dict[str, int] = field(default_factory=dict)
    comments: int = 0
    follow_ups: int = 0
    escalated: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def is_seeded(session: Session) -> bool:
    return customer_id_for_number(session, number=ZHANG_SANFENG_PHONE) is not None


class _Seeder:
    def __init__(self, session: Session, *, now: datetime, rng: random.Random, rules: WorkflowRules):
        self.session, self.now, self.rng, self.rules = session, now, rng, rules
        self.agents = sorted({m for team in rules.teams for m in team.members}) or ["agent"]
        self.call_seq = 0

    def ago(self, max_days: float, min_days: float = 0.0) -> datetime:
        return self.now - timedelta(seconds=self.rng.uniform(min_days * 86400, max_days * 86400))

    def agent(self) -> Actor:
        return Actor(self.rng.choice(self.agents), "agent")

    # -- customers ----------------------------------------------------------------------------------

    def customer(self, person: DemoPerson | KnownCustomer, *, created: datetime) -> Customer:
        if isinstance(person, KnownCustomer):
            data: dict[str, Any] = {
                "display_name": person.display_name, "company": person.company, "tier": person.tier,
                "preferred_language": person.language, "tags": list(person.tags), "notes": person.notes,
                "phones": list(person.phones), "emails": list(person.emails),
            }
        else:
            data = {
                "display_name": person.display_name, "company": person.company, "tier": person.tier,
                "preferred_language": person.language, "phones": [p for p, _label in person.phones],
                "emails": list(person.emails),
                "tags": ["企业客户"] if person.company and person.language == "zh" else [],
            }
        customer = create_customer(self.session, data=CustomerCreate.model_validate(data), actor=SYSTEM)
        labels = dict(person.phones) if isinstance(person, DemoPerson) else {}
        for cp in customer.contact_points:
            cp.label = labels.get(cp.value, "mobile" if cp.kind == "phone" else "personal")
            cp.created_at = created
        customer.created_at = customer.updated_at = created
        customer.value_score = {"vip": 90.0, "gold": 60.0, "silver": 35.0}.get(customer.tier, 10.0) + round(
            self.rng.uniform(0, 9), 1
        )
        segments = {"vip": "key_account", "gold": "loyal", "silver": "regular"}
        customer.segment = segments.get(customer.tier, "new")
        return customer

    def assets(self, customer: Customer, count: int, address: str) -> list[Asset]:
        out = []
        for _ in range(count):
            product, model = self.rng.choice(names.PRODUCTS)
            bought = (self.now - timedelta(days=self.rng.randint(30, 1400))).date()
            asset = create_asset(self.session, customer_id=customer.id, data=AssetCreate.model_validate({
                "product": product, "model": f"{model}-{self.rng.choice('ABCDEF')}{self.rng.randint(1, 9)}",
                "serial_number": f"SN{bought:%y%m}{self.rng.randrange(10**8):08d}",
                "purchase_date": bought,
                "purchase_amount": Decimal(self.rng.randrange(499, 19999)).quantize(Decimal("1.00")),
                "warranty_end": date(bought.year + self.rng.choice((1, 2, 3)), bought.month,
                                     min(bought.day, 28)),
                "address": address,
            }))
            out.append(asset)
        return out

    # -- interactions -------------------------------------------------------------------------------

    def interaction(self, customer: Customer, *, at: datetime, channel: str | None = None,
                    subject: str | None = None) -> Interaction:
        channel = channel or self.rng.choices(("phone", "web", "email"), weights=(7, 2, 2))[0]
        phones, emails = customer.phones, customer.emails
        if channel == "email" and not emails:
            channel = "phone"
        data: dict[str, Any] = {"channel": channel, "direction": "inbound", "customer_id": customer.id,
                                "started_at": at, "subject": subject}
        if channel == "phone":
            self.call_seq += 1
            wait, talk = self.rng.randint(3, 240), self.rng.randint(40, 900)
            answered = at + timedelta(seconds=wait)
            data.update(
                address=phones[0] if phones else None,
                external_id=f"seed-{int(at.timestamp())}.{self.call_seq}",
                answered_at=answered, ended_at=answered + timedelta(seconds=talk),
                queue=self.rng.choice(QUEUES), agent=self.rng.choice(self.agents),
                ivr_path=self.rng.choice((["main", "1"], ["main", "2", "1"], ["main", "3"], ["main", "0"])),
                wait_seconds=wait, talk_seconds=talk, hold_seconds=self.rng.choice((0, 0, 15, 40)),
                wrapup_seconds=self.rng.randint(10, 90), disposition=self.rng.choice(DISPOSITIONS),
                survey_score=self.rng.choice((None, None, 3, 4, 5, 5)),
                recording_ref=f"recordings/{at:%Y/%m/%d}/seed-{self.call_seq}.wav",
            )
            if self.rng.random() < 0.1:
                data["direction"] = "outbound"
        elif channel == "email":
            data.update(address=emails[0],
                        external_id=f"<seed-{self.call_seq}-{int(at.timestamp())}@example.cn>")
            self.call_seq += 1
        else:
            data.update(address=phones[0] if phones else (emails[0] if emails else None))
        return create_interaction(self.session, data=InteractionCreate.model_validate(data), actor=SYSTEM)

    # -- tickets ------------------------------------------------------------------------------------

    def ticket(self, customer: Customer, assets: list[Asset], *, ticket_type: str, status: str) -> Ticket:
        created = self.ago(60, 1) if status in ("resolved", "closed") else self.ago(20, 0.05)
        contact = self.interaction(customer, at=created - timedelta(minutes=5),
                                   subject=self.rng.choice(SUBJECTS[ticket_type]))
        data: dict[str, Any] = {
            "type": ticket_type, "customer_id": customer.id, "subject": contact.subject,
            "description": f"{contact.subject}。客户来电反映问题，已记录。Customer reported the issue.",
            "channel": contact.channel, "interaction_id": contact.id,
            "priority": self.rng.choice(("low", "normal", "normal", "high")),
        }
        if ticket_type == "repair":
            data["category"] = self.rng.choice(("repair", "repair", "installation"))
            if assets:
                data["asset_id"] = self.rng.choice(assets).id
            data["fault"] = self.rng.choice(FAULTS)
        elif ticket_type == "complaint":
            data["severity"] = self.rng.choice(("low", "medium", "high", "critical"))
            data["category"] = self.rng.choice(("service", "billing", "delivery"))
        else:
            data["category"] = self.rng.choice(("warranty", "billing", "product"))
        actor = self.agent()
        ticket = create_ticket(self.session, actor=actor, data=TicketCreate.model_validate(data),
                               rules=self.rules, now=created)
        self.walk(ticket, status, start=created, actor=actor)
        return ticket

    def walk(self, ticket: Ticket, target: str, *, start: datetime, actor: Actor) -> None:
        """Move the ticket to ``target`` through the workflow, with comments along the way."""
        path: list[Status] = {
            "new": [Status.NEW] if ticket.status != "new" else [],
            "assigned": [Status.ASSIGNED] if ticket.status == "new" else [],
            "in_progress": [Status.IN_PROGRESS],
            "pending_customer": [Status.IN_PROGRESS, Status.PENDING_CUSTOMER],
            "resolved": [Status.IN_PROGRESS, Status.RESOLVED],
            "closed": [Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED],
        }[target]
        if target in ("resolved", "closed") and self.rng.random() < 0.2:  # reopened once, solved again
            path = [Status.IN_PROGRESS, Status.RESOLVED, Status.IN_PROGRESS, *path[1:]]
        end = min(self.now - timedelta(minutes=5), start + timedelta(days=self.rng.uniform(0.2, 5)))
        step = (end - start) / (len(path) + 1)
        at = start
        worker = Actor(ticket.assignee, "agent") if ticket.assignee else self._queue_worker(ticket, actor)
        for to in path:
            at += step
            if to is Status.ASSIGNED and not ticket.assignee:
                ticket.assignee = worker.username  # assigning needs someone to assign to: the worker
            transition_ticket(self.session, actor=worker, ref=ticket.id, to=to, rules=self.rules, now=at,
                              comment=self._comment(to))
            if to is Status.RESOLVED and ticket.type == "repair":
                ticket.technician = ticket.technician or self.rng.choice(("王师傅", "刘师傅", "Tom Baker"))
                ticket.parts_used = self.rng.choice(
                    (["压缩机电容"], ["排水泵", "密封圈"], [], ["主板 mainboard"])
                )
                ticket.appointment_start = at - timedelta(hours=3)
                ticket.appointment_end = at - timedelta(hours=1)
            if to is Status.RESOLVED and ticket.type == "complaint" and self.rng.random() < 0.5:
                ticket.compensation = "赠送延保一年 One year extended warranty"
                ticket.compensation_amount = Decimal("200.00")
        if target == "pending_customer" and self.rng.random() < 0.5:
            add_comment(self.session, actor=Actor("customer", "system"), ref=ticket.id, now=at + step / 2,
                        body="好的，我周末在家。OK, I am home at the weekend.")

    def _queue_worker(self, ticket: Ticket, actor: Actor) -> Actor:
        """Who takes an unassigned ticket: a member of its team (agents work their teams' queues)."""
        team = self.rules.team(ticket.team)
        if team is None or not team.members or actor.username in team.members:
            return actor
        return Actor(team.members[0], "agent")

    def _comment(self, to: Status) -> str | None:
        return {
            Status.IN_PROGRESS: "已联系客户，正在处理。Contacted the customer, working on it.",
            Status.PENDING_CUSTOMER: "等待客户提供购买凭证。Waiting for the customer's receipt.",
            Status.RESOLVED: "问题已解决，客户确认。Solved, the customer confirmed.",
            Status.CLOSED: "回访完成，关闭工单。Closed after the follow-up.",
        }.get(to)


def seed_demo(session: Session, *, now: datetime, rng_seed: int = DEFAULT_SEED, customers: int = 200,
              rules: WorkflowRules | None = None) -> SeedSummary:
    """Fill an empty CRM (flushes; the caller commits). The summary counts what the database holds."""
    if is_seeded(session):
        summary = SeedSummary(already_seeded=True)
        _count(session, summary)
        return summary
    rules = rules or load_rules()
    rng = random.Random(rng_seed)
    seeder = _Seeder(session, now=now, rng=rng, rules=rules)
    seen_values: set[str] = set()
    people: list[DemoPerson | KnownCustomer] = list(WELL_KNOWN)
    for known in WELL_KNOWN:
        seen_values.update(known.phones + known.emails)
    index = 0
    while len(people) < max(customers, len(WELL_KNOWN)):
        index += 1
        generated = demo_person(rng, index)
        values = [p for p, _l in generated.phones] + list(generated.emails)
        if seen_values.intersection(values):
            continue
        seen_values.update(values)
        people.append(generated)

    made: list[tuple[Customer, list[Asset]]] = []
    for person in people:
        customer = seeder.customer(person, created=seeder.ago(1500, 30))
        zh = customer.preferred_language == "zh"
        address = rng.choice(names.ADDRESSES_ZH if zh else names.ADDRESSES_EN)
        if isinstance(person, KnownCustomer):  # enough history to earn their tier in the value job
            n_assets = KNOWN_ASSETS_BY_TIER[person.tier]
        else:
            n_assets = rng.choice((0, 1, 1, 1, 2, 3))
        assets = seeder.assets(customer, n_assets, address)
        for _ in range(rng.randint(1, 5)):
            seeder.interaction(customer, at=seeder.ago(180))
        made.append((customer, assets))

    # Every type in every status, then a random mix; the well-known customers get some of each.
    plan = [(t, s) for t in TYPES for s in STATUSES]
    plan += [(rng.choice(TYPES), rng.choice(STATUSES)) for _ in range(max(0, len(people) // 3))]
    for i, (ticket_type, status) in enumerate(plan):
        customer, assets = made[i % len(WELL_KNOWN)] if i < 2 * len(WELL_KNOWN) else rng.choice(made)
        seeder.ticket(customer, assets, ticket_type=ticket_type, status=status)

    tasks = create_follow_ups(session, now=now, rules=rules)
    for task in tasks[: len(tasks) * 2 // 3]:
        done = rng.random() < 0.85
        caller = Actor(task.assignee, "agent") if task.assignee else seeder.agent()
        complete_follow_up(session, actor=caller, task_id=task.id, now=now, data=FollowUpComplete(
            outcome="客户对处理结果满意。The customer is happy with the result." if done
            else "两次未接通。No answer twice.",
            status="done" if done else "failed", satisfaction=rng.choice((3, 4, 5, 5)) if done else None,
        ))
    escalated = escalate_overdue(session, now=now, rules=rules)
    # Tiers as the value job computes them from this history, so the first job run changes nothing.
    recompute_value_segments(session, now=now, rules=rules)
    session.flush()
    summary = SeedSummary(escalated=len(escalated))
    _count(session, summary)
    return summary


def _count(session: Session, summary: SeedSummary) -> None:
    from tickets.models import ContactPoint

    def n(model: Any) -> int:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)

    summary.customers, summary.contact_points, summary.assets = n(Customer), n(ContactPoint), n(Asset)
    summary.interactions, summary.tickets = n(Interaction), n(Ticket)
    summary.comments, summary.follow_ups = n(TicketComment), n(FollowUpTask)
    summary.tickets_by_status = {s: int(c) for s, c in session.execute(
        select(Ticket.status, func.count()).group_by(Ticket.status).order_by(Ticket.status))}
    summary.tickets_by_type = {t: int(c) for t, c in session.execute(
        select(Ticket.type, func.count()).group_by(Ticket.type).order_by(Ticket.type))}
