"""Frozen value classes that are cheap to build: the decisions and bus messages of every decision.

``@dataclass(frozen=True, slots=True)`` generates an ``__init__`` that sets each field through
``object.__setattr__`` looked up again for every field (a global, an attribute and a call each):
building the dozen decisions and messages of one ACD decision cost more than choosing the agent.
``fast_init`` replaces that ``__init__`` with one that binds ``object.__setattr__`` once (a local
default). The class stays a frozen dataclass in every other way: same signature and defaults,
``dataclasses.fields``/``replace``/``asdict``, equality, hashing, ``FrozenInstanceError`` on
assignment, and ``__dataclass_params__.frozen`` (the bus codec checks it).
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

T = TypeVar("T")


def fast_init(cls: type[T]) -> type[T]:
    """Apply above ``@dataclass(frozen=True, slots=True)`` (fields with plain defaults only)."""
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen or hasattr(cls, "__post_init__"):
        raise TypeError(f"fast_init: {cls.__name__} must be a frozen dataclass without __post_init__")
    namespace: dict[str, Any] = {}
    parameters: list[str] = []
    body: list[str] = []
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if not f.init or f.default_factory is not dataclasses.MISSING:
            raise TypeError(f"fast_init: {cls.__name__}.{f.name} has no plain default")
        if f.default is dataclasses.MISSING:
            parameters.append(f.name)
        else:
            namespace[f"_default_{f.name}"] = f.default
            parameters.append(f"{f.name}=_default_{f.name}")
        body.append(f"    _set(self, {f.name!r}, {f.name})")
    signature = ", ".join(["self", *parameters, "*", "_set=object.__setattr__"])
    source = (f"def __init__({signature}):\n"
              + "\n".join(body or ["    pass"]) + "\n")
    exec(source, namespace)  # built from the class's own field names only
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__doc__ = cls.__init__.__doc__
    setattr(cls, "__init__", init)  # noqa: B010 - mypy refuses assigning a method
    return cls
