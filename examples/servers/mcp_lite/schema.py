"""Type hints -> JSON Schema + validators (built once per tool)."""

from __future__ import annotations

import collections.abc
import enum
import inspect
import json
import typing

from .base import ArgumentError

_NoneType = type(None)
_UnionType = getattr(__import__("types"), "UnionType", None)  # PEP 604 X | Y, Python 3.10+
_Annotated = getattr(typing, "Annotated", None)  # Python 3.9+


def _json_type(v: object) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, (list, tuple)):
        return "array"
    if isinstance(v, dict):
        return "object"
    return type(v).__name__


def _show(v: object) -> str:
    try:
        s = json.dumps(v, default=str, ensure_ascii=False)
    except (TypeError, ValueError):
        s = repr(v)
    return s if len(s) <= 60 else s[:57] + "..."


def _got(v: object) -> str:
    t = _json_type(v)
    return t if t in ("null", "array", "object") else "%s %s" % (t, _show(v))


class _Type:
    """A compiled type hint: its JSON Schema, an exact-match test and a converter."""

    __slots__ = ("schema", "exact", "conv", "desc")

    def __init__(self, schema, exact, conv, desc):
        self.schema = schema
        self.exact = exact  # value -> bool: value already has exactly this type
        self.conv = conv  # (value, path) -> converted value, raises ArgumentError
        self.desc = desc  # human name used in messages: "integer", "array of number"


def _identity(v, path):
    return v


def _conv_str(v, path):
    if isinstance(v, str):
        return v
    raise ArgumentError("%s: expected string, got %s" % (path, _got(v)))


def _conv_int(v, path):
    if isinstance(v, int) and not isinstance(v, bool):
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, str):
        try:
            return int(v.strip())
        except ValueError:
            pass
    raise ArgumentError("%s: expected integer, got %s" % (path, _got(v)))


def _conv_float(v, path):
    if isinstance(v, float):
        return v
    if isinstance(v, int) and not isinstance(v, bool):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v.strip())
        except ValueError:
            pass
    raise ArgumentError("%s: expected number, got %s" % (path, _got(v)))


_TRUE = frozenset(("true", "1", "yes", "on", "t", "y"))
_FALSE = frozenset(("false", "0", "no", "off", "f", "n"))


def _conv_bool(v, path):
    if isinstance(v, bool):
        return v
    if isinstance(v, int) and v in (0, 1):
        return bool(v)
    if isinstance(v, str):
        s = v.strip().lower()
        if s in _TRUE:
            return True
        if s in _FALSE:
            return False
    raise ArgumentError("%s: expected boolean, got %s" % (path, _got(v)))


def _conv_none(v, path):
    if v is None:
        return None
    raise ArgumentError("%s: expected null, got %s" % (path, _got(v)))


_ANY = _Type({}, lambda v: True, _identity, "any value")
_STR = _Type({"type": "string"}, lambda v: isinstance(v, str), _conv_str, "string")
_INT = _Type(
    {"type": "integer"}, lambda v: isinstance(v, int) and not isinstance(v, bool), _conv_int, "integer"
)
_FLOAT = _Type(
    {"type": "number"}, lambda v: isinstance(v, (int, float)) and not isinstance(v, bool), _conv_float, "number"
)
_BOOL = _Type({"type": "boolean"}, lambda v: isinstance(v, bool), _conv_bool, "boolean")
_NULL = _Type({"type": "null"}, lambda v: v is None, _conv_none, "null")


def _parse_json_arg(v, want, path):
    # FastMCP accepts a JSON-encoded string for list/dict parameters (some
    # clients send them that way); so do we.
    if isinstance(v, str):
        s = v.strip()
        if s[:1] in ("[", "{"):
            try:
                parsed = json.loads(s)
            except ValueError:
                raise ArgumentError("%s: expected %s, got a string that is not valid JSON" % (path, want))
            return parsed
    return v


def _array_type(item: _Type, kind: type, extra: dict) -> _Type:
    schema = {"type": "array"}
    schema["items"] = item.schema
    schema.update(extra)
    desc = "array" if item is _ANY else "array of %s" % item.desc
    item_conv = item.conv

    def conv(v, path):
        v = _parse_json_arg(v, desc, path)
        if not isinstance(v, (list, tuple)):
            raise ArgumentError("%s: expected %s, got %s" % (path, desc, _got(v)))
        if item is _ANY:
            out = list(v)
        else:
            out = [item_conv(x, "%s[%d]" % (path, i)) for i, x in enumerate(v)]
        return out if kind is list else kind(out)

    return _Type(schema, lambda v: isinstance(v, list), conv, desc)


def _tuple_type(items: typing.List[_Type]) -> _Type:
    n = len(items)
    schema = {"type": "array", "prefixItems": [t.schema for t in items], "minItems": n, "maxItems": n}
    desc = "array of %d items" % n

    def conv(v, path):
        v = _parse_json_arg(v, desc, path)
        if not isinstance(v, (list, tuple)) or len(v) != n:
            raise ArgumentError("%s: expected %s, got %s" % (path, desc, _got(v)))
        return tuple(t.conv(x, "%s[%d]" % (path, i)) for i, (t, x) in enumerate(zip(items, v)))

    return _Type(schema, lambda v: isinstance(v, list) and len(v) == n, conv, desc)


def _object_type(value: _Type) -> _Type:
    schema = {"type": "object", "additionalProperties": True if value is _ANY else value.schema}
    desc = "object"
    val_conv = value.conv

    def conv(v, path):
        v = _parse_json_arg(v, desc, path)
        if not isinstance(v, dict):
            raise ArgumentError("%s: expected object, got %s" % (path, _got(v)))
        if value is _ANY:
            return dict(v)
        return {k: val_conv(x, "%s[%s]" % (path, json.dumps(k))) for k, x in v.items()}

    return _Type(schema, lambda v: isinstance(v, dict), conv, desc)


def _literal_type(values: tuple) -> _Type:
    schema = {"enum": list(values)}
    kinds = {_json_type(v) for v in values}
    if len(kinds) == 1:
        schema["type"] = kinds.pop()
    desc = "one of " + ", ".join(_show(v) for v in values)
    # bool == int in Python; compare by type as well so True does not match 1.
    allowed = [(type(v), v) for v in values]

    def exact(v):
        return (type(v), v) in allowed

    def conv(v, path):
        if (type(v), v) in allowed:
            return v
        raise ArgumentError("%s: expected %s, got %s" % (path, desc, _show(v)))

    return _Type(schema, exact, conv, desc)


def _enum_type(cls) -> _Type:
    members = list(cls)
    values = [m.value for m in members]
    base = _literal_type(tuple(values))
    by_value = {(type(m.value), m.value): m for m in members}

    def conv(v, path):
        if isinstance(v, cls):
            return v
        m = by_value.get((type(v), v))
        if m is None:
            raise ArgumentError("%s: expected %s, got %s" % (path, base.desc, _show(v)))
        return m

    return _Type(dict(base.schema), base.exact, conv, base.desc)


def _union_type(members: typing.List[_Type]) -> _Type:
    # Optional[T] keeps pydantic's shape: {"anyOf": [T, {"type": "null"}]}.
    schema = {"anyOf": [m.schema for m in members]}
    desc = " or ".join(m.desc for m in members)

    def exact(v):
        return any(m.exact(v) for m in members)

    def conv(v, path):
        # Smart union: an exact type match wins, then the first member that converts.
        for m in members:
            if m.exact(v):
                return m.conv(v, path)
        for m in members:
            try:
                return m.conv(v, path)
            except ArgumentError:
                pass
        raise ArgumentError("%s: expected %s, got %s" % (path, desc, _got(v)))

    return _Type(schema, exact, conv, desc)


_SEQUENCE_ORIGINS = (list, collections.abc.Sequence, collections.abc.MutableSequence, collections.abc.Iterable)
_SET_ORIGINS = (set, frozenset, collections.abc.Set, collections.abc.MutableSet)
_MAPPING_ORIGINS = (dict, collections.abc.Mapping, collections.abc.MutableMapping)


def _compile_hint(tp) -> typing.Tuple[_Type, typing.Optional[str]]:
    """Returns the compiled type and a description found in Annotated metadata."""
    if _Annotated is not None and typing.get_origin(tp) is _Annotated:
        args = typing.get_args(tp)
        desc = None
        for meta in args[1:]:
            if isinstance(meta, str):
                desc = meta
            elif isinstance(getattr(meta, "description", None), str):
                desc = meta.description  # pydantic Field(description=...) or alike
        return _compile(args[0]), desc
    return _compile(tp), None


def _compile(tp) -> _Type:
    if tp is inspect.Parameter.empty or tp is typing.Any or tp is object:
        return _ANY
    if isinstance(tp, (str, typing.ForwardRef)):
        return _ANY  # an unresolved forward reference: accept anything
    if tp is None or tp is _NoneType:
        return _NULL
    if tp is bool:
        return _BOOL
    if tp is int:
        return _INT
    if tp is float:
        return _FLOAT
    if tp is str:
        return _STR
    if tp is list or tp is typing.List:
        return _array_type(_ANY, list, {})
    if tp is tuple or tp is typing.Tuple:
        return _array_type(_ANY, tuple, {})
    if tp is set or tp is frozenset or tp is typing.Set:
        return _array_type(_ANY, set, {"uniqueItems": True})
    if tp is dict or tp is typing.Dict:
        return _object_type(_ANY)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return _enum_type(tp)
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if _Annotated is not None and origin is _Annotated:
        return _compile_hint(tp)[0]
    if origin is typing.Union or (_UnionType is not None and origin is _UnionType):
        members = [_compile(a) for a in args]
        if any(m is _ANY for m in members):
            return _ANY
        return _union_type(members)
    if origin is typing.Literal:
        return _literal_type(args)
    if origin in _SEQUENCE_ORIGINS:
        return _array_type(_compile(args[0]) if args else _ANY, list, {})
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return _array_type(_compile(args[0]), tuple, {})
        if not args or args == ((),):
            return _array_type(_ANY, tuple, {})
        return _tuple_type([_compile(a) for a in args])
    if origin in _SET_ORIGINS:
        return _array_type(_compile(args[0]) if args else _ANY, set, {"uniqueItems": True})
    if origin in _MAPPING_ORIGINS:
        return _object_type(_compile(args[1]) if len(args) == 2 else _ANY)
    # TypedDict, dataclasses, models: accept an object as is.
    if isinstance(tp, type) and (hasattr(tp, "__annotations__") or hasattr(tp, "__dataclass_fields__")):
        return _object_type(_ANY)
    return _ANY
