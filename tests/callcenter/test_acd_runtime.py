"""The ACD's wiring from settings (no PBX): the state store the settings name, the seed file, and
the fail-open queue's members are the agents the engine knows with a queue."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from callcenter.acd_runtime import AcdRuntime
from config.settings import SettingsError, load_settings
from routing.redis_store import RedisStore
from routing.store import MemoryStore
from telephony.ami import AmiClient
from telephony.tracker import CallTracker
from tickets import db as tickets_db
from tickets.workflow.rules import load_rules


def _runtime(tmp_path: Path, **routing: object) -> AcdRuntime:
    seed = tmp_path / "routing.yaml"
    seed.write_text(yaml.safe_dump({"queues": {"q": {}}, "agents": {
        "ann": {"extension": "4101", "queues": ["q"]}, "idle": {"extension": "4102"}}}), encoding="utf-8")
    settings = load_settings(redis_url="redis://127.0.0.1:6379/0",
                             routing={"config_file": str(seed), **routing})
    sessions = tickets_db.session_factory(tickets_db.create_engine("sqlite://"))
    return AcdRuntime(settings, sessions, AmiClient(settings.ami), CallTracker(), load_rules())


def test_the_state_store_is_the_one_the_settings_name(tmp_path: Path) -> None:
    assert isinstance(_runtime(tmp_path).service.engine.store, MemoryStore)
    assert isinstance(_runtime(tmp_path, store="redis").service.engine.store, RedisStore)


def test_a_redis_store_without_redis_is_refused() -> None:
    with pytest.raises(SettingsError, match=r"routing\.store redis needs redis_url"):
        load_settings(routing={"store": "redis"}, redis_url="")


def test_the_fallback_queue_members_are_the_agents_with_a_queue(tmp_path: Path) -> None:
    runtime = _runtime(tmp_path)
    assert runtime.wanted_members() == {"4101"}
    assert runtime.control.member("4101") == "Local/4101@agent-phones"
