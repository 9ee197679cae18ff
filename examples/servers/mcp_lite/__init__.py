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
  ``mcp.run("sse")`` the legacy HTTP+SSE transport (see http_transport.py).
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

The package, one module per concern (imports flow down this list):
  base.py            protocol versions, JSON-RPC error codes, the logger, ToolError, ArgumentError
  schema.py          type hints -> JSON Schema + validators
  docstrings.py      Google/Sphinx docstrings -> description + per-parameter text
  context.py         Context, injected into tools that declare a ``ctx: Context`` parameter
  results.py         a tool's return value -> CallToolResult (default and SDK shapes)
  tools.py           Tool: a registered function, its schema and argument binder
  session.py         worker threads, the event loop for async tools, the JSON-RPC session
  stdio.py           the stdio transport
  http_transport.py  Streamable HTTP and legacy SSE (imported only when used)
  fastmcp.py         FastMCP, the decorator API
"""

from __future__ import annotations

# Every public name of the one-file module this package was is still importable from here.
from .base import (  # noqa: F401
    DEFAULT_PROTOCOL_VERSION,
    INTERNAL_ERROR,
    INVALID_PARAMS,
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    PARSE_ERROR,
    REQUEST_CANCELLED,
    SUPPORTED_PROTOCOL_VERSIONS,
    ArgumentError,
    ToolError,
    __version__,
    logger,
)
from .context import Context
from .docstrings import parse_docstring  # noqa: F401
from .fastmcp import FastMCP
from .results import Image, error_result, to_call_result, to_call_result_sdk  # noqa: F401
from .session import Session, encode_message  # noqa: F401
from .tools import Tool  # noqa: F401

__all__ = ["FastMCP", "Context", "Image", "ToolError", "SUPPORTED_PROTOCOL_VERSIONS", "DEFAULT_PROTOCOL_VERSION"]
