"""FastMCP: the decorator API, in-process calls and the choice of transport."""

from __future__ import annotations

import inspect
import os
import sys
import typing

from .base import ArgumentError, ToolError, __version__, logger
from .results import _convert_result, _exception_text, error_result
from .session import Session, _Loop, _Workers
from .stdio import _StdioChannel, _configure_logging
from .tools import Tool


def _load_http():
    """The HTTP transports, imported on first use (only HTTP servers pay for them)."""
    from . import http_transport

    return http_transport


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
