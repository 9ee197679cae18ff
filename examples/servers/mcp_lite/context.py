"""Context (injected into tools that declare a `ctx: Context` parameter)."""

from __future__ import annotations

import logging

from .base import logger

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
