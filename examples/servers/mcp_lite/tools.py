"""Tools: a registered function, its precomputed schema and argument binder."""

from __future__ import annotations

import enum
import inspect
import json
import typing

from .base import ArgumentError
from .context import Context
from .docstrings import _title, parse_docstring
from .results import _is_typed_dict, _sdk_output_spec
from .schema import _compile_hint, _NoneType

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
