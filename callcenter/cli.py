"""The ``callcenter`` command line. Each command group lives in ``callcenter/commands/``."""

from __future__ import annotations

import logging

import typer

from callcenter.commands import db, ivr, mail, pbx, seed, serve, simulate, users
from config.settings import SettingsError, get_settings

app = typer.Typer(
    name="callcenter",
    help="Open-source contact-center platform on Asterisk.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(pbx.app, name="pbx", help="The bundled Asterisk 22 (build, start, stop, status, CLI).")
app.add_typer(db.app, name="db", help="Database schema (Alembic migrations).")
app.add_typer(ivr.app, name="ivr", help="IVR flows: validate, reload, build prompts.")
app.add_typer(users.app, name="users", help="Users who log in (agents, supervisors, admins).")
app.command("serve", help="Run the platform: API, AMI link, FastAGI, jobs (--with-pbx: the bundled PBX).")(
    serve.serve
)
app.command("demo", help="The platform on embedded defaults: bundled PBX, SQLite with demo data, API.")(
    serve.demo
)
app.command("simulate", help="Place simulated callers through the PBX and report each call.")(
    simulate.simulate
)
app.command("seed", help="Fill the database with realistic demo data.")(seed.seed)
app.command("import-mail", help="Import e-mails from a maildir folder into tickets.")(
    mail.import_mail_command
)


@app.callback()
def main(verbose: bool = typer.Option(False, "--verbose", "-v", help="Debug logging.")) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        get_settings()
    except SettingsError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc


if __name__ == "__main__":
    app()
