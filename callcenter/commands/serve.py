"""``callcenter serve``: migrate, optionally start the bundled PBX and seed, then run the web app."""

from __future__ import annotations

import importlib
import logging
from datetime import UTC, datetime

import typer
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings, get_settings

log = logging.getLogger(__name__)


def serve(
    host: str = typer.Option(None, help="Listen address (default: settings api.host)."),
    port: int = typer.Option(None, help="Listen port (default: settings api.port)."),
    with_pbx: bool = typer.Option(False, "--with-pbx", help="Start the bundled Asterisk first."),
    seed: bool = typer.Option(False, "--seed", help="Fill the database with demo data first."),
    jobs: bool = typer.Option(True, "--jobs/--no-jobs", help="Run the tickets background jobs."),
    ami: bool = typer.Option(
        True, "--ami/--no-ami", help="Link to Asterisk over AMI: track calls and record them as interactions."
    ),
) -> None:
    import uvicorn

    from agent_console import log_redaction
    from agent_console.app import create_app

    settings = get_settings()
    host = host or settings.api.host
    port = port or settings.api.port
    prepare(settings, with_pbx=with_pbx, seed=seed, host=host, port=port)
    log_redaction.install("uvicorn.access", "uvicorn.error")
    from callcenter.telephony_link import telephony_lifespan

    lifespans = [telephony_lifespan] if ami else []
    app = create_app(settings, run_jobs=jobs, lifespans=lifespans)
    uvicorn.run(app, host=host, port=port, log_config=None)


def prepare(settings: Settings, *, with_pbx: bool, seed: bool, host: str, port: int) -> None:
    """Everything before the server starts: migrations, PBX, seed data, demo users, the banner."""
    from agent_console.demo_users import ensure_demo_users
    from tickets.db import create_engine, session_factory
    from tickets.migrate import upgrade

    url = settings.effective_database_url
    upgrade(url)
    pbx_line = _start_pbx(settings) if with_pbx else None
    engine = create_engine(url)
    try:
        factory = session_factory(engine)
        if seed:
            _seed(factory)
        logins = ensure_demo_users(factory) if settings.environment == "development" else []
    finally:
        engine.dispose()

    base = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
    typer.echo(f"\nContact center API on {base}")
    typer.echo(f"  API docs:  {base}/docs")
    typer.echo(f"  health:    {base}/healthz  {base}/readyz   metrics: {base}/metrics")
    typer.echo(f"  database:  {_safe_url(url)}")
    if pbx_line:
        typer.echo(f"  PBX:       {pbx_line}")
    if logins:
        typer.echo("  demo logins (development only):")
        for login in logins:
            secret = login.password if login.password is not None else "(unchanged: set earlier)"
            ext = f" ext {login.extension}" if login.extension else ""
            typer.echo(f"    {login.role:<10} {login.username:<11} {secret:<24} {login.display_name}{ext}")
    typer.echo("")


def _start_pbx(settings: Settings) -> str:
    try:
        pbx_module = importlib.import_module("telephony.pbx")
        bundled = pbx_module.BundledPbx
    except (ImportError, AttributeError) as exc:
        raise typer.BadParameter("the bundled PBX (telephony.pbx.BundledPbx) is not available") from exc
    status = bundled(settings).up()
    ami = settings.ami
    version = f"Asterisk {status.version}; " if getattr(status, "version", "") else ""
    return f"bundled {version}AMI on {ami.host}:{ami.port} (user {ami.username})"


def _seed(factory: sessionmaker[Session]) -> None:
    """``tickets.seed.demo.seed_demo`` (adds nothing to a database seeded before)."""
    from tickets.db import unit_of_work

    try:
        seed_demo = importlib.import_module("tickets.seed.demo").seed_demo
    except (ImportError, AttributeError):
        typer.echo("--seed: tickets.seed.demo.seed_demo is not available; only the demo users are created")
        return
    with unit_of_work(factory) as session:
        summary = seed_demo(session, now=datetime.now(UTC))
    counts = summary.as_dict() if hasattr(summary, "as_dict") else {}
    shown = ", ".join(f"{k} {counts[k]}" for k in ("customers", "tickets", "interactions") if k in counts)
    typer.echo(
        f"demo data: {'already seeded' if getattr(summary, 'already_seeded', False) else 'seeded'}"
        + (f" ({shown})" if shown else "")
    )


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
