"""``callcenter ivr validate|reload|prompts``: the IVR flows in ``config/ivr/`` and their prompts.

Also where the composition root finds the IVR's folders: ``flows_dir()``, ``reload_stamp(settings)``
and ``prompt_store(settings)`` (prompts cached under ``~/.cache/callcenter/prompts`` and published
into the bundled PBX's root, where the chrooted Asterisk reads them).
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from typing import Annotated

import typer

import config
from config.settings import Settings, get_settings
from ivr.loader import LoadedFlow, cross_file_problems, flow_files, load_flow_file
from ivr.prompts import BuildReport, PromptStore, build_flow_prompts
from ivr.registry import FlowRegistry, ReloadReport

app = typer.Typer(no_args_is_help=True)

PROMPTS_IN_ROOT = PurePosixPath("/var/cache/callcenter/prompts")
SOUNDS_IN_ROOT = PurePosixPath("/usr/share/asterisk/sounds")


def flows_dir() -> Path:
    """The shipped flows: ``config/ivr/``."""
    return Path(config.__file__).resolve().parent / "ivr"


def reload_stamp(settings: Settings) -> Path:
    """Touched by ``callcenter ivr reload``; a running registry reloads when it changes."""
    return settings.data_dir / "ivr-reload"


def _in_root(root: Path, inside: PurePosixPath, hops: int = 10) -> Path:
    """The host path of ``inside`` in a chroot, following links as the chrooted process would."""
    host = root / str(inside).lstrip("/")
    for _ in range(hops):
        if not host.is_symlink():
            return host
        target = PurePosixPath(os.readlink(host))
        inside = target if target.is_absolute() else PurePosixPath(inside.parent, target)
        host = root / str(inside).lstrip("/")
    return host


def prompt_store(settings: Settings) -> PromptStore:
    """Prompts cached in ``<pbx cache parent>/prompts`` (``~/.cache/callcenter/prompts``) and
    published into the bundled PBX root (Asterisk sees ``/var/cache/callcenter/prompts``)."""
    cache_root = settings.pbx.cache_dir.expanduser().absolute()
    root = cache_root / "root"
    return PromptStore(
        cache_dir=cache_root.parent / "prompts",
        publish_dir=root / str(PROMPTS_IN_ROOT).lstrip("/"),
        playback_dir=PROMPTS_IN_ROOT,
        sounds_dirs=(_in_root(root, SOUNDS_IN_ROOT / "en"), _in_root(root, SOUNDS_IN_ROOT)),
    )


def _load(files: list[Path]) -> list[LoadedFlow]:
    return [load_flow_file(path) for path in files]


@app.command()
def validate(
    files: Annotated[
        list[Path] | None, typer.Argument(help="Flow files (default: every file in config/ivr/)")
    ] = None,
) -> None:
    """Check flows: unknown targets, unreachable nodes, missing prompts, loops without an exit ...
    Exit code 1 when any flow has a problem."""
    shipped = not files
    paths = flow_files(flows_dir()) if shipped else list(files or [])
    loaded = _load(paths)
    problems = [p for item in loaded for p in item.problems]
    if shipped:
        problems += cross_file_problems(loaded)
    for problem in problems:
        typer.echo(str(problem), err=True)
    if problems:
        typer.echo(f"{len(problems)} problem(s) in {len(paths)} flow file(s)", err=True)
        raise typer.Exit(1)
    typer.echo(f"ok: {len(paths)} flow file(s) valid")


@app.command()
def reload() -> None:
    """Validate the flows and tell running servers to reload them (a flow that fails validation
    is reported and never replaces the running one)."""
    settings = get_settings()
    registry = FlowRegistry(flows_dir())
    report = registry.reload()
    for problem in report.problems():
        typer.echo(f"kept the running version: {problem}", err=True)
    stamp = reload_stamp(settings)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.touch()
    typer.echo(f"reload requested ({stamp}): {len(registry.flows)} flow(s) valid")
    if not report.ok:
        raise typer.Exit(1)


def build_missing_prompts(settings: Settings) -> tuple[ReloadReport, BuildReport, PromptStore]:
    """Build what is missing of the shipped flows' prompts (for ``ivr prompts``, ``pbx up``, the demo)."""
    store = prompt_store(settings)
    registry = FlowRegistry(flows_dir())
    report = registry.reload()
    return report, build_flow_prompts(store, registry.flows.values()), store


@app.command()
def prompts() -> None:
    """Build every fixed prompt of the flows with espeak-ng and sox (cached by text and voice);
    exit code 1 when a prompt cannot be produced."""
    report, built, store = build_missing_prompts(get_settings())
    for problem in report.problems():
        typer.echo(str(problem), err=True)
    for line in built.refused:
        typer.echo(f"refused: {line}", err=True)
    typer.echo(
        f"prompts: {built.built} built, {built.cached} cached, {built.sounds} Asterisk sounds "
        f"({store.cache_dir})"
    )
    if built.refused or not report.ok:
        raise typer.Exit(1)
