"""Flow validation (pure): every problem names the file, the node and what is wrong.

Checked: targets that name no node, menu options without a target, nodes the entries cannot
reach, prompts with neither text nor a sound (or without the text for one of the flow's
languages), branch conditions naming an unknown schedule or list, and loops without an exit (a
set of nodes that can only lead to each other and contains no terminal node).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ivr.model import BlockedCondition, BranchNode, CallbackNode, Flow, HoursCondition, Prompt
from ivr.speech import PLACEHOLDER_KINDS

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.]*)(?::([a-z]+))?\}")


@dataclass(frozen=True)
class Problem:
    file: str
    node: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: node {self.node}" if self.node else self.file
        return f"{where}: {self.message}"


def validate_flow(flow: Flow, file: str = "<flow>") -> list[Problem]:
    problems: list[Problem] = []

    def add(node: str | None, message: str) -> None:
        problems.append(Problem(file, node, message))

    for entry_field, entry in (("start", flow.start), ("survey", flow.survey)):
        if entry is not None and entry not in flow.nodes:
            add(None, f"{entry_field} {entry!r} is not a node")
    for node_id, node in flow.nodes.items():
        for edge, target in node.targets():
            if target is None:
                if edge.startswith("options["):
                    add(node_id, f"menu option {edge[8:-1]} has no target")
                else:
                    add(node_id, f"{edge} is missing (where to go when the retries are used up)")
            elif target not in flow.nodes:
                add(node_id, f"{edge} → unknown target {target!r}")
        for prompt_field, prompt in node.prompts():
            problems.extend(_prompt_problems(flow, file, node_id, prompt_field, prompt))
        if isinstance(node, BranchNode):
            condition = node.if_
            if isinstance(condition, HoursCondition) and condition.schedule not in flow.schedules:
                add(node_id, f"unknown schedule {condition.schedule!r}")
            if isinstance(condition, BlockedCondition) and condition.list not in flow.lists:
                add(node_id, f"unknown number list {condition.list!r}")
        if isinstance(node, CallbackNode) and "next_business_day" in node.slots.values():
            if node.schedule not in flow.schedules:
                add(node_id, f"unknown schedule {node.schedule!r}")

    reachable = _reachable(flow)
    for node_id in flow.nodes:
        if node_id not in reachable:
            add(node_id, "unreachable (no path from start or survey leads here)")
    for loop in _loops_without_exit(flow):
        first = loop[0]
        add(first, f"loop without an exit: {' → '.join([*loop, first])}")
    return problems


def _prompt_problems(flow: Flow, file: str, node_id: str, field: str, prompt: Prompt | None) -> list[Problem]:
    if prompt is None or prompt.empty:
        return [Problem(file, node_id, f"{field}: missing prompt (neither text nor a sound file)")]
    problems: list[Problem] = []
    if not prompt.sound:
        for language in flow.languages:
            if not prompt.text.get(language, "").strip() and language not in prompt.sounds:
                problems.append(Problem(file, node_id, f"{field}: missing prompt text for {language}"))
    for text in prompt.text.values():
        for match in PLACEHOLDER.finditer(text):
            kind = match.group(2)
            if kind is not None and kind not in PLACEHOLDER_KINDS:
                problems.append(
                    Problem(file, node_id, f"{field}: placeholder {match.group(0)} has unknown kind {kind!r}")
                )
    return problems


def _edges(flow: Flow, node_id: str) -> list[str]:
    node = flow.nodes[node_id]
    return [t for _, t in node.targets() if t is not None and t in flow.nodes]


def _reachable(flow: Flow) -> set[str]:
    seen: set[str] = set()
    stack = [e for e in flow.entries() if e in flow.nodes]
    while stack:
        node_id = stack.pop()
        if node_id in seen:
            continue
        seen.add(node_id)
        stack.extend(_edges(flow, node_id))
    return seen


def _loops_without_exit(flow: Flow) -> list[list[str]]:
    """Strongly connected components (Tarjan) that are cycles, have no terminal node and no edge
    leaving them: a call that enters one can never end."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0

    def strongconnect(root: str) -> None:
        nonlocal counter
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node_id, child = work.pop()
            if child == 0:
                index[node_id] = low[node_id] = counter
                counter += 1
                stack.append(node_id)
                on_stack.add(node_id)
            edges = _edges(flow, node_id)
            if child < len(edges):
                work.append((node_id, child + 1))
                target = edges[child]
                if target not in index:
                    work.append((target, 0))
                elif target in on_stack:
                    low[node_id] = min(low[node_id], index[target])
                continue
            for target in edges:
                if target in on_stack:
                    low[node_id] = min(low[node_id], low[target])
            if low[node_id] == index[node_id]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node_id:
                        break
                components.append(component)

    for node_id in flow.nodes:
        if node_id not in index:
            strongconnect(node_id)

    loops: list[list[str]] = []
    for component in components:
        members = set(component)
        is_cycle = len(component) > 1 or component[0] in _edges(flow, component[0])
        if not is_cycle:
            continue
        if any(flow.nodes[m].terminal for m in component):
            continue
        if any(t not in members for m in component for t in _edges(flow, m)):
            continue
        loops.append(sorted(component, key=list(flow.nodes).index))
    return loops
