"""``callcenter pbx build|up|down|restart|status|cli``: the bundled Asterisk 22 (telephony.pbx)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated, TypeVar

import typer

from callcenter.commands.ivr import build_missing_prompts
from config.settings import get_settings
from telephony.pbx import BundledPbx, PbxError

app = typer.Typer(no_args_is_help=True)

T = TypeVar("T")


def _pbx() -> BundledPbx:
    return BundledPbx(get_settings())


def _run(step: Callable[[], T]) -> T:
    """Run a PBX step; a PbxError becomes one line on stderr and exit code 1."""
    try:
        return step()
    except PbxError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc


@app.command()
def build() -> None:
    """Build the Debian sid root with Asterisk 22 (once; reused afterwards)."""
    pbx = _pbx()
    started = time.monotonic()
    info = _run(pbx.ensure_built)
    what = f"built in {time.monotonic() - started:.1f} s" if info.fresh else "already built"
    typer.echo(f"{info.asterisk_version}: {what} ({pbx.layout.root_dir})")


@app.command()
def up() -> None:
    """Build if needed, render the configuration, start Asterisk and wait for FullyBooted."""
    pbx = _pbx()
    started = time.monotonic()
    status = _run(pbx.up)
    typer.echo("\n".join(status.lines()))
    typer.echo(f"up in {time.monotonic() - started:.1f} s")
    _, built, store = build_missing_prompts(get_settings())
    typer.echo(f"IVR prompts: {built.built} built, {built.cached} cached ({store.cache_dir})")
    for refused in built.refused:
        typer.echo(f"warning: IVR prompt not built: {refused}", err=True)


@app.command()
def down() -> None:
    """Stop the bundled Asterisk (no process left behind)."""
    stopped = _run(_pbx().down)
    typer.echo("bundled PBX stopped" if stopped else "bundled PBX was not running")


@app.command()
def restart() -> None:
    """Stop and start again (configuration re-rendered)."""
    status = _run(_pbx().restart)
    typer.echo("\n".join(status.lines()))


@app.command()
def status() -> None:
    """Whether it runs: pid, version, AMI reachable. Exit code 3 when stopped."""
    state = _run(_pbx().status)
    typer.echo("\n".join(state.lines()))
    if not state.running:
        raise typer.Exit(3)


@app.command("cli")
def cli_command(
    command: Annotated[list[str], typer.Argument(help="Asterisk CLI command, e.g. core show channels")],
) -> None:
    """Run one Asterisk CLI command (asterisk -rx) and print its output."""
    output = _run(lambda: _pbx().cli(" ".join(command)))
    typer.echo(output, nl=not output.endswith("\n"))
