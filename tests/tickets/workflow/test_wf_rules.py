"""Loading and validating config/workflow.yaml."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from tickets.workflow.rules import RulesError, default_rules_path, load_rules, parse_rules
from tickets.workflow.vocab import Priority, TicketType, Tier


@pytest.fixture
def raw() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(default_rules_path().read_text(encoding="utf-8"))
    return loaded


def test_the_shipped_rules_file_loads():
    rules = load_rules()
    assert rules.team("complaints") is not None
    assert rules.sla.hours_for(TicketType.REPAIR, Priority.URGENT, Tier.VIP) == 12.0
    assert [s.level for s in rules.escalation.steps] == [1, 2]
    assert rules.follow_up_for(TicketType.REPAIR) is not None
    assert rules.follow_up_for(TicketType.INQUIRY) is None


def test_supervisor_is_the_ticket_teams_else_the_assignees_team(raw):
    rules = parse_rules(raw)
    assert rules.supervisor_for(team="repairs", assignee="agent_wang") == "sup_chen"
    assert rules.supervisor_for(team=None, assignee="agent_wang") == "sup_li"
    assert rules.supervisor_for(team=None, assignee="nobody") is None


def _error(data: dict[str, Any]) -> str:
    with pytest.raises(RulesError) as err:
        parse_rules(data, source="test.yaml")
    return str(err.value)


def test_missing_priority_in_sla_matrix_is_named(raw):
    del raw["sla"]["hours"]["repair"]["urgent"]
    message = _error(raw)
    assert message.startswith("test.yaml: invalid workflow rules")
    assert "sla: hours.repair: missing priorities ['urgent']" in message


def test_higher_priority_with_more_hours_is_refused(raw):
    raw["sla"]["hours"]["inquiry"]["urgent"] = 100
    assert "a higher priority may not get more hours" in _error(raw)


def test_unknown_priority_and_negative_hours_are_named(raw):
    bad = copy.deepcopy(raw)
    bad["sla"]["hours"]["inquiry"]["asap"] = 1
    assert "sla.hours.inquiry.asap" in _error(bad)
    raw["sla"]["hours"]["inquiry"]["low"] = -1
    assert "sla.hours.inquiry.low" in _error(raw)


def test_assignment_to_unknown_team_is_named(raw):
    raw["assignment"]["rules"][0]["team"] = "ghosts"
    assert "assignment.rules.0.team: unknown team 'ghosts'" in _error(raw)


def test_unknown_key_and_bad_strategy_are_named(raw):
    bad = copy.deepcopy(raw)
    bad["teams"][0]["colour"] = "red"
    assert "teams.0.colour" in _error(bad)
    raw["teams"][0]["strategy"] = "random"
    assert "teams.0.strategy" in _error(raw)


def test_escalation_levels_must_run_in_order(raw):
    raw["escalation"]["steps"][1]["level"] = 3
    assert "levels must be 1, 2, 3" in _error(raw)


def test_escalation_to_managers_needs_managers(raw):
    raw["escalation"]["managers"] = []
    assert "no managers are listed" in _error(raw)


def test_tier_thresholds_must_increase(raw):
    raw["value"]["thresholds"] = {"silver": 10, "gold": 5, "vip": 60}
    assert "value.thresholds: silver < gold < vip" in _error(raw)


def test_unreadable_and_malformed_files_give_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match="cannot read workflow rules"):
        load_rules(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("teams: [\n", encoding="utf-8")
    with pytest.raises(RulesError, match="not valid YAML"):
        load_rules(bad)
    bad.write_text("- a list\n", encoding="utf-8")
    with pytest.raises(RulesError, match="mapping at the top level"):
        load_rules(bad)
