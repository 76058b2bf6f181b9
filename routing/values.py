"""Value classes that are cheap to build: the decisions and bus messages of every ACD decision.

A frozen dataclass's generated ``__init__`` sets each field through ``object.__setattr__`` (the
frozen class's own ``__setattr__`` refuses), a generic call per field that also defeats CPython's
fast slot stores: building the dozen decisions and messages of one ACD decision (wrap-up,
available, reserved, the offer, the journey steps, ...) cost about as much as choosing the agent.

- ``value``, for the core's decisions (``routing.decisions``): frozen for the type checker (mypy
  refuses an assignment, ``dataclass_transform(frozen_default=True)``), a plain slotted dataclass
  at run time (hashable by its fields, ``unsafe_hash``: nothing assigns to one).
- ``fast_init``, for the bus messages (``routing.messages``), which stay frozen at run time (the bus
  codec accepts only frozen dataclasses): the generated ``__init__`` is replaced by one that binds
  ``object.__setattr__`` once. Same signature and defaults, ``dataclasses.fields``/``replace``/
  ``asdict``, equality, hashing and ``FrozenInstanceError`` as before.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar, dataclass_transform

T = TypeVar("T")


@dataclass_transform(frozen_default=True)
def value(cls: type[T]) -> type[T]:
    """A dataclass frozen for the type checker, with fast slot stores at run time."""
    return dataclasses.dataclass(slots=True, unsafe_hash=True)(cls)


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
