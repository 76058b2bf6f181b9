"""``callcenter seed``: migrate the database, then fill it with realistic demo data (once)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import typer
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from callcenter import migrate
from config.settings import get_settings
from tickets.db import create_engine, session_factory, unit_of_work
from tickets.seed.demo import DEFAULT_SEED, seed_demo

UrlOpt = Annotated[str | None, typer.Option(help="Database URL (default: CC_DATABASE_URL or SQLite).")]
CustomersOpt = Annotated[int, typer.Option(min=6, help="How many customers (the 6 well-known included).")]
SeedOpt = Annotated[int, typer.Option(help="Random seed: the same seed gives the same data.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the summary as one JSON line.")]


def seed(
    url: UrlOpt = None,
    customers: CustomersOpt = 200,
    rng_seed: SeedOpt = DEFAULT_SEED,
    as_json: JsonOpt = False,
) -> None:
    """Run the migrations, then add demo customers, assets, interactions and tickets in every state.

    Running it again adds nothing (the demo customer 张三丰, +8613800138000, marks a seeded database).
    """
    target = url or get_settings().effective_database_url
    shown = make_url(target).render_as_string(hide_password=True)
    try:
        migrate.upgrade(target)
        engine = create_engine(target)
        try:
            with unit_of_work(session_factory(engine)) as session:
                summary = seed_demo(session, now=datetime.now(UTC), rng_seed=rng_seed, customers=customers)
        finally:
            engine.dispose()
    except OperationalError as exc:
        typer.echo(f"{shown}: {str(exc.orig).strip().splitlines()[-1]}", err=True)
        raise typer.Exit(1) from exc
    data = summary.as_dict()
    if as_json:
        typer.echo(json.dumps({"database": shown, **data}, ensure_ascii=False))
        return
    head = "already seeded, nothing added" if summary.already_seeded else "seeded"
    typer.echo(f"{shown}: {head}")
    for key in ("customers", "contact_points", "assets", "interactions", "tickets", "comments", "follow_ups"):
        typer.echo(f"  {key.replace('_', ' ')}: {data[key]}")
    typer.echo("  tickets by status: " + ", ".join(f"{k} {v}" for k, v in summary.tickets_by_status.items()))
    typer.echo("  tickets by type: " + ", ".join(f"{k} {v}" for k, v in summary.tickets_by_type.items()))
    if not summary.already_seeded:
        typer.echo(f"  escalated (SLA breached): {summary.escalated}")
    typer.echo("  demo callers: 张三丰 +8613800138000 (VIP), Alice Johnson +14155552671 (gold)")
