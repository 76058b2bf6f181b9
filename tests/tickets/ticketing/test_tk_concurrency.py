"""Ticket numbers stay unique when many requests create tickets at once (real committed transactions)."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import delete, select

from tests.tickets.ticketing.crm_data import make_agent, make_customer
from tickets.actors import Actor
from tickets.db import create_engine, session_factory, unit_of_work
from tickets.models import Customer, Ticket
from tickets.ticketing import service
from tickets.ticketing.schemas import TicketCreate
from tickets.users.models import User


def test_concurrent_creates_get_distinct_numbers(db_url, rules):
    engine = create_engine(db_url)  # the engine the app uses, not the rolled-back test connection
    factory = session_factory(engine)
    with unit_of_work(factory) as session:
        customer_id = make_customer(session, name="并发 probe").id
        if session.scalar(select(User.id).where(User.username == "concurrency_probe")) is None:
            make_agent(session, "concurrency_probe")
    kinds = ["inquiry", "repair", "complaint"]

    def create(i: int) -> str:
        kind = kinds[i % 3]
        data = TicketCreate.model_validate({
            "type": kind, "customer_id": customer_id, "subject": f"concurrent {i}",
            "assignee": "concurrency_probe", **({"severity": "low"} if kind == "complaint" else {}),
        })
        with unit_of_work(factory) as session:
            return service.create_ticket(session, actor=Actor("agent_wang", "agent"), data=data,
                                         rules=rules).number

    try:
        with ThreadPoolExecutor(max_workers=6) as pool:
            numbers = list(pool.map(create, range(60)))
        assert len(set(numbers)) == 60
        assert all(re.fullmatch(r"(INQ|REP|CMP)-\d{6,}", n) for n in numbers)
        ids = sorted(int(n.split("-")[1]) for n in numbers)
        assert len(set(ids)) == 60
    finally:
        with unit_of_work(factory) as session:
            session.execute(delete(Ticket).where(Ticket.customer_id == customer_id))
            session.execute(delete(Customer).where(Customer.id == customer_id))
        engine.dispose()
