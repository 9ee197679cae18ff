"""HTTP transports for mcp_lite: Streamable HTTP and the legacy HTTP+SSE transport.

Loaded by ``FastMCP.run("streamable-http")`` / ``FastMCP.run("sse")``; stdlib only.

Streamable HTTP (MCP 2025-03-26 and later), at ``settings.streamable_http_path``
(default ``/mcp``):
  * POST carries one JSON-RPC message or a batch. Notifications and responses
    only -> 202. Requests -> 200 with ``application/json`` (when the client
    accepts only JSON or ``json_response`` is set) or a ``text/event-stream``
    that carries the request's progress/log notifications and then its
    response (chunked, so the connection stays reusable).
  * ``initialize`` creates a session and returns ``Mcp-Session-Id``; later
    requests must send it (400 without it, 404 for an unknown one) unless
    ``stateless_http`` is set. DELETE ends a session. GET -> 405 (no
    server-initiated stream).
Legacy SSE (MCP 2024-11-05): GET ``/sse`` opens the event stream and names
the POST endpoint (``/messages/?session_id=...``) in an ``endpoint`` event.

Bound to a loopback address, the server rejects a ``Host`` or ``Origin`` that
is not loopback (DNS rebinding). With port 0 the OS picks a port; the address
is logged to stderr as ``mcp_lite: <name> serving <transport> on <url>``.
"""

from __future__ import annotations

import json
import queue
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from .base import SUPPORTED_PROTOCOL_VERSIONS, logger
from .session import Session

_LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")
MAX_BODY = 64 * 1024 * 1024


def _hostname(value: str) -> str:
    if value.startswith("["):
        return value[: value.find("]") + 1]
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


class _Collector:
    """Sink for the messages of one POST: streams them (SSE) or gathers them (JSON)."""

    def __init__(self, handler, ids, sse):
        self.handler = handler
        self.pending = set(ids)
        self.sse = sse
        self.responses = []
        self.cond = threading.Condition()
        self.broken = False
        self.closed = False  # set once the HTTP response is complete: later messages are dropped

    def __call__(self, msg):
        data = _lite_encode(msg)  # raises here, in the caller, when msg cannot be encoded
        with self.cond:
            msg_id = msg.get("id") if "method" not in msg else None
            is_response = msg_id is not None and msg_id in self.pending
            if self.closed:
                return
            if self.sse and not self.broken:
                try:
                    self.handler.write_chunk(b"event: message\ndata: " + data + b"\n\n")
                except OSError:
                    self.broken = True
            if is_response:
                self.pending.discard(msg_id)
                self.responses.append(data)
                self.cond.notify_all()

    def on_cancel(self, msg_id):
        with self.cond:
            if msg_id in self.pending:
                self.pending.discard(msg_id)
                if not self.sse:
                    self.responses.append(_lite_encode(_rpc_error(msg_id, -32800, "Request cancelled")))
                self.cond.notify_all()

    def wait(self):
        with self.cond:
            while self.pending and not self.broken:
                self.cond.wait(1.0)
            self.closed = True


def _lite_encode(msg) -> bytes:
    return json.dumps(msg, separators=(",", ":"), default=str).encode("utf-8")


class _App:
    def __init__(self, server, transport, mount_path):
        self.server = server
        self.transport = transport
        settings = server.settings
        self.stateless = bool(getattr(settings, "stateless_http", False))
        self.json_response = bool(getattr(settings, "json_response", False))
        self.mcp_path = settings.streamable_http_path.rstrip("/") or "/"
        prefix = (mount_path or "").rstrip("/")
        self.sse_path = prefix + settings.sse_path
        self.message_path = prefix + settings.message_path
        self.loopback = settings.host in _LOOPBACK
        self.sessions = {}
        self.sse_queues = {}
        self.lock = threading.Lock()

    # -- checks -------------------------------------------------------------

    def guard(self, h) -> bool:
        """Refuses requests from non-loopback Hosts/Origins when bound to loopback."""
        if not self.loopback:
            return True
        host = h.headers.get("Host", "")
        if host and _hostname(host) not in _LOOPBACK:
            h.send_json(421, {"error": "Misdirected request: Host %r is not allowed" % host})
            return False
        origin = h.headers.get("Origin")
        if origin and (urlsplit(origin).hostname or "") not in _LOOPBACK:
            h.send_json(403, {"error": "Forbidden: Origin %r is not allowed" % origin})
            return False
        return True

    # -- Streamable HTTP -----------------------------------------------------

    def post_mcp(self, h, body):
        try:
            parsed = json.loads(body)
        except ValueError as e:
            h.send_json(400, _rpc_error(None, -32700, "Parse error: %s" % e))
            return
        batch = isinstance(parsed, list)
        msgs = parsed if batch else [parsed]
        if not msgs or not all(isinstance(m, dict) for m in msgs):
            h.send_json(400, _rpc_error(None, -32600, "Invalid Request: expected a JSON-RPC object or batch"))
            return
        version = h.headers.get("Mcp-Protocol-Version")
        if version and version not in SUPPORTED_PROTOCOL_VERSIONS:
            h.send_json(400, _rpc_error(None, -32600, "Bad Request: unsupported protocol version %s" % version))
            return
        is_init = any(m.get("method") == "initialize" for m in msgs)
        session_id = h.headers.get("Mcp-Session-Id")
        new_session = None
        if self.stateless:
            session = Session(self.server)
        elif is_init:
            session = Session(self.server)
            new_session = uuid.uuid4().hex
            with self.lock:
                self.sessions[new_session] = session
        else:
            if not session_id:
                h.send_json(400, _rpc_error(None, -32000, "Bad Request: missing Mcp-Session-Id header"))
                return
            with self.lock:
                session = self.sessions.get(session_id)
            if session is None:
                h.send_json(404, _rpc_error(None, -32001, "Session not found: %s" % session_id))
                return
        request_ids = [m["id"] for m in msgs if "method" in m and m.get("id") is not None]
        if not request_ids:
            for m in msgs:
                session.handle(m, _drop)
            h.send_response(202)
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        accept = h.headers.get("Accept", "")
        sse = "text/event-stream" in accept and not ("application/json" in accept and self.json_response)
        if "application/json" not in accept and "text/event-stream" not in accept and "*/*" not in accept:
            sse = False
        collector = _Collector(h, request_ids, sse)
        if sse:
            h.send_response(200)
            h.send_header("Content-Type", "text/event-stream")
            h.send_header("Cache-Control", "no-cache")
            h.send_header("Transfer-Encoding", "chunked")
            if new_session:
                h.send_header("Mcp-Session-Id", new_session)
            h.end_headers()
        for m in msgs:
            session.handle(m, collector)
        collector.wait()
        if collector.broken:  # the client went away: its calls are moot
            for msg_id in list(collector.pending):
                session._notification("notifications/cancelled", {"requestId": msg_id, "reason": "client disconnected"})
            h.close_connection = True
            return
        if sse:
            try:
                h.end_chunks()
            except OSError:
                h.close_connection = True
            return
        extra = {"Mcp-Session-Id": new_session} if new_session else {}
        if not collector.responses:
            h.send_json(202, None, extra)
        elif batch:
            h.send_raw_json(200, b"[" + b",".join(collector.responses) + b"]", extra)
        else:
            h.send_raw_json(200, collector.responses[0], extra)

    def delete_mcp(self, h):
        session_id = h.headers.get("Mcp-Session-Id")
        with self.lock:
            session = self.sessions.pop(session_id, None) if session_id else None
        if session is None:
            h.send_json(404 if session_id else 400, {"error": "Session not found" if session_id else "Missing session"})
            return
        session.close()
        h.send_json(200, {})

    # -- legacy SSE ----------------------------------------------------------

    def get_sse(self, h):
        session_id = uuid.uuid4().hex
        session = Session(self.server)
        q: "queue.SimpleQueue" = queue.SimpleQueue()
        with self.lock:
            self.sessions[session_id] = session
            self.sse_queues[session_id] = q
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream")
        h.send_header("Cache-Control", "no-cache")
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        try:
            endpoint = "%s?session_id=%s" % (self.message_path, session_id)
            h.write_chunk(b"event: endpoint\ndata: " + endpoint.encode() + b"\n\n")
            while True:
                try:
                    msg = q.get(timeout=15.0)
                except queue.Empty:
                    h.write_chunk(b": keep-alive\n\n")
                    continue
                if msg is None:
                    break
                h.write_chunk(b"event: message\ndata: " + _lite_encode(msg) + b"\n\n")
            h.end_chunks()
        except OSError:
            pass
        finally:
            with self.lock:
                self.sessions.pop(session_id, None)
                self.sse_queues.pop(session_id, None)
            session.close()
            h.close_connection = True

    def post_message(self, h, query, body):
        session_id = (parse_qs(query).get("session_id") or [""])[0]
        with self.lock:
            session = self.sessions.get(session_id)
            q = self.sse_queues.get(session_id)
        if session is None or q is None:
            h.send_json(404, {"error": "Could not find session %s" % session_id})
            return
        h.send_response(202)
        h.send_header("Content-Length", "8")
        h.end_headers()
        h.wfile.write(b"Accepted")
        session.handle_bytes(body, q.put)


def _drop(msg):
    pass


def _rpc_error(msg_id, code, message):
    return {"jsonrpc": "2.0", "id": msg_id, "error": {"code": code, "message": message}}


def _handler_class(app: _App):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "mcp_lite"

        def log_message(self, fmt, *args):
            logger.debug("mcp_lite http: " + fmt, *args)

        # -- helpers --------------------------------------------------------

        def read_body(self):
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                chunks = []
                total = 0
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        self.rfile.readline()
                        break
                    total += size
                    if total > MAX_BODY:
                        self.send_json(413, {"error": "Request body too large"})
                        return None
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
                return b"".join(chunks)
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self.send_json(413, {"error": "Request body too large"})
                self.close_connection = True
                return None
            return self.rfile.read(length)

        def send_json(self, status, payload, headers=None):
            self.send_raw_json(status, None if payload is None else _lite_encode(payload), headers)

        def send_raw_json(self, status, data, headers=None):
            self.send_response(status)
            if data is None:
                data = b""
            else:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def write_chunk(self, data: bytes):
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

        def end_chunks(self):
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()

        # -- routing --------------------------------------------------------

        def _route(self):
            parts = urlsplit(self.path)
            return (parts.path.rstrip("/") or "/"), parts.query

        def do_POST(self):
            body = self.read_body()  # always consumed, so the connection stays usable after an error
            if body is None or not app.guard(self):
                return
            path, query = self._route()
            if app.transport == "streamable-http" and path == app.mcp_path:
                app.post_mcp(self, body)
            elif app.transport == "sse" and path == app.message_path.rstrip("/"):
                app.post_message(self, query, body)
            else:
                self.send_json(404, {"error": "Not found: %s" % self.path})

        def do_GET(self):
            if not app.guard(self):
                return
            path, _ = self._route()
            if app.transport == "streamable-http" and path == app.mcp_path:
                self.send_response(405)
                self.send_header("Allow", "POST, DELETE")
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif app.transport == "sse" and path == app.sse_path.rstrip("/"):
                app.get_sse(self)
            else:
                self.send_json(404, {"error": "Not found: %s" % self.path})

        def do_DELETE(self):
            if self.read_body() is None or not app.guard(self):
                return
            path, _ = self._route()
            if app.transport == "streamable-http" and path == app.mcp_path:
                app.delete_mcp(self)
            else:
                self.send_json(404, {"error": "Not found: %s" % self.path})

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def serve(server, transport: str, mount_path=None) -> None:
    """Serves `server` over HTTP until interrupted."""
    app = _App(server, transport, mount_path)
    settings = server.settings
    host = settings.host
    if ":" in host and not host.startswith("["):
        _Server.address_family = __import__("socket").AF_INET6
    httpd = _Server((host, int(settings.port)), _handler_class(app))
    port = httpd.server_address[1]
    path = app.mcp_path if transport == "streamable-http" else app.sse_path
    shown = "[%s]" % host if ":" in host else host
    sys.stderr.write("mcp_lite: %s serving %s on http://%s:%d%s\n" % (server.name, transport, shown, port, path))
    sys.stderr.flush()
    try:
        httpd.serve_forever(poll_interval=0.25)
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()
