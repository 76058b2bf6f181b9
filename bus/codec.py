"""JSON codec for messages crossing processes: a registry of message types, typed both ways.

    codec = Codec()
    codec.register(CallEnded)                  # or @codec.register above the class
    name, payload = codec.encode(event)        # ("telephony.tracker.events.CallEnded", '{"call_id":...}')
    codec.decode(name, payload) == event

Each registered class must be a frozen dataclass; its field type hints drive both directions, so a
payload decodes back to the same types: nested dataclasses (registered or not), ``tuple[X, ...]``
and ``tuple[X, Y]``, ``list[X]``, ``dict[str, X]``, ``X | None`` and unions whose members have
different JSON shapes (several dataclasses in one union carry a ``"$type"`` key), ``Literal``,
enums (by value), ``datetime`` (ISO 8601), ``str``, ``int``, ``float``, ``bool``, ``None``.
A field type outside that list is refused at ``register`` time, naming the field.

Encoding checks each value against its hint (``CodecError`` naming the field), so the publisher
learns of a bad message, not a subscriber in another process. Decoding ignores unknown keys (a newer
publisher's fields) and fills absent fields that have defaults (an older publisher's).
"""

from __future__ import annotations

import dataclasses
import enum
import json
import types
import typing
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar, overload

from bus.errors import CodecError, DecodeError, UnknownMessageType, UnsupportedType

C = TypeVar("C", bound=type)
Encode = Callable[[Any, str], Any]
Decode = Callable[[Any, str], Any]

TAG = "$type"
_KIND_OF = {
    type(None): "null", bool: "bool", int: "int", float: "float", str: "str", list: "list", dict: "dict",
}


def _json_kind(value: Any) -> str:
    return _KIND_OF.get(type(value), "other")


def _wrong(where: str, expected: str, value: Any) -> CodecError:
    return CodecError(f"{where}: expected {expected}, got {type(value).__qualname__} {value!r:.60}")


class _Shape:
    """How one type hint travels: encode and decode functions and the JSON kinds it produces."""

    __slots__ = ("accepts", "decode", "encode", "kinds", "label")

    def __init__(self, label: str, encode: Encode, decode: Decode, kinds: frozenset[str],
                 accepts: Callable[[Any], bool]) -> None:
        self.label = label
        self.encode = encode
        self.decode = decode
        self.kinds = kinds
        self.accepts = accepts


def _scalar(cls: type, kind: str) -> _Shape:
    def accepts(v: Any) -> bool:
        return type(v) is cls or (isinstance(v, cls) and not isinstance(v, bool) and cls is not bool)

    def encode(v: Any, where: str) -> Any:
        if not accepts(v):
            raise _wrong(where, cls.__name__, v)
        return cls(v) if type(v) is not cls else v

    def decode(v: Any, where: str) -> Any:
        if type(v) is not cls:
            raise DecodeError(f"{where}: expected {cls.__name__}, got {_json_kind(v)}")
        return v

    return _Shape(cls.__name__, encode, decode, frozenset({kind}), accepts)


def _float() -> _Shape:
    def accepts(v: Any) -> bool:
        return isinstance(v, int | float) and not isinstance(v, bool)

    def encode(v: Any, where: str) -> Any:
        if not accepts(v):
            raise _wrong(where, "float", v)
        return float(v)

    def decode(v: Any, where: str) -> Any:
        if type(v) not in (int, float):
            raise DecodeError(f"{where}: expected float, got {_json_kind(v)}")
        return float(v)

    return _Shape("float", encode, decode, frozenset({"float", "int"}), accepts)


def _none() -> _Shape:
    def encode(v: Any, where: str) -> Any:
        if v is not None:
            raise _wrong(where, "None", v)
        return None

    def decode(v: Any, where: str) -> Any:
        if v is not None:
            raise DecodeError(f"{where}: expected null, got {_json_kind(v)}")
        return None

    return _Shape("None", encode, decode, frozenset({"null"}), lambda v: v is None)


class Codec:
    """A registry of message types and their JSON form. One per process, shared by every bus."""

    def __init__(self) -> None:
        self._by_name: dict[str, type] = {}
        self._names: dict[type, str] = {}
        self._shapes: dict[type, _Shape] = {}

    # ------------------------------------------------------------------ registry

    @overload
    def register(self, cls: C, *, name: str | None = None) -> C: ...

    @overload
    def register(self, cls: None = None, *, name: str | None = None) -> Callable[[C], C]: ...

    def register(self, cls: C | None = None, *, name: str | None = None) -> C | Callable[[C], C]:
        """Register a frozen dataclass under ``name`` (default: ``module.QualName``); usable as a decorator.

        Registering the same class again is a no-op; another class under a taken name is an error.
        """
        if cls is None:
            return lambda c: self.register(c, name=name)
        params = getattr(cls, "__dataclass_params__", None)
        if not isinstance(cls, type) or params is None or not params.frozen:
            raise UnsupportedType(f"only frozen dataclasses can be bus messages, not {cls!r}")
        wire = name or f"{cls.__module__}.{cls.__qualname__}"
        known = self._by_name.get(wire)
        if known is not None and known is not cls:
            raise CodecError(f"message name {wire!r} is taken by {known.__module__}.{known.__qualname__}")
        if self._names.get(cls, wire) != wire:
            raise CodecError(f"{cls.__qualname__} is already registered as {self._names[cls]!r}")
        self._shape(cls, cls.__qualname__)  # refuse unsupported fields now, not at the first publish
        self._by_name[wire] = cls
        self._names[cls] = wire
        return cls

    def name_of(self, cls: type) -> str:
        try:
            return self._names[cls]
        except KeyError:
            raise UnknownMessageType(f"{cls.__qualname__} is not registered with the bus codec") from None

    def type_of(self, name: str) -> type | None:
        """The class registered under ``name``, or None."""
        return self._by_name.get(name)

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self._by_name)

    # ------------------------------------------------------------------ encode / decode

    def encode(self, message: object) -> tuple[str, str]:
        """``(type name, JSON object)`` of a registered message; ``CodecError`` naming a bad field."""
        cls = type(message)
        name = self.name_of(cls)
        data = self._shapes[cls].encode(message, cls.__qualname__)
        return name, json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    def decode(self, name: str, payload: str | bytes) -> object:
        """The message ``encode`` gave ``(name, payload)`` for; ``UnknownMessageType`` or ``DecodeError``."""
        cls = self._by_name.get(name)
        if cls is None:
            raise UnknownMessageType(f"no message type {name!r} is registered")
        try:
            data = json.loads(payload)
        except (ValueError, UnicodeDecodeError) as exc:
            raise DecodeError(f"{name}: payload is not JSON ({exc})") from None
        return self._shapes[cls].decode(data, cls.__qualname__)

    # ------------------------------------------------------------------ compiling type hints

    def _shape(self, hint: Any, where: str) -> _Shape:
        if hint is type(None) or hint is None:
            return _none()
        if hint is bool:
            return _scalar(bool, "bool")
        if hint is int:
            return _scalar(int, "int")
        if hint is str:
            return _scalar(str, "str")
        if hint is float:
            return _float()
        if hint is datetime:
            return self._datetime()
        if isinstance(hint, type) and issubclass(hint, enum.Enum):
            return self._enum(hint, where)
        if isinstance(hint, type) and dataclasses.is_dataclass(hint):
            return self._dataclass(hint, where)
        origin = typing.get_origin(hint)
        args = typing.get_args(hint)
        if origin is typing.Union or origin is types.UnionType:
            return self._union(args, where)
        if origin is typing.Literal:
            return self._literal(args, where)
        if origin is tuple and args:
            if len(args) == 2 and args[1] is Ellipsis:
                return self._sequence(tuple, self._shape(args[0], f"{where}[]"), f"tuple[{args[0]!r}, ...]")
            return self._fixed_tuple(tuple(self._shape(a, f"{where}[{i}]") for i, a in enumerate(args)))
        if origin is tuple and hint is not tuple:  # tuple[()]
            return self._fixed_tuple(())
        if origin is list and args:
            return self._sequence(list, self._shape(args[0], f"{where}[]"), f"list[{args[0]!r}]")
        if origin is dict and args and args[0] is str:
            return self._mapping(self._shape(args[1], f"{where}{{}}"))
        raise UnsupportedType(f"{where}: the bus codec cannot carry values of type {hint!r}")

    def _dataclass(self, cls: type, where: str) -> _Shape:
        shape = self._shapes.get(cls)
        if shape is not None:
            return shape
        fields = [f for f in dataclasses.fields(cls) if f.init]
        compiled: list[tuple[str, _Shape, bool]] = []

        def encode(v: Any, where: str) -> Any:
            if type(v) is not cls:
                raise _wrong(where, cls.__qualname__, v)
            return {name: s.encode(getattr(v, name), f"{where}.{name}") for name, s, _ in compiled}

        def decode(v: Any, where: str) -> Any:
            if type(v) is not dict:
                raise DecodeError(f"{where}: expected an object, got {_json_kind(v)}")
            kwargs: dict[str, Any] = {}
            for name, s, required in compiled:
                if name in v:
                    kwargs[name] = s.decode(v[name], f"{where}.{name}")
                elif required:
                    raise DecodeError(f"{where}: missing field {name!r}")
            try:
                return cls(**kwargs)
            except (TypeError, ValueError) as exc:  # a __post_init__ refusing the values
                raise DecodeError(f"{where}: {exc}") from None

        shape = _Shape(cls.__qualname__, encode, decode, frozenset({"dict"}), lambda v: type(v) is cls)
        self._shapes[cls] = shape  # before the fields: a dataclass may refer to itself
        try:
            hints = typing.get_type_hints(cls)
        except Exception as exc:
            del self._shapes[cls]
            raise UnsupportedType(f"{where}: cannot resolve the hints of {cls.__qualname__}: {exc}") from None
        try:
            for f in fields:
                required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
                shape_of = self._shape(hints[f.name], f"{cls.__qualname__}.{f.name}")
                compiled.append((f.name, shape_of, required))
        except CodecError:
            del self._shapes[cls]
            raise
        return shape

    def _datetime(self) -> _Shape:
        def encode(v: Any, where: str) -> Any:
            if not isinstance(v, datetime):
                raise _wrong(where, "datetime", v)
            return v.isoformat()

        def decode(v: Any, where: str) -> Any:
            if type(v) is not str:
                raise DecodeError(f"{where}: expected an ISO 8601 string, got {_json_kind(v)}")
            try:
                return datetime.fromisoformat(v)
            except ValueError:
                raise DecodeError(f"{where}: not an ISO 8601 date-time: {v!r:.60}") from None

        return _Shape("datetime", encode, decode, frozenset({"str"}), lambda v: isinstance(v, datetime))

    def _enum(self, cls: type[enum.Enum], where: str) -> _Shape:
        kinds = frozenset(_json_kind(m.value) for m in cls)
        if not kinds <= {"str", "int", "float", "bool"}:
            raise UnsupportedType(f"{where}: enum {cls.__qualname__} needs str, int, float or bool values")

        def encode(v: Any, where: str) -> Any:
            if not isinstance(v, cls):
                raise _wrong(where, cls.__qualname__, v)
            return v.value

        def decode(v: Any, where: str) -> Any:
            try:
                member = cls(v)
            except ValueError:
                raise DecodeError(f"{where}: {v!r:.60} is not a {cls.__qualname__}") from None
            if type(member.value) is not type(v):  # 1 must not decode as True, nor True as 1
                raise DecodeError(f"{where}: {v!r:.60} is not a {cls.__qualname__}")
            return member

        return _Shape(cls.__qualname__, encode, decode, kinds, lambda v: isinstance(v, cls))

    def _literal(self, values: tuple[Any, ...], where: str) -> _Shape:
        allowed = {(type(x), x) for x in values}
        if not all(type(x) in (str, int, bool, type(None)) for x in values):
            raise UnsupportedType(f"{where}: Literal values must be str, int, bool or None")
        label = f"one of {sorted(map(repr, values))}"

        def accepts(v: Any) -> bool:
            return type(v) in (str, int, bool, type(None)) and (type(v), v) in allowed

        def encode(v: Any, where: str) -> Any:
            if not accepts(v):
                raise _wrong(where, label, v)
            return v

        def decode(v: Any, where: str) -> Any:
            if not accepts(v):
                raise DecodeError(f"{where}: expected {label}, got {v!r:.60}")
            return v

        return _Shape(label, encode, decode, frozenset(_json_kind(x) for x in values), accepts)

    def _sequence(self, kind: type, item: _Shape, label: str) -> _Shape:
        def encode(v: Any, where: str) -> Any:
            if type(v) is not kind:
                raise _wrong(where, label, v)
            items: Any = v
            return [item.encode(x, f"{where}[{i}]") for i, x in enumerate(items)]

        def decode(v: Any, where: str) -> Any:
            if type(v) is not list:
                raise DecodeError(f"{where}: expected an array, got {_json_kind(v)}")
            return kind(item.decode(x, f"{where}[{i}]") for i, x in enumerate(v))

        return _Shape(label, encode, decode, frozenset({"list"}), lambda v: type(v) is kind)

    def _fixed_tuple(self, items: tuple[_Shape, ...]) -> _Shape:
        label = f"tuple of {len(items)}"

        def encode(v: Any, where: str) -> Any:
            if type(v) is not tuple or len(v) != len(items):
                raise _wrong(where, label, v)
            return [s.encode(x, f"{where}[{i}]") for i, (s, x) in enumerate(zip(items, v, strict=True))]

        def decode(v: Any, where: str) -> Any:
            if type(v) is not list or len(v) != len(items):
                raise DecodeError(f"{where}: expected an array of {len(items)}, got {v!r:.60}")
            return tuple(s.decode(x, f"{where}[{i}]") for i, (s, x) in enumerate(zip(items, v, strict=True)))

        return _Shape(label, encode, decode, frozenset({"list"}),
                      lambda v: type(v) is tuple and len(v) == len(items))

    def _mapping(self, value: _Shape) -> _Shape:
        def encode(v: Any, where: str) -> Any:
            if type(v) is not dict or not all(type(k) is str for k in v):
                raise _wrong(where, "dict with str keys", v)
            return {k: value.encode(x, f"{where}[{k!r}]") for k, x in v.items()}

        def decode(v: Any, where: str) -> Any:
            if type(v) is not dict:
                raise DecodeError(f"{where}: expected an object, got {_json_kind(v)}")
            return {k: value.decode(x, f"{where}[{k!r}]") for k, x in v.items()}

        return _Shape("dict", encode, decode, frozenset({"dict"}), lambda v: type(v) is dict)

    def _union(self, args: tuple[Any, ...], where: str) -> _Shape:
        members = [self._shape(a, where) for a in args]
        is_dc = [isinstance(a, type) and dataclasses.is_dataclass(a) for a in args]
        classes = [(a, s) for a, s, dc in zip(args, members, is_dc, strict=True) if dc]
        tagged = {a.__name__: s for a, s in classes} if len(classes) > 1 else {}
        if len(tagged) < len(classes) and tagged:
            raise UnsupportedType(f"{where}: two dataclasses of one name in a union cannot be told apart")
        untagged = [s for s, dc in zip(members, is_dc, strict=True) if not (dc and tagged)]
        by_kind: dict[str, _Shape] = {}
        floats = [s for s in untagged if s.label == "float"]
        for s in [s for s in untagged if s.label != "float"] + floats:
            for kind in sorted(s.kinds):
                if kind in by_kind:
                    if s.label == "float" and kind == "int":
                        continue  # an int member takes JSON integers; float keeps the rest
                    raise UnsupportedType(f"{where}: {by_kind[kind].label} and {s.label} share one JSON form")
                by_kind[kind] = s
        if tagged and "dict" in by_kind:
            raise UnsupportedType(f"{where}: a dict and dataclasses share one JSON form")
        label = " | ".join(s.label for s in members)

        def encode(v: Any, where: str) -> Any:
            for s in members:
                if s.accepts(v):
                    data = s.encode(v, where)
                    if tagged and type(v).__name__ in tagged:
                        data[TAG] = type(v).__name__
                    return data
            raise _wrong(where, label, v)

        def decode(v: Any, where: str) -> Any:
            if tagged and type(v) is dict:
                tag = v.get(TAG)
                if tag not in tagged:
                    raise DecodeError(f"{where}: {TAG} {tag!r:.60} is not one of {sorted(tagged)}")
                return tagged[tag].decode(v, where)
            s = by_kind.get(_json_kind(v))
            if s is None:
                raise DecodeError(f"{where}: expected {label}, got {_json_kind(v)}")
            return s.decode(v, where)

        return _Shape(label, encode, decode, frozenset().union(*(s.kinds for s in members)),
                      lambda v: any(s.accepts(v) for s in members))
