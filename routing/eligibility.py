"""Which agents may take a call now: the queue's and the call's requirements, relaxed by the
escalation steps the call has reached."""

from __future__ import annotations

from dataclasses import dataclass, field

from routing.domain import AgentProfile, Call, QueueConfig, SkillLevel


@dataclass(frozen=True, slots=True)
class Requirements:
    skills: tuple[SkillLevel, ...]  # every one required ...
    alternatives: tuple[SkillLevel, ...]  # ... unless the agent has any one of these
    language: str | None
    teams: frozenset[str]  # empty: any team
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # the waiting calls are grouped by their requirements (a dict key at every queue move):
        # hashed once, not through each SkillLevel's generated __hash__ every time
        object.__setattr__(self, "_hash", hash((self.skills, self.alternatives, self.language, self.teams)))

    def __hash__(self) -> int:
        return self._hash

    def met_by(self, agent: AgentProfile) -> bool:
        if self.language is not None and self.language not in agent.languages:
            return False
        if self.teams and not (self.teams & agent.teams):
            return False
        levels = agent.levels
        for req in self.skills:
            if levels.get(req.skill, 0) < req.level:
                break
        else:
            return True
        for alt in self.alternatives:
            if levels.get(alt.skill, 0) >= alt.level:
                return True
        return False


def steps_reached(queue: QueueConfig, waited: float) -> int:
    reached = 0
    for step in queue.escalation:
        if waited >= step.after:
            reached += 1
    return reached


def requirements(call: Call, queue: QueueConfig) -> Requirements:
    """The call's requirements at its current escalation step (``call.step``)."""
    skills: dict[str, int] = {}
    for req in (*queue.skills, *call.attrs.skills):
        skills[req.skill] = max(skills.get(req.skill, 0), req.level)
    lower = 0
    alternatives: list[SkillLevel] = []
    teams = set(queue.teams)
    for step in queue.escalation[: call.step]:
        lower += step.lower_proficiency
        alternatives.extend(step.accept_skills)
        teams |= step.add_teams
    relaxed = tuple(SkillLevel(name, max(1, level - lower)) for name, level in skills.items())
    language = call.attrs.language or queue.language
    widened = frozenset(teams) if queue.teams else frozenset()
    return Requirements(relaxed, tuple(alternatives), language, widened)
