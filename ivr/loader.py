"""Reading flow files: YAML → ``Flow``, validated; problems instead of exceptions.

``load_flow_file`` never raises for bad content: a YAML syntax error, a schema error (an unknown
node type, a field of the wrong kind) or a validation problem all come back as ``Problem``s
naming the file and, where there is one, the node.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from ivr.model import NODE_TYPES as _NODE_TYPE_NAMES
from ivr.model import Flow
from ivr.validate import Problem, validate_flow


@dataclass(frozen=True)
class LoadedFlow:
    file: Path
    flow: Flow | None
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return self.flow is not None and not self.problems


def parse_flow(text: str, file: str = "<flow>") -> tuple[Flow | None, list[Problem]]:
    """Parse and validate one flow's YAML text."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return None, [Problem(file, None, f"not valid YAML: {exc}".replace("\n", " "))]
    if not isinstance(data, dict):
        return None, [Problem(file, None, "a flow file holds a mapping (name, numbers, start, nodes)")]
    try:
        flow = Flow.model_validate(data)
    except ValidationError as exc:
        return None, [_schema_problem(file, error) for error in exc.errors()]
    return flow, validate_flow(flow, file)


def _schema_problem(file: str, error: object) -> Problem:
    assert isinstance(error, dict)
    loc = [str(part) for part in error.get("loc", ())]
    node = None
    if len(loc) >= 2 and loc[0] == "nodes":
        node = loc[1]
        # a discriminated union adds the node type to the location: nodes.<id>.<type>.<field>
        loc = loc[2:]
        if loc and loc[0] in _NODE_TYPE_NAMES:
            loc = loc[1:]
    where = ".".join(loc)
    message = str(error.get("msg", "invalid"))
    if error.get("type") == "union_tag_invalid":
        message = f"unknown node type (one of: {', '.join(_NODE_TYPE_NAMES)})"
    elif error.get("type") == "union_tag_not_found":
        message = "a node needs a `type`"
    return Problem(file, node, f"{where}: {message}" if where else message)


def load_flow_file(path: Path) -> LoadedFlow:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return LoadedFlow(path, None, (Problem(str(path), None, f"cannot read: {exc}"),))
    flow, problems = parse_flow(text, str(path))
    return LoadedFlow(path, flow, tuple(problems))


def flow_files(directory: Path) -> list[Path]:
    """The flow files of a folder (``*.yaml`` / ``*.yml``), sorted."""
    return sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def cross_file_problems(loaded: Iterable[LoadedFlow]) -> list[Problem]:
    """Problems between flows: two flows with one name or one number, none or several defaults."""
    problems: list[Problem] = []
    names: dict[str, Path] = {}
    numbers: dict[str, Path] = {}
    defaults: list[Path] = []
    flows = [item for item in loaded if item.flow is not None]
    for item in flows:
        assert item.flow is not None
        if item.flow.name in names:
            problems.append(
                Problem(str(item.file), None, f"flow name {item.flow.name!r} also in {names[item.flow.name]}")
            )
        names.setdefault(item.flow.name, item.file)
        for number in item.flow.numbers:
            if number in numbers:
                problems.append(
                    Problem(str(item.file), None, f"number {number} also answered by {numbers[number]}")
                )
            numbers.setdefault(number, item.file)
        if item.flow.default:
            defaults.append(item.file)
    if flows and not defaults:
        problems.append(Problem(str(flows[0].file.parent), None, "no flow has `default: true`"))
    for extra in defaults[1:]:
        problems.append(Problem(str(extra), None, f"a second default flow (the first is {defaults[0]})"))
    return problems
