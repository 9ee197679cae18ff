"""Protocol constants, the mcp_lite logger and the errors tools and callers see."""

from __future__ import annotations

import logging

__version__ = "0.1.0"

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
