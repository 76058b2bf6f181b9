"""Helpers for the ACD on the running platform and the bundled PBX: settings with a routing
configuration of the test's own, the agents as users of the record, callers waiting in the
holding dialplan (``cc-acd-wait``) with a call id of the test's choosing."""

from __future__ import annotations

import asyncio
import secrets
import time
from pathlib import Path
from typing import Any

import yaml

from callcenter.platform import Platform, build_platform
from config.settings import Settings, load_settings
from telephony.ami import AmiClient
from telephony.control import DialplanTarget, db_put, originate
from tests.fixtures.pbx import PbxHandle
from tickets import db as tickets_db
from tickets.users.models import User


def acd_settings(pbx: PbxHandle, database_url: str, tmp_path: Path, document: dict[str, Any],
                 **routing: Any) -> Settings:
    """Settings on the test PBX with ``document`` as the routing seed and a heartbeat family of the
    test's own (other sessions' platforms on the shared PBX keep theirs alive)."""
    seed = tmp_path / "routing.yaml"
    seed.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    family = f"cc-test-{secrets.token_hex(4)}"
    return load_settings(
        database_url=database_url,
        ami=pbx.settings.ami.model_dump(),
        agi=pbx.settings.agi.model_dump(),
        pbx=pbx.settings.pbx.model_dump(),
        routing={"config_file": str(seed), "heartbeat_family": family, **routing},
    )


def add_users(database_url: str, extensions: dict[str, str]) -> None:
    """The agents as users of the record (the ACD's agents are the users with an extension)."""
    engine = tickets_db.create_engine(database_url)
    try:
        with tickets_db.session_factory(engine)() as session, session.begin():
            session.add_all([User(username=name, display_name=name.upper(), password_hash="x", extension=ext)
                             for name, ext in extensions.items()])
    finally:
        engine.dispose()


async def phone(ami: AmiClient, extension: str, *, mode: str = "answer", ring: float = 1,
                talk: float = 1) -> None:
    """How the simulated phone of ``extension`` behaves (AstDB simphone/<ext>/...)."""
    await db_put(ami, "simphone", f"{extension}/mode", mode)
    await db_put(ami, "simphone", f"{extension}/ring", str(ring))
    await db_put(ami, "simphone", f"{extension}/talk", str(talk))


def new_call_id() -> str:
    return f"acd-{secrets.token_hex(6)}"


async def place_waiting_caller(ami: AmiClient, call_id: str, number: str, *, hold: float = 120,
                               variables: dict[str, str] | None = None) -> str:
    """A caller whose ``;1`` half waits in ``cc-acd-wait`` (its Uniqueid, so its call id, is
    ``call_id``); the ``;2`` half plays the hold tone for ``hold`` s. Returns the ``;1`` channel."""
    placed = await originate(ami, "Local/s@sim-hold", DialplanTarget("cc-acd-wait", "s", 1),
                             caller_id_number=number, caller_id_name=f"Caller {number[-4:]}",
                             variables={"SIM_HOLD": str(hold), **(variables or {})}, channel_id=call_id)
    return placed.channel


async def started_platform(settings: Settings, within: float = 90,
                           record_calls: bool = False) -> tuple[Platform, Any]:
    """A running platform with AMI and FastAGI (``running`` to ``__aexit__``); another session's
    FastAGI server may hold the test port for a while, so a new platform is tried until ``within``."""
    deadline = time.monotonic() + within
    while True:
        platform = build_platform(settings, ami=True, agi=True, record_calls=record_calls)
        running = platform.running()
        try:
            await running.__aenter__()
            return platform, running
        except OSError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)


async def until(probe: Any, within: float, what: str) -> None:
    """Poll ``probe`` every 50 ms until it is true; AssertionError naming ``what`` after ``within`` s."""
    deadline = time.monotonic() + within
    while not probe():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)
