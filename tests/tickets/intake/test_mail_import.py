"""The e-mail importer against a real maildir and a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import mailbox
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tickets.actors import Actor
from tickets.customers.schemas import CustomerCreate
from tickets.customers.service import create_customer
from tickets.intake.importer import import_mail
from tickets.models import ContactPoint, Customer, Interaction, Ticket, TicketComment
from tickets.ticketing.schemas import TicketCreate
from tickets.ticketing.service import create_ticket, get_ticket, transition_ticket
from tickets.workflow.rules import WorkflowRules, load_rules
from tickets.workflow.vocab import Status, TicketType

DATA = Path(__file__).parent / "data"
AGENT = Actor("agent_zhao", "agent")


@pytest.fixture(scope="module")
def rules() -> WorkflowRules:
    return load_rules()


def new_maildir(tmp_path: Path, *names_or_bytes: str | bytes) -> Path:
    root = tmp_path / "Maildir"
    root.parent.mkdir(parents=True, exist_ok=True)
    md = mailbox.Maildir(root, factory=None, create=True)
    for item in names_or_bytes:
        md.add(item if isinstance(item, bytes) else (DATA / item).read_bytes())
    return root


def holder(session: Session, address: str) -> int | None:
    return session.scalar(select(ContactPoint.customer_id).where(ContactPoint.value == address))


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_given_a_maildir_then_each_message_becomes_customer_interaction_and_typed_ticket(
    tmp_path: Path, db_sessionmaker: sessionmaker[Session], rules: WorkflowRules
) -> None:
    root = new_maildir(
        tmp_path, "foxmail_gbk_repair.eml", "outlook_qp_complaint.eml", "gb18030_8bit_no_msgid.eml",
        "malformed_no_from.eml",
    )
    report = import_mail(root, db_sessionmaker, rules=rules)
    assert report.outcomes == {"ticket": 3}
    assert [reason for _n, reason in report.failed] == ["no From header"]
    assert len(list((root / ".failed" / "cur").iterdir())) == 1
    assert all(name.endswith(":2,S") for name in (p.name for p in (root / "cur").iterdir()))

    with db_sessionmaker() as session:
        by_sender = {
            i.address: i for i in session.scalars(select(Interaction).where(Interaction.channel == "email"))
        }
        repair = by_sender["wangzhe@example.cn"]
        assert repair.external_id == "<202611220913580123456@example.cn>"
        assert repair.subject == "空调不制冷，申请维修"
        assert repair.direction == "inbound"
        customer = session.get(Customer, repair.customer_id)
        assert customer is not None and customer.display_name == "王喆"
        assert customer.preferred_language == "zh"
        assert customer.emails == ["wangzhe@example.cn"]
        emailed = session.scalars(select(Ticket).where(Ticket.channel == "email"))
        tickets: dict[int | None, Ticket] = {t.customer_id: t for t in emailed}
        assert tickets[customer.id].type == "repair"
        assert tickets[customer.id].number.startswith("REP-")
        assert [i.id for i in tickets[customer.id].interactions] == [repair.id]

        complaint = tickets[by_sender["lina.1988@example.com"].customer_id]
        assert (complaint.type, complaint.severity, complaint.team) == ("complaint", "medium", "complaints")
        assert complaint.description is not None and "发票.pdf" in complaint.description

        inquiry = tickets[by_sender["zhaomin@example.cn"].customer_id]
        assert inquiry.type == "inquiry" and inquiry.subject == "保修期咨询"

        before = (count(session, Customer), count(session, Interaction), count(session, Ticket))

    # The same messages delivered again (a re-run after a crash, a copied folder): nothing new.
    again = new_maildir(tmp_path / "again", "foxmail_gbk_repair.eml", "outlook_qp_complaint.eml",
                        "gb18030_8bit_no_msgid.eml")
    assert import_mail(again, db_sessionmaker, rules=rules).outcomes == {"duplicate": 3}
    with db_sessionmaker() as session:
        assert (count(session, Customer), count(session, Interaction), count(session, Ticket)) == before


def test_given_a_reply_naming_a_ticket_then_it_lands_as_a_comment_and_resumes_the_ticket(
    tmp_path: Path, db_sessionmaker: sessionmaker[Session], rules: WorkflowRules
) -> None:
    with db_sessionmaker() as session:
        alice = create_customer(session, data=CustomerCreate.model_validate({
            "display_name": "Alice Johnson", "preferred_language": "en",
            "phones": ["+14155552671"], "emails": ["Alice.Johnson@example.com"],
        }))
        ticket = create_ticket(session, actor=AGENT, rules=rules, data=TicketCreate.model_validate({
            "type": "repair", "customer_id": alice.id, "subject": "Dishwasher leaks", "channel": "phone",
        }))
        for status in (Status.IN_PROGRESS, Status.PENDING_CUSTOMER):
            transition_ticket(session, actor=AGENT, ref=ticket.id, to=status, rules=rules)
        session.commit()
        number, alice_id = ticket.number, alice.id

    raw = (DATA / "reply_to_ticket.eml").read_bytes().replace(b"REP-000123", number.encode())
    report = import_mail(new_maildir(tmp_path, raw), db_sessionmaker, rules=rules)
    assert report.outcomes == {"comment": 1}

    with db_sessionmaker() as session:
        ticket = get_ticket(session, ref=number)
        assert ticket.status == "in_progress"  # the customer answered
        comments = list(session.scalars(select(TicketComment).where(TicketComment.ticket_id == ticket.id)))
        expected = "Thanks, Tuesday afternoon works for the technician visit.\n\nAlice"
        assert [c.body for c in comments] == [expected]
        assert comments[0].author == "alice.johnson@example.com" and not comments[0].internal
        assert [i.external_id for i in ticket.interactions] == ["<a1b2c3d4-e5f6@example.com>"]
        assert ticket.interactions[0].customer_id == alice_id
        # No duplicate customer: the address matched case-insensitively.
        holders = session.scalars(
            select(ContactPoint.customer_id).where(ContactPoint.value == "alice.johnson@example.com")
        ).all()
        assert holders == [alice_id]


def test_given_a_reply_in_the_thread_of_an_imported_mail_then_it_joins_that_ticket(
    tmp_path: Path, db_sessionmaker: sessionmaker[Session], rules: WorkflowRules
) -> None:
    first = (
        "From: =?UTF-8?B?5YiY5rSL?= <liuyang@example.cn>\nTo: service@callcenter.example\n"
        "Subject: =?UTF-8?B?5rSX6KGj5py65pWF6Zqc?=\nMessage-ID: <thread-1@example.cn>\n"
        "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n洗衣机坏了，无法开机。\n"
    ).encode()
    second = (
        "From: liuyang@example.cn\nSubject: Re: more details\nMessage-ID: <thread-2@example.cn>\n"
        "In-Reply-To: <thread-1@example.cn>\nReferences: <thread-1@example.cn>\n"
        "Content-Type: text/plain; charset=utf-8\n\n型号是 XQG100。\n"
    ).encode()
    report = import_mail(new_maildir(tmp_path, first, second), db_sessionmaker, rules=rules)
    assert sorted(report.outcomes.elements()) == ["comment", "ticket"]
    with db_sessionmaker() as session:
        customer_id = holder(session, "liuyang@example.cn")
        tickets = session.scalars(select(Ticket).where(Ticket.customer_id == customer_id)).all()
        assert len(tickets) == 1 and tickets[0].type == "repair" and tickets[0].subject == "洗衣机故障"
        assert [c.body for c in tickets[0].comments] == ["型号是 XQG100。"]
        assert sorted(i.external_id or "" for i in tickets[0].interactions) == [
            "<thread-1@example.cn>", "<thread-2@example.cn>",
        ]


def test_given_the_ticket_number_of_another_customer_then_a_new_ticket_is_opened(
    tmp_path: Path, db_sessionmaker: sessionmaker[Session], rules: WorkflowRules
) -> None:
    with db_sessionmaker() as session:
        owner = create_customer(session, data=CustomerCreate.model_validate({
            "display_name": "张三丰", "phones": ["+8613800138000"],
        }))
        theirs = create_ticket(session, actor=AGENT, rules=rules, data=TicketCreate.model_validate({
            "type": "inquiry", "customer_id": owner.id, "subject": "发票",
        }))
        session.commit()
        number = theirs.number
    raw = f"From: stranger@example.org\nSubject: Re: [{number}] hello\n\nplease help\n".encode()
    assert import_mail(new_maildir(tmp_path, raw), db_sessionmaker, rules=rules).outcomes == {"ticket": 1}
    with db_sessionmaker() as session:
        assert get_ticket(session, ref=number).comments == []
        stranger = holder(session, "stranger@example.org")
        opened = session.scalars(select(Ticket).where(Ticket.customer_id == stranger)).one()
        assert opened.type == TicketType.INQUIRY and number in (opened.description or "")
