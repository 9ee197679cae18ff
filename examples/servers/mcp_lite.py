"""mcp_lite: a small, stdlib-only MCP server layer with FastMCP's surface.

A server written for the official Python SDK's FastMCP runs unchanged on this
module when the SDK is not installed::

    try:
        from mcp.server.fastmcp import FastMCP  # real SDK when installed
    except ImportError:
        from mcp_lite import FastMCP

    mcp = FastMCP("ros-mcp-server")

    @mcp.tool()
    def move_home(mode: str = "sim") -> dict:
        '''Move the arm to its home pose.

        Args:
            mode: "sim" or "real".
        '''

    if __name__ == "__main__":
        mcp.run()

What it does:

* ``@mcp.tool()``, ``@mcp.tool(name=..., description=...)`` and bare
  ``@mcp.tool`` register sync or async functions. The JSON Schema of each
  tool is derived once, at registration, from its type hints (str, int,
  float, bool, list, dict, List[T], Dict[K, V], Tuple, Set, Optional, Union,
  Literal, Enum, Any, Annotated[T, "description"]) and its Google-style
  docstring (the summary becomes the description, the ``Args:`` section the
  per-parameter descriptions). Arguments are validated and converted with
  pydantic-like lax rules before the call; errors name the tool and argument.
* ``mcp.run()`` speaks MCP over stdio: newline-delimited JSON-RPC 2.0 on
  stdin/stdout. Logs go to stderr only; stray ``print()`` output from tools is
  redirected to stderr so it cannot corrupt the protocol stream.
  ``mcp.run("streamable-http")`` serves the Streamable HTTP transport and
  ``mcp.run("sse")`` the legacy HTTP+SSE transport (see mcp_lite_http.py).
* Tool calls run on worker threads (async tools on one event-loop thread), so
  a long call never blocks ``ping`` or ``notifications/cancelled``. A
  cancelled call's result is never sent; an async call is also interrupted.

Extensions beyond FastMCP:
* ``FastMCP(..., sdk_compat=True)`` or env ``MCP_LITE_SDK_COMPAT=1``: results
  and tool listings shaped exactly like the mcp SDK's FastMCP (>= 1.10):
  ``outputSchema``, ``structuredContent: {"result": value}`` for primitive and
  typing-generic returns, one content item per list element, none for None.
  The default instead sends a dict return as structuredContent + JSON text and
  anything else as one text item.
* ``add_message_hook(fn)`` sees every incoming JSON-RPC message first (test
  fixtures log with it); ``Context.is_cancelled``; ``channel.send_raw(bytes)``.
"""

from __future__ import annotations

import asyncio
import base64
import collections.abc
import enum
import inspect
import json
import logging
import os
import queue
import re
import sys
import threading
import typing

__version__ = "0.1.0"
__all__ = ["FastMCP", "Context", "Image", "ToolError", "SUPPORTED_PROTOCOL_VERSIONS", "DEFAULT_PROTOCOL_VERSION"]

SUPPORTED_PROTOCOL_VERSIONS = ("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25")
DEFAULT_PROTOCOL_VERSION = "2025-06-18"

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
REQUEST_CANCELLED = -32800

logger = logging.getLogger("mcp_lite")


class ToolError(Exception):
    """Raise from a tool to report a failure; its text becomes the isError result."""


class ArgumentError(ValueError):
    """Raised when tool arguments do not match the tool's signature."""


# --------------------------------------------------------------------------
# Type hints -> JSON Schema + validators (built once per tool)
# --------------------------------------------------------------------------

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


# --------------------------------------------------------------------------
# Docstrings (Google style, with Sphinx ":param x:" as a fallback)
# --------------------------------------------------------------------------

_SECTION_RE = re.compile(
    r"^(Args|Arguments|Parameters|Params|Keyword Args|Keyword Arguments|Other Parameters|Returns?|Yields?|"
    r"Raises|Examples?|Notes?|Attributes|See Also|Warnings?|Warns|Todo|References)\s*:\s*$",
    re.IGNORECASE,
)
_ARG_SECTIONS = ("args", "arguments", "parameters", "params", "keyword args", "keyword arguments", "other parameters")
_ARG_LINE_RE = re.compile(r"^\*{0,2}([A-Za-z_][A-Za-z0-9_]*)\s*(?:\(([^)]*)\))?\s*:(?:\s+(.*))?$")
_SPHINX_PARAM_RE = re.compile(r"^:param\s+(?:[^:]*\s)?([A-Za-z_][A-Za-z0-9_]*)\s*:\s*(.*)$")


def parse_docstring(doc: typing.Optional[str]) -> typing.Tuple[str, typing.Dict[str, str]]:
    """Splits a docstring into (summary, {parameter: description})."""
    if not doc:
        return "", {}
    lines = inspect.cleandoc(doc).splitlines()
    summary: typing.List[str] = []
    params: typing.Dict[str, str] = {}
    section = None
    current = None
    entry_indent = None
    for raw in lines:
        stripped = raw.strip()
        indent = len(raw) - len(raw.lstrip())
        if indent == 0 and _SECTION_RE.match(stripped):
            section = stripped[:-1].strip().lower()
            current = None
            entry_indent = None
            continue
        sphinx = _SPHINX_PARAM_RE.match(stripped)
        if sphinx:
            section = "sphinx"
            current = sphinx.group(1)
            params[current] = sphinx.group(2).strip()
            continue
        if section is None:
            summary.append(raw)
            continue
        if section == "sphinx":
            if stripped.startswith(":"):
                current = None
            elif current and stripped:
                params[current] = (params[current] + " " + stripped).strip()
            elif not stripped:
                current = None
            continue
        if section not in _ARG_SECTIONS or not stripped:
            continue
        if entry_indent is None or indent <= entry_indent:
            m = _ARG_LINE_RE.match(stripped)
            if m:
                entry_indent = indent
                current = m.group(1)
                params[current] = (m.group(3) or "").strip()
                continue
        if current:
            params[current] = (params[current] + " " + stripped).strip()
    text = "\n".join(summary).strip()
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text, params


def _title(name: str) -> str:
    return " ".join(w.capitalize() for w in name.split("_") if w) or name


# --------------------------------------------------------------------------
# Tools
# --------------------------------------------------------------------------


class _Param:
    __slots__ = ("name", "conv", "required", "positional_only")

    def __init__(self, name, conv, required, positional_only):
        self.name = name
        self.conv = conv
        self.required = required
        self.positional_only = positional_only


class Tool:
    """A registered tool: the function, its precomputed schema and argument binder."""

    def __init__(self, fn, name=None, title=None, description=None, annotations=None, meta=None):
        if not callable(fn):
            raise TypeError("tool must be a callable, got %r" % (fn,))
        self.fn = fn
        self.name = name or getattr(fn, "__name__", None) or type(fn).__name__
        if self.name == "<lambda>":
            raise ValueError("you must provide a name for lambda tools")
        target = fn if inspect.isfunction(fn) or inspect.ismethod(fn) else getattr(fn, "__call__", fn)
        self.is_async = inspect.iscoroutinefunction(target) or inspect.iscoroutinefunction(fn)
        summary, arg_docs = parse_docstring(inspect.getdoc(fn))
        self.description = description if description is not None else summary
        self.title = title
        hints = _type_hints(target)
        sig = inspect.signature(target)
        properties: typing.Dict[str, dict] = {}
        required: typing.List[str] = []
        self.params: typing.Dict[str, _Param] = {}
        self.context_param: typing.Optional[str] = None
        self.var_keyword = False
        self.has_positional_only = False
        for p in sig.parameters.values():
            if p.kind == p.VAR_KEYWORD:
                self.var_keyword = True
                continue
            if p.kind == p.VAR_POSITIONAL:
                continue
            hint = hints.get(p.name, p.annotation)
            if _is_context_hint(hint):
                self.context_param = p.name
                continue
            ctype, meta_desc = _compile_hint(hint)
            schema = {"title": _title(p.name)}
            schema.update(ctype.schema)
            has_default = p.default is not p.empty
            if has_default:
                default = p.default.value if isinstance(p.default, enum.Enum) else p.default
                try:
                    schema["default"] = json.loads(json.dumps(default))  # tuples become lists, as on the wire
                except (TypeError, ValueError):
                    pass  # not representable in JSON; still optional
            else:
                required.append(p.name)
            d = meta_desc or arg_docs.get(p.name)
            if d:
                schema["description"] = d
            properties[p.name] = schema
            positional_only = p.kind == p.POSITIONAL_ONLY
            self.has_positional_only = self.has_positional_only or positional_only
            self.params[p.name] = _Param(p.name, ctype.conv, not has_default, positional_only)
        input_schema = {"type": "object", "properties": properties, "title": "%sArguments" % self.name}
        if required:
            input_schema["required"] = required
        self.input_schema = input_schema
        self.required = tuple(required)
        self.annotations = _plain(annotations)
        self.meta = meta
        self.output_schema, self.wrap_output = _sdk_output_spec(self.name, hints.get("return", sig.return_annotation))
        self.definition = {"name": self.name, "description": self.description, "inputSchema": input_schema}
        if title:
            self.definition["title"] = title
        if self.annotations:
            self.definition["annotations"] = self.annotations
        if meta:
            self.definition["_meta"] = meta
        self.sdk_definition = dict(self.definition)
        if self.output_schema is not None:
            self.sdk_definition["outputSchema"] = self.output_schema
            if _is_typed_dict(hints.get("return")):  # a TypedDict result is structured in both modes
                self.definition["outputSchema"] = self.output_schema

    def bind(self, arguments: dict) -> dict:
        """Validates and converts arguments into keyword arguments for the function."""
        params = self.params
        kwargs = {}
        for key, value in arguments.items():
            p = params.get(key)
            if p is None:
                if self.var_keyword:
                    kwargs[key] = value
                    continue
                if key == self.context_param:
                    raise ArgumentError("Invalid arguments for tool %s: %r is reserved" % (self.name, key))
                known = ", ".join(repr(k) for k in params) or "none"
                raise ArgumentError(
                    "Invalid arguments for tool %s: unknown argument %r (accepted arguments: %s)"
                    % (self.name, key, known)
                )
            try:
                kwargs[key] = p.conv(value, "argument %r" % key)
            except ArgumentError as e:
                raise ArgumentError("Invalid arguments for tool %s: %s" % (self.name, e))
        for n in self.required:
            if n not in kwargs:
                missing = [m for m in self.required if m not in kwargs]
                raise ArgumentError(
                    "Invalid arguments for tool %s: missing required argument%s %s"
                    % (self.name, "s" if len(missing) > 1 else "", ", ".join(repr(m) for m in missing))
                )
        return kwargs

    def invoke(self, kwargs: dict, context=None):
        """Calls the function (returns a coroutine for async tools)."""
        if self.context_param is not None:
            kwargs[self.context_param] = context if context is not None else Context()
        if self.has_positional_only:
            args = [kwargs.pop(n) for n, p in self.params.items() if p.positional_only and n in kwargs]
            return self.fn(*args, **kwargs)
        return self.fn(**kwargs)


def _type_hints(target) -> dict:
    raw = dict(getattr(target, "__annotations__", None) or {})
    try:
        return typing.get_type_hints(target, include_extras=True)
    except TypeError as e:
        if "include_extras" not in str(e):  # Python 3.8 has no include_extras
            return raw
    except Exception:  # unresolvable annotations: keep the raw ones (strings become "any")
        return raw
    try:
        return typing.get_type_hints(target)
    except Exception:
        return raw


def _plain(obj):
    if obj is None:
        return None
    if isinstance(obj, dict):
        return {k: v for k, v in obj.items() if v is not None}
    for attr in ("model_dump", "dict"):
        f = getattr(obj, attr, None)
        if callable(f):
            try:
                return {k: v for k, v in f().items() if v is not None}
            except TypeError:
                pass
    return {k: v for k, v in vars(obj).items() if v is not None and not k.startswith("_")}


def _is_context_hint(hint) -> bool:
    if typing.get_origin(hint) is typing.Union:  # `ctx: Context = None` is Optional[Context] before 3.11
        return any(_is_context_hint(a) for a in typing.get_args(hint) if a is not _NoneType)
    if hint is Context:
        return True
    if isinstance(hint, type) and hint.__name__ == "Context":
        return True
    if isinstance(hint, str) and hint.split(".")[-1].split("[")[0] == "Context":
        return True
    origin = typing.get_origin(hint)
    return origin is not None and getattr(origin, "__name__", "") == "Context"


# --------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------


class Image:
    """Image content returned by a tool (same constructor as FastMCP's Image)."""

    _MIME = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp"}

    def __init__(self, path=None, data=None, format=None):
        if (path is None) == (data is None):
            raise ValueError("Image needs exactly one of path or data")
        self.path = path
        self.data = data
        self._format = format

    @property
    def mime_type(self) -> str:
        if self._format:
            return self._MIME.get(self._format.lower(), "application/octet-stream")
        if self.path is not None:
            ext = os.path.splitext(str(self.path))[1].lstrip(".").lower()
            return self._MIME.get(ext, "application/octet-stream")
        return "image/png"

    def to_image_content(self) -> dict:
        if self.path is not None:
            with open(self.path, "rb") as f:
                raw = f.read()
        else:
            raw = self.data
        return {"type": "image", "data": base64.b64encode(raw).decode("ascii"), "mimeType": self.mime_type}


def _dumps_text(value) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _content_item(value) -> dict:
    if isinstance(value, Image):
        return value.to_image_content()
    if isinstance(value, dict) and value.get("type") in ("text", "image", "audio", "resource", "resource_link"):
        return value
    if isinstance(value, str):
        return {"type": "text", "text": value}
    return {"type": "text", "text": _dumps_text(value)}


def to_call_result(value) -> dict:
    """Converts a tool's return value into a CallToolResult."""
    if isinstance(value, dict):
        return {"content": [{"type": "text", "text": _dumps_text(value)}], "structuredContent": value, "isError": False}
    if isinstance(value, str):
        return {"content": [{"type": "text", "text": value}], "isError": False}
    if isinstance(value, Image):
        return {"content": [value.to_image_content()], "isError": False}
    if isinstance(value, (list, tuple)) and value and any(isinstance(v, Image) for v in value):
        return {"content": [_content_item(v) for v in value], "isError": False}
    return {"content": [{"type": "text", "text": _dumps_text(value)}], "isError": False}


def error_result(message: str) -> dict:
    return {"content": [{"type": "text", "text": message}], "isError": True}


def _exception_text(tool_name: str, exc: BaseException) -> str:
    text = str(exc)
    if type(exc) in (Exception, ValueError, RuntimeError, ToolError, ArgumentError) and text:
        return "Error executing tool %s: %s" % (tool_name, text)
    return "Error executing tool %s: %s%s" % (tool_name, type(exc).__name__, ": " + text if text else "")


def _is_typed_dict(tp) -> bool:
    return isinstance(tp, type) and issubclass(tp, dict) and hasattr(tp, "__total__") and hasattr(tp, "__annotations__")


def _output_schema(tp) -> dict:
    """The JSON Schema of a return type, with TypedDicts spelled out (properties, required) as pydantic does."""
    if _is_typed_dict(tp):
        hints = typing.get_type_hints(tp)
        required = getattr(tp, "__required_keys__", None)
        if required is None:  # Python 3.8
            required = frozenset(hints) if tp.__total__ else frozenset()
        schema = {"type": "object", "title": tp.__name__,
                  "properties": {k: _output_schema(v) for k, v in hints.items()}}
        if required:
            schema["required"] = [k for k in hints if k in required]
        return schema
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in _SEQUENCE_ORIGINS and args and _is_typed_dict(args[0]):
        return {"type": "array", "items": _output_schema(args[0])}
    if origin is typing.Union and any(_is_typed_dict(a) for a in args):
        return {"anyOf": [_output_schema(a) for a in args]}
    return dict(_compile(tp).schema)


def _sdk_output_spec(tool_name: str, ret) -> typing.Tuple[typing.Optional[dict], bool]:
    """(outputSchema, wrap) as the mcp SDK's FastMCP derives them from a return annotation.

    Primitives, None and typing generics (List[...], Dict[...], Optional[...]) are
    wrapped as {"result": value}; builtin dict[str, T] is sent as is; a bare
    `dict`, Image or an unannotated function gets no structured output.
    """
    if ret is inspect.Parameter.empty or ret is Image or ret is dict or isinstance(ret, str):
        return None, False
    if _is_typed_dict(ret):
        return _output_schema(ret), False
    if _Annotated is not None and typing.get_origin(ret) is _Annotated:
        ret = typing.get_args(ret)[0]
    builtin_generic = getattr(__import__("types"), "GenericAlias", None)
    if builtin_generic is not None and isinstance(ret, builtin_generic) and typing.get_origin(ret) is dict:
        args = typing.get_args(ret)
        if len(args) == 2 and args[0] is str:
            schema = {"type": "object", "additionalProperties": _compile(args[1]).schema or True}
            schema["title"] = "%sDictOutput" % tool_name
            return schema, False
    elif isinstance(ret, type) and ret not in (str, int, float, bool, bytes, _NoneType) and ret is not None:
        if issubclass(ret, dict) or hasattr(ret, "__dataclass_fields__") or getattr(ret, "__annotations__", None):
            return {"type": "object", "title": ret.__name__}, False
        return None, False
    result = {"title": "Result"}
    result.update(_compile(ret).schema if ret is not bytes else {"type": "string", "format": "binary"})
    return {"type": "object", "properties": {"result": result}, "required": ["result"],
            "title": "%sOutput" % tool_name}, True


def _sdk_content(value) -> list:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [item for v in value for item in _sdk_content(v)]
    if isinstance(value, Image):
        return [value.to_image_content()]
    if isinstance(value, dict) and value.get("type") in ("text", "image", "audio", "resource", "resource_link"):
        return [value]
    if isinstance(value, str):
        return [{"type": "text", "text": value}]
    return [{"type": "text", "text": json.dumps(value, indent=2, ensure_ascii=False, default=str)}]


def to_call_result_sdk(tool: "Tool", value) -> dict:
    """The CallToolResult the mcp SDK's FastMCP would send (MCP_LITE_SDK_COMPAT=1)."""
    result = {"content": _sdk_content(value), "isError": False}
    if tool.output_schema is not None:
        result["structuredContent"] = {"result": value} if tool.wrap_output else value
    return result


def _convert_result(tool: "Tool", value, sdk_compat: bool = False) -> dict:
    try:
        if sdk_compat:
            result = to_call_result_sdk(tool, value)
            json.dumps(result, default=str)  # fail here, not in the transport
            return result
        return to_call_result(value)
    except (TypeError, ValueError, RecursionError) as e:  # e.g. a circular structure
        return error_result("Error executing tool %s: result is not JSON-serializable: %s" % (tool.name, e))


def _exit_from_tool(tool_name: str, exc: SystemExit) -> None:
    code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    logger.warning("mcp_lite: tool %s called sys.exit(%r); the server exits", tool_name, exc.code)
    for stream in (sys.stderr, sys.__stdout__):
        try:
            stream.flush()
        except Exception:
            pass
    os._exit(code)


def _log_tool_exception(tool_name: str, exc: BaseException) -> None:
    # ValueError/ToolError are how tools report bad requests: not worth a stderr line.
    if isinstance(exc, (ValueError, ToolError)):
        logger.debug("mcp_lite: tool %s refused: %s", tool_name, exc)
    else:
        logger.warning("mcp_lite: tool %s raised %s: %s", tool_name, type(exc).__name__, exc,
                       exc_info=(type(exc), exc, exc.__traceback__))


# --------------------------------------------------------------------------
# Context (injected into tools that declare a `ctx: Context` parameter)
# --------------------------------------------------------------------------


class _Done:
    """An awaitable that is already complete, so Context methods work with or without await."""

    __slots__ = ()

    def __await__(self):
        return iter(())


_DONE = _Done()


class Context:
    """The subset of FastMCP's Context that makes sense here: logging and progress."""

    def __init__(self, session=None, call=None):
        self._session = session
        self._call = call

    @property
    def request_id(self):
        return None if self._call is None else str(self._call.id)

    @property
    def client_id(self):
        return None

    @property
    def is_cancelled(self) -> bool:
        """mcp_lite extension: true once the client cancelled this request."""
        return self._call is not None and self._call.cancelled

    def report_progress(self, progress, total=None, message=None):
        call = self._call
        if call is not None and call.progress_token is not None and not call.cancelled:
            params = {"progressToken": call.progress_token, "progress": progress}
            if total is not None:
                params["total"] = total
            if message is not None:
                params["message"] = message
            call.sink({"jsonrpc": "2.0", "method": "notifications/progress", "params": params})
        return _DONE

    def log(self, level, message, logger_name=None):
        logger.log(getattr(logging, str(level).upper(), logging.INFO), "%s", message)
        call = self._call
        if call is not None:
            params = {"level": level, "data": message}
            if logger_name:
                params["logger"] = logger_name
            call.sink({"jsonrpc": "2.0", "method": "notifications/message", "params": params})
        return _DONE

    def debug(self, message, **kw):
        return self.log("debug", message, kw.get("logger_name"))

    def info(self, message, **kw):
        return self.log("info", message, kw.get("logger_name"))

    def warning(self, message, **kw):
        return self.log("warning", message, kw.get("logger_name"))

    def error(self, message, **kw):
        return self.log("error", message, kw.get("logger_name"))


# --------------------------------------------------------------------------
# Execution: worker threads and one event loop for async tools
# --------------------------------------------------------------------------


class _Workers:
    """A growing pool of daemon threads; idle threads are reused."""

    def __init__(self, max_workers=256):
        self._jobs: "queue.SimpleQueue" = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._idle = 0
        self._count = 0
        self._max = max_workers

    def submit(self, fn, *args):
        with self._lock:
            if self._idle > 0:
                self._idle -= 1
            elif self._count < self._max:
                self._count += 1
                threading.Thread(target=self._work, name="mcp-tool-%d" % self._count, daemon=True).start()
        self._jobs.put((fn, args))

    def _work(self):
        get = self._jobs.get
        while True:
            fn, args = get()
            try:
                fn(*args)
            except BaseException:  # a bug in the dispatcher itself; keep the worker alive
                logger.exception("mcp_lite: worker job failed")
            with self._lock:
                self._idle += 1


class _Loop:
    """One asyncio event loop on a daemon thread, started on first use."""

    def __init__(self):
        self._loop = None
        self._lock = threading.Lock()

    def get(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            with self._lock:
                if self._loop is None:
                    loop = asyncio.new_event_loop()
                    ready = threading.Event()

                    def run():
                        asyncio.set_event_loop(loop)
                        loop.call_soon(ready.set)
                        loop.run_forever()

                    threading.Thread(target=run, name="mcp-asyncio", daemon=True).start()
                    ready.wait()
                    self._loop = loop
        return self._loop


class _Call:
    __slots__ = ("id", "tool", "cancelled", "future", "sink", "progress_token")

    def __init__(self, id, tool, sink, progress_token):
        self.id = id
        self.tool = tool
        self.cancelled = False
        self.future = None
        self.sink = sink
        self.progress_token = progress_token


def _response(msg_id, result) -> dict:
    return {"jsonrpc": "2.0", "id": msg_id, "result": result}


def _error(msg_id, code, message, data=None) -> dict:
    err = {"code": code, "message": message}
    if data is not None:
        err["data"] = data
    return {"jsonrpc": "2.0", "id": msg_id, "error": err}


def encode_message(msg) -> bytes:
    """One JSON-RPC message as compact JSON bytes (no newline)."""
    return json.dumps(msg, separators=(",", ":"), default=str).encode("utf-8")


class Session:
    """Protocol state of one client connection; transport-independent.

    `handle(msg, sink)` processes one decoded JSON-RPC message; responses and
    request-related notifications for it are passed to `sink(dict)`, which the
    transport provides and which must be thread-safe.
    """

    def __init__(self, server: "FastMCP"):
        self.server = server
        self.inflight: typing.Dict[object, _Call] = {}
        self.lock = threading.Lock()
        self.protocol_version: typing.Optional[str] = None
        self.client_info = None
        self.initialized = False
        self.closed = False

    # -- entry points ------------------------------------------------------

    def handle_bytes(self, data: bytes, sink) -> None:
        """Decodes one line/body and handles it; parse errors are answered."""
        try:
            msg = json.loads(data)
        except ValueError as e:
            sink(_error(None, PARSE_ERROR, "Parse error: %s" % e))
            return
        if isinstance(msg, list):
            if not msg:
                sink(_error(None, INVALID_REQUEST, "Invalid Request: empty batch"))
            for m in msg:
                self.handle(m, sink)
            return
        self.handle(msg, sink)

    def handle(self, msg, sink) -> None:
        for hook in self.server._message_hooks:
            try:
                hook(msg)
            except Exception:
                logger.exception("mcp_lite: message hook failed")
        if not isinstance(msg, dict):
            sink(_error(None, INVALID_REQUEST, "Invalid Request: a JSON-RPC message must be an object"))
            return
        method = msg.get("method")
        msg_id = msg.get("id")
        has_id = "id" in msg and msg_id is not None
        if method is None:
            if "result" in msg or "error" in msg:
                return  # a response to a server-initiated request; we send none
            sink(_error(msg_id if has_id else None, INVALID_REQUEST, "Invalid Request: missing 'method'"))
            return
        if not isinstance(method, str) or (has_id and not isinstance(msg_id, (str, int))):
            if has_id:
                sink(_error(None, INVALID_REQUEST, "Invalid Request: bad 'method' or 'id'"))
            return
        params = msg.get("params")
        if params is None:
            params = {}
        if not isinstance(params, dict):
            if has_id:
                sink(_error(msg_id, INVALID_PARAMS, "Invalid params: 'params' must be an object"))
            return
        if not has_id:
            self._notification(method, params)
            return
        if method == "tools/call":
            self._tools_call(msg_id, params, sink)
            return
        handler = self._REQUESTS.get(method)
        if handler is None:
            sink(_error(msg_id, METHOD_NOT_FOUND, "Method not found: %s" % method))
            return
        try:
            result = handler(self, params)
        except _RpcError as e:
            sink(_error(msg_id, e.code, e.message))
            return
        except Exception as e:  # a bug: answer rather than leave the client waiting
            logger.exception("mcp_lite: %s failed", method)
            sink(_error(msg_id, INTERNAL_ERROR, "Internal error in %s: %s" % (method, e)))
            return
        sink(_response(msg_id, result))

    def close(self) -> None:
        """Cancels every call in progress (their results are dropped)."""
        with self.lock:
            self.closed = True
            calls = list(self.inflight.values())
            self.inflight.clear()
        for call in calls:
            self._cancel(call)

    # -- requests ----------------------------------------------------------

    def _initialize(self, params):
        requested = params.get("protocolVersion")
        version = requested if requested in SUPPORTED_PROTOCOL_VERSIONS else DEFAULT_PROTOCOL_VERSION
        self.protocol_version = version
        self.client_info = params.get("clientInfo")
        server = self.server
        result = {
            "protocolVersion": version,
            "capabilities": server._capabilities(),
            "serverInfo": {"name": server.name, "version": server.version},
        }
        if server.instructions:
            result["instructions"] = server.instructions
        return result

    def _ping(self, params):
        return {}

    def _tools_list(self, params):
        return {"tools": self.server._tool_definitions()}

    _REQUESTS = {"initialize": _initialize, "ping": _ping, "tools/list": _tools_list}

    # -- notifications -----------------------------------------------------

    def _notification(self, method, params):
        if method == "notifications/initialized":
            self.initialized = True
        elif method == "notifications/cancelled":
            request_id = params.get("requestId")
            with self.lock:
                call = self.inflight.pop(request_id, None) if request_id is not None else None
            if call is not None:
                logger.debug("mcp_lite: cancelled request %r (%s): %s", request_id, call.tool.name,
                             params.get("reason"))
                self._cancel(call)
        # Other notifications (roots/list_changed, progress, ...) need no action.

    @staticmethod
    def _cancel(call: _Call) -> None:
        call.cancelled = True
        fut = call.future
        if fut is not None:
            fut.cancel()  # concurrent.futures wrapper of an asyncio task: thread-safe
        on_cancel = getattr(call.sink, "on_cancel", None)
        if on_cancel is not None:  # HTTP transports end the request's stream
            on_cancel(call.id)

    # -- tools/call --------------------------------------------------------

    def _tools_call(self, msg_id, params, sink):
        name = params.get("name")
        if not isinstance(name, str):
            sink(_error(msg_id, INVALID_PARAMS, "Invalid params: tools/call needs a string 'name'"))
            return
        tool = self.server._tools.get(name)
        if tool is None:
            sink(_error(msg_id, INVALID_PARAMS, "Unknown tool: %s" % name))
            return
        arguments = params.get("arguments")
        if arguments is None:
            arguments = {}
        elif not isinstance(arguments, dict):
            sink(_response(msg_id, error_result("Invalid arguments for tool %s: 'arguments' must be an object" % name)))
            return
        try:
            kwargs = tool.bind(arguments)
        except ArgumentError as e:
            sink(_response(msg_id, error_result(str(e))))
            return
        meta = params.get("_meta")
        token = meta.get("progressToken") if isinstance(meta, dict) else None
        call = _Call(msg_id, tool, sink, token)
        with self.lock:
            self.inflight[msg_id] = call
        if tool.is_async:
            self._start_async(call, kwargs)
        else:
            self.server._workers.submit(self._run_sync, call, kwargs)

    def _run_sync(self, call: _Call, kwargs: dict) -> None:
        if call.cancelled:
            return
        tool = call.tool
        try:
            ctx = Context(self, call) if tool.context_param is not None else None
            value = tool.invoke(kwargs, ctx)
        except SystemExit as e:  # sys.exit() in a tool ends the server, as it would in the SDK
            _exit_from_tool(tool.name, e)
        except BaseException as e:
            _log_tool_exception(tool.name, e)
            result = error_result(_exception_text(tool.name, e))
        else:
            result = _convert_result(tool, value, self.server.sdk_compat)
        self._finish(call, result)

    def _start_async(self, call: _Call, kwargs: dict) -> None:
        tool = call.tool
        try:
            ctx = Context(self, call) if tool.context_param is not None else None
            coro = tool.invoke(kwargs, ctx)
        except Exception as e:
            self._finish(call, error_result(_exception_text(tool.name, e)))
            return
        fut = asyncio.run_coroutine_threadsafe(coro, self.server._loop.get())
        call.future = fut
        if call.cancelled:  # cancelled between registration and start
            fut.cancel()

        def done(f):
            if f.cancelled() or call.cancelled:
                with self.lock:
                    self.inflight.pop(call.id, None)
                return
            exc = f.exception()
            if exc is None:
                result = _convert_result(tool, f.result(), self.server.sdk_compat)
            elif isinstance(exc, SystemExit):
                _exit_from_tool(tool.name, exc)
            else:
                _log_tool_exception(tool.name, exc)
                result = error_result(_exception_text(tool.name, exc))
            self._finish(call, result)

        fut.add_done_callback(done)

    def _finish(self, call: _Call, result: dict) -> None:
        with self.lock:
            if self.inflight.get(call.id) is call:
                del self.inflight[call.id]
        if call.cancelled:
            return  # the client no longer expects an answer
        try:
            call.sink(_response(call.id, result))
        except (TypeError, ValueError, RecursionError) as e:  # e.g. a circular structure: still answer
            text = "Error executing tool %s: result is not JSON-serializable: %s" % (call.tool.name, e)
            call.sink(_response(call.id, error_result(text)))


class _RpcError(Exception):
    def __init__(self, code, message):
        Exception.__init__(self, message)
        self.code = code
        self.message = message


# --------------------------------------------------------------------------
# stdio transport
# --------------------------------------------------------------------------


class _StdioChannel:
    """Owns the protocol stream: a private copy of fd 1; fd 1 itself then points at stderr."""

    def __init__(self):
        try:
            sys.stdout.flush()
        except Exception:
            pass
        self.fd = os.dup(1)
        os.dup2(2, 1)  # stray writes to stdout (print, C code, children) go to stderr
        sys.stdout = sys.stderr
        self.lock = threading.Lock()
        self.broken = False

    def send(self, msg) -> None:
        data = encode_message(msg) + b"\n"
        with self.lock:
            if self.broken:
                return
            try:
                view = memoryview(data)
                while view:
                    n = os.write(self.fd, view)
                    view = view[n:]
            except OSError as e:  # the client went away
                self.broken = True
                logger.info("mcp_lite: stdout closed (%s)", e)

    def send_raw(self, data: bytes) -> None:
        """Writes bytes as they are (test fixtures use this to emit garbage)."""
        with self.lock:
            os.write(self.fd, data)


def _configure_logging(level: str) -> None:
    if not logging.getLogger().handlers and not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
        logger.propagate = False
    logger.setLevel(getattr(logging, str(level).upper(), logging.INFO))


# --------------------------------------------------------------------------
# FastMCP
# --------------------------------------------------------------------------


def _load_http():
    """Imports mcp_lite_http.py from beside this file (only HTTP servers pay for it)."""
    mod = sys.modules.get("mcp_lite_http")
    if mod is None:
        import importlib.util

        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mcp_lite_http.py")
        spec = importlib.util.spec_from_file_location("mcp_lite_http", path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules["mcp_lite_http"] = mod
        spec.loader.exec_module(mod)
    return mod


class _Settings:
    def __init__(self, overrides: dict):
        env = os.environ
        self.host = env.get("FASTMCP_HOST", "127.0.0.1")
        self.port = int(env.get("FASTMCP_PORT", "8000"))
        self.streamable_http_path = env.get("FASTMCP_STREAMABLE_HTTP_PATH", "/mcp")
        self.sse_path = env.get("FASTMCP_SSE_PATH", "/sse")
        self.message_path = env.get("FASTMCP_MESSAGE_PATH", "/messages/")
        self.json_response = env.get("FASTMCP_JSON_RESPONSE", "").lower() in ("1", "true", "yes")
        self.stateless_http = env.get("FASTMCP_STATELESS_HTTP", "").lower() in ("1", "true", "yes")
        self.log_level = env.get("FASTMCP_LOG_LEVEL", "INFO")
        self.debug = env.get("FASTMCP_DEBUG", "").lower() in ("1", "true", "yes")
        for key, value in overrides.items():
            setattr(self, key, value)


class FastMCP:
    """An MCP server with FastMCP's decorator API, on the standard library only."""

    def __init__(self, name: typing.Optional[str] = None, instructions: typing.Optional[str] = None, **settings):
        self.name = name or "FastMCP"
        self.instructions = instructions
        self.version = settings.pop("version", None) or __version__
        # mcp_lite extension: mimic the mcp SDK's structured output (outputSchema, {"result": x} wrapping).
        compat = settings.pop("sdk_compat", None)
        if compat is None:
            compat = os.environ.get("MCP_LITE_SDK_COMPAT", "").lower() in ("1", "true", "yes")
        self.sdk_compat = bool(compat)
        self.settings = _Settings(settings)
        self._tools: typing.Dict[str, Tool] = {}
        self._definitions: typing.Optional[list] = None
        self._message_hooks: typing.List[typing.Callable] = []
        self._workers = _Workers()
        self._loop = _Loop()
        self.channel = None  # the stdio channel while run("stdio") is active

    # -- registration ------------------------------------------------------

    def tool(self, name=None, title=None, description=None, annotations=None, structured_output=None, **kwargs):
        """Registers a function as a tool: @mcp.tool(), @mcp.tool(name=...) or bare @mcp.tool."""
        if callable(name):  # bare @mcp.tool
            fn = name
            self.add_tool(fn)
            return fn

        def decorator(fn):
            self.add_tool(fn, name=name, title=title, description=description, annotations=annotations, **kwargs)
            return fn

        return decorator

    def add_tool(self, fn, name=None, title=None, description=None, annotations=None, structured_output=None, **kw):
        """Registers `fn` as a tool (schema derived now, not per call)."""
        tool = Tool(fn, name=name, title=title, description=description, annotations=annotations, meta=kw.get("meta"))
        if tool.name in self._tools:
            logger.warning("mcp_lite: tool already exists: %s (replaced)", tool.name)
        self._tools[tool.name] = tool
        self._definitions = None
        return tool

    def remove_tool(self, name: str) -> None:
        if name not in self._tools:
            raise ToolError("Unknown tool: %s" % name)
        del self._tools[name]
        self._definitions = None

    def resource(self, *args, **kwargs):
        raise NotImplementedError("mcp_lite serves tools only; install the `mcp` package for @mcp.resource")

    def prompt(self, *args, **kwargs):
        raise NotImplementedError("mcp_lite serves tools only; install the `mcp` package for @mcp.prompt")

    def add_message_hook(self, fn) -> None:
        """mcp_lite extension: `fn(message)` sees each incoming JSON-RPC message first."""
        self._message_hooks.append(fn)

    # -- introspection (same names as FastMCP, plain dicts instead of models) --

    def _tool_definitions(self) -> list:
        defs = self._definitions
        if defs is None:
            attr = "sdk_definition" if self.sdk_compat else "definition"
            defs = self._definitions = [getattr(t, attr) for t in self._tools.values()]
        return defs

    def _capabilities(self) -> dict:
        return {"tools": {"listChanged": False}}

    async def list_tools(self) -> list:
        return list(self._tool_definitions())

    async def call_tool(self, name: str, arguments: dict) -> dict:
        """Calls a tool in-process and returns its CallToolResult (for tests)."""
        tool = self._tools.get(name)
        if tool is None:
            raise ToolError("Unknown tool: %s" % name)
        try:
            kwargs = tool.bind(arguments or {})
            value = tool.invoke(kwargs)
            if inspect.isawaitable(value):
                value = await value
        except Exception as e:
            return error_result(str(e) if isinstance(e, ArgumentError) else _exception_text(name, e))
        return _convert_result(tool, value, self.sdk_compat)

    # -- transports ----------------------------------------------------------

    def run(self, transport: str = "stdio", mount_path: typing.Optional[str] = None) -> None:
        """Serves MCP until the client goes away: "stdio", "streamable-http" or "sse"."""
        _configure_logging(self.settings.log_level)
        if transport == "stdio":
            self.run_stdio()
        elif transport in ("streamable-http", "sse"):
            _load_http().serve(self, transport, mount_path)
        else:
            raise ValueError("Unknown transport: %r (expected 'stdio', 'streamable-http' or 'sse')" % (transport,))

    def run_stdio(self) -> None:
        channel = self.channel = _StdioChannel()
        session = Session(self)
        send = channel.send
        stdin = sys.stdin.buffer
        logger.debug("mcp_lite: %s serving on stdio", self.name)
        try:
            for line in stdin:
                if line.strip():
                    session.handle_bytes(line, send)
        except KeyboardInterrupt:
            pass
        finally:
            session.close()
