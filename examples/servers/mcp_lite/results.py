"""Results: a tool's return value as a CallToolResult (default and SDK-compatible shapes)."""

from __future__ import annotations

import base64
import inspect
import json
import os
import sys
import typing

from .base import ArgumentError, ToolError, logger
from .schema import _SEQUENCE_ORIGINS, _Annotated, _compile, _NoneType

if typing.TYPE_CHECKING:
    from .tools import Tool

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
