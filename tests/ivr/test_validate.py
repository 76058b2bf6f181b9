"""Flow validation: each problem names the file, the node and what is wrong."""

from __future__ import annotations

import textwrap

from ivr.loader import parse_flow
from ivr.model import Flow

BASE = """
name: t
default: true
start: menu
nodes:
  menu:
    type: menu
    prompt: {zh: 请选择, en: Choose}
    options: {1: bye}
    on_fail: bye
  bye:
    type: hangup
"""


def problems_of(yaml_text: str) -> list[str]:
    _flow, problems = parse_flow(textwrap.dedent(yaml_text), "flows/t.yaml")
    return [str(p) for p in problems]


def test_the_base_flow_is_valid() -> None:
    assert problems_of(BASE) == []


def test_unknown_target_names_file_node_and_target() -> None:
    text = BASE.replace("options: {1: bye}", "options: {1: bye, 2: nowhere}")
    assert problems_of(text) == ["flows/t.yaml: node menu: options[2] → unknown target 'nowhere'"]


def test_menu_option_without_target() -> None:
    text = BASE.replace("options: {1: bye}", "options: {1: bye, 2: }")
    assert problems_of(text) == ["flows/t.yaml: node menu: menu option 2 has no target"]


def test_unreachable_node() -> None:
    text = BASE + "  lost:\n    type: hangup\n"
    assert problems_of(text) == [
        "flows/t.yaml: node lost: unreachable (no path from start or survey leads here)"
    ]


def test_missing_prompt_and_missing_language_text() -> None:
    no_prompt = BASE.replace("    prompt: {zh: 请选择, en: Choose}\n", "")
    assert problems_of(no_prompt) == [
        "flows/t.yaml: node menu: prompt: missing prompt (neither text nor a sound file)"
    ]
    zh_only = BASE.replace("{zh: 请选择, en: Choose}", "{zh: 请选择}")
    assert problems_of(zh_only) == ["flows/t.yaml: node menu: prompt: missing prompt text for en"]
    sound = BASE.replace("{zh: 请选择, en: Choose}", "{sound: vm-enter-num-to-call}")
    assert problems_of(sound) == []
    english_sound = BASE.replace("{zh: 请选择, en: Choose}", "{text: {zh: 请选择}, sounds: {en: vm-intro}}")
    assert problems_of(english_sound) == []


def test_loop_without_an_exit() -> None:
    text = BASE.replace("options: {1: bye}", "options: {1: a}") + textwrap.indent(
        textwrap.dedent("""
        a:
          type: play
          prompts: [{zh: 甲, en: A}]
          next: b
        b:
          type: set
          intent: inquiry
          next: a
        """),
        "  ",
    )
    assert problems_of(text) == ["flows/t.yaml: node a: loop without an exit: a → b → a"]


def test_loop_through_a_menu_with_an_exit_is_fine() -> None:
    text = BASE.replace("options: {1: bye}", "options: {1: a, 2: bye}") + textwrap.indent(
        "a:\n  type: play\n  prompts: [{zh: 甲, en: A}]\n  next: menu\n", "  "
    )
    assert problems_of(text) == []


def test_schema_errors_name_the_node() -> None:
    text = BASE.replace("type: hangup", "type: teleport")
    [problem] = problems_of(text)
    assert problem.startswith("flows/t.yaml: node bye: unknown node type")
    text = BASE.replace("    on_fail: bye\n", "    on_fail: bye\n    retries: many\n")
    [problem] = problems_of(text)
    assert problem.startswith("flows/t.yaml: node menu: retries:")


def test_yaml_syntax_error_is_one_problem() -> None:
    [problem] = problems_of("name: [unclosed")
    assert problem.startswith("flows/t.yaml: not valid YAML")


def test_menu_without_on_fail_and_unknown_schedule() -> None:
    text = BASE.replace("    on_fail: bye\n", "")
    assert problems_of(text) == [
        "flows/t.yaml: node menu: on_fail is missing (where to go when the retries are used up)"
    ]
    text = BASE.replace("start: menu", "start: open") + textwrap.indent(
        "open:\n  type: branch\n  if: {check: hours, schedule: office}\n  then: menu\n  else: bye\n", "  "
    )
    assert problems_of(text) == ["flows/t.yaml: node open: unknown schedule 'office'"]


def test_the_default_flow_is_valid(default_flow: Flow) -> None:
    assert default_flow.default and default_flow.survey == "survey"
