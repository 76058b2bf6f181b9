"""``callcenter serve`` and ``callcenter demo``: migrate, optionally start the bundled PBX and seed,
then run the platform (API, AMI link, FastAGI server, jobs) until Ctrl+C."""

from __future__ import annotations

import errno
import logging
import socket
from datetime import UTC, datetime

import typer
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings, get_settings
from telephony.pbx import BundledPbx, PbxError

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
    agi: bool = typer.Option(True, "--agi/--no-agi", help="Serve FastAGI for the dialplan (the IVR)."),
) -> None:
    run_platform(
        get_settings(), host=host, port=port, with_pbx=with_pbx, seed=seed, jobs=jobs, ami=ami, agi=agi
    )


def demo(
    host: str = typer.Option(None, help="Listen address (default: settings api.host)."),
    port: int = typer.Option(None, help="Listen port (default: settings api.port)."),
) -> None:
    """The platform on embedded defaults: the bundled Asterisk, SQLite with demo data, the API."""
    run_platform(
        get_settings(), host=host, port=port, with_pbx=True, seed=True, jobs=True, ami=True, agi=True
    )


def run_platform(
    settings: Settings,
    *,
    host: str | None,
    port: int | None,
    with_pbx: bool,
    seed: bool,
    jobs: bool,
    ami: bool,
    agi: bool,
) -> None:
    import uvicorn

    from agent_console import log_redaction
    from agent_console.app import create_app
    from callcenter import gc_tuning, thread_switching
    from callcenter.platform import build_platform

    host = host or settings.api.host
    port = port or settings.api.port
    listen = {"API": (host, port)}
    if agi:
        listen["FastAGI"] = (settings.agi.host, settings.agi.port)
    check_ports_free(listen)
    started_pbx = prepare(settings, with_pbx=with_pbx, seed=seed, host=host, port=port)
    log_redaction.install("uvicorn.access", "uvicorn.error")
    platform = build_platform(settings, ami=ami, agi=agi, jobs=jobs)
    try:
        # proxy_headers=False: the app decides whose X-Forwarded-For to believe (api.trusted_proxies);
        # uvicorn's own default would believe 127.0.0.1 and rewrite the client address first.
        # once the lifespan has started every part, what it built is frozen out of the collector's
        # full collections (callcenter/gc_tuning.py: a full one took 140-200 ms, stalling calls)
        app = gc_tuning.after_startup(create_app(platform))
        thread_switching.tune()  # a thread waiting for the interpreter lock waits 1 ms, not 5
        uvicorn.run(app, host=host, port=port, log_config=None, proxy_headers=False)
    finally:
        if started_pbx:
            typer.echo("stopping the bundled PBX this command started")
            BundledPbx(settings).down()


def check_ports_free(ports: dict[str, tuple[str, int]]) -> None:
    """Exit with one line naming the first listen address that another process holds."""
    for what, (host, port) in ports.items():
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
            except OSError as exc:
                reason = "is in use (is another callcenter running?)" if exc.errno == errno.EADDRINUSE else (
                    f"cannot be used: {exc.strerror}"
                )
                typer.echo(f"error: the {what} port {host}:{port} {reason}", err=True)
                raise typer.Exit(1) from exc


def prepare(settings: Settings, *, with_pbx: bool, seed: bool, host: str, port: int) -> bool:
    """Everything before the server starts: migrations, PBX, seed data, demo users, the banner.

    Returns True when it started the bundled PBX (which was not running before)."""
    from callcenter.migrate import upgrade
    from tickets.db import create_engine, session_factory
    from tickets.users.demo import ensure_demo_users

    url = settings.effective_database_url
    upgrade(url)
    pbx_line, started_pbx = _start_pbx(settings) if with_pbx else (None, False)
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
    typer.echo("  stop:      Ctrl+C" + (" (also stops the bundled PBX started here)" if started_pbx else ""))
    typer.echo("")
    return started_pbx


def _start_pbx(settings: Settings) -> tuple[str, bool]:
    pbx = BundledPbx(settings)
    was_running = pbx.is_running()
    try:
        status = pbx.up()
    except PbxError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    ami = settings.ami
    version = f"Asterisk {status.version}; " if status.version else ""
    return f"bundled {version}AMI on {ami.host}:{ami.port} (user {ami.username})", not was_running


def _seed(factory: sessionmaker[Session]) -> None:
    """``tickets.seed.demo.seed_demo`` (adds nothing to a database seeded before)."""
    from tickets.db import unit_of_work
    from tickets.seed.demo import seed_demo

    with unit_of_work(factory) as session:
        summary = seed_demo(session, now=datetime.now(UTC))
    counts = summary.as_dict()
    shown = ", ".join(f"{k} {counts[k]}" for k in ("customers", "tickets", "interactions") if k in counts)
    typer.echo(f"demo data: {'already seeded' if summary.already_seeded else 'seeded'} ({shown})")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
