"""Execution: worker threads and one event loop for async tools, and the JSON-RPC session."""

from __future__ import annotations

import asyncio
import json
import queue
import threading
import typing

from .base import (
    DEFAULT_PROTOCOL_VERSION,
    INTERNAL_ERROR,
    INVALID_PARAMS,
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    PARSE_ERROR,
    SUPPORTED_PROTOCOL_VERSIONS,
    ArgumentError,
    logger,
)
from .context import Context
from .results import _convert_result, _exception_text, _exit_from_tool, _log_tool_exception, error_result

if typing.TYPE_CHECKING:
    from .fastmcp import FastMCP

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
