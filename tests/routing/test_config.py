"""config/routing.yaml: the shipped file loads; every problem names its entry."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from routing.config import DEFAULT_FILE, RoutingConfigError, load, parse
from routing.domain import OverflowAction, StrategyName

BASE = yaml.safe_load(DEFAULT_FILE.read_text(encoding="utf-8"))


def problems(change: Any) -> list[str]:
    data = copy.deepcopy(BASE)
    change(data)
    with pytest.raises(RoutingConfigError) as info:
        parse(data)
    return info.value.problems


def test_the_shipped_configuration_loads() -> None:
    config = load()
    billing = config.queue("billing")
    weights = ((StrategyName.LONGEST_IDLE, 1.0), (StrategyName.BEST_PROFICIENCY, 1.0))
    assert billing.strategy.weights == weights
    assert billing.strategy.sticky is not None and billing.overflow.action is OverflowAction.QUEUE
    assert config.priority.boost("vip", "complaint") == 40
    assert {a.agent_id for a in config.agents} == {"agent1", "agent2", "agent3"}


def test_an_unknown_strategy_names_the_queue() -> None:
    assert problems(lambda d: d["queues"]["repair"].update(strategy="x")) == [
        "queues.repair.strategy: unknown strategy 'x' (one of longest_idle, least_talk_time, fewest_calls, "
        "best_proficiency, round_robin)"]


def test_every_problem_is_reported_on_its_own_line() -> None:
    def change(d: dict[str, Any]) -> None:
        d["queues"]["general"]["ring_timeout"] = -1
        d["queues"]["billing"]["skills"] = {"billing": 11}
        d["queues"]["billing"]["unknown_key"] = 1
    found = problems(change)
    assert "queues.general.ring_timeout: Input should be greater than 0" in found
    assert "queues.billing.unknown_key: Extra inputs are not permitted" in found


def test_references_to_unknown_queues_loops_and_bad_proficiencies_are_refused() -> None:
    def change(d: dict[str, Any]) -> None:
        d["queues"]["general"]["overflow"] = {"action": "queue", "target": "billing"}
        d["queues"]["repair"]["overflow"] = {"action": "queue", "target": "nowhere"}
        d["queues"]["repair"]["skills"] = {"repair": 0}
        d["agents"]["agent1"]["queues"] = {"ghost": 1}
        d["agents"]["agent2"]["extension"] = "6001"
    found = problems(change)
    assert "queues.general.overflow: overflow loop general → billing → general" in found
    assert "queues.repair.overflow.target: unknown queue 'nowhere'" in found
    assert "queues.repair.skills.repair: proficiency 0 is outside 1–10" in found
    assert "agents.agent1.queues.ghost: unknown queue" in found
    assert "agents.agent2.extension: '6001' is also agent1's" in found


def test_escalation_steps_must_come_in_order() -> None:
    found = problems(lambda d: d["queues"]["billing"].update(escalation=[{"after": 60}, {"after": 30}]))
    assert found == ["queues.billing.escalation: steps must have strictly increasing 'after'"]


def test_a_missing_or_broken_file_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RoutingConfigError, match="No such file"):
        load(tmp_path / "none.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("queues: [unclosed", encoding="utf-8")
    with pytest.raises(RoutingConfigError, match="not valid YAML"):
        load(bad)
