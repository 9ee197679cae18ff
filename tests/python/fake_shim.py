"""A stand-in for orch's IPC shim, to test the Python runtime's client.

Standard library only. Speaks HTTP/1.1 with keep-alive over a Unix socket
(or 127.0.0.1 TCP) and answers like the real shim: every refusal is built from
``shim_answers.json``, written from the shim's own contract (src/shim/answers.ts,
docs/ARCHITECTURE.md "The shim's answers") by scripts/gen_assets.ts. Tools of
the built-in ``demo`` server:

    echo            one text item holding the arguments as JSON
    structured      structuredContent {"result": arguments["value"]}
    text            one text item, arguments["text"] as is
    image, audio    one image / audio item (arguments["data"] base64)
    multi           text (JSON), text (plain), image, resource_link
    empty           no content
    fail            isError, text arguments["message"]
    deny            the shim's ``denied`` answer (403)
    abort           its ``aborted`` answer (409)
    upstream        its ``upstream`` answer (502: the server crashed)
    internal        its ``internal`` answer (500)
    abort500        500 with "[ABORTED] ..." and no flag: not an answer the shim
                    gives (the runtime's fallback for an abort in words)
    html502         502 with an HTML body: not the shim's either (a proxy's)
    big             one text item of arguments["size"] characters
    sleep           waits arguments["seconds"], then echo
    drop            reads the request, closes without answering
    count           returns how many times it was called

Anything else in ``demo`` is a 404 with a "did you mean". Tests can add
their own answers with ``shim.handler = fn(server, tool, arguments)``
returning ``(status, payload)`` or None to fall through.

Run alone (for benchmarks): ``python3 fake_shim.py --socket PATH`` or
``--tcp``; it prints ``ready <address>`` and serves until killed.
"""

import argparse
import base64
import json
import os
import socket
import socketserver
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler

TOKEN = "test-token"

DROP = object()  # a handler result: close the connection without answering

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "shim_answers.json")) as _f:
    ANSWERS = json.load(_f)


def refusal(kind, error, **extra):
    """``(status, payload)`` of the shim's answer of this kind (shim_answers.json)."""
    answer = ANSWERS[kind]
    payload = {"success": False, "error": error}
    if "flag" in answer:
        payload[answer["flag"]] = True
    payload.update(extra)
    return answer["status"], payload


def content_answer(content, structured=None):
    """A 200 success answer as the real shim sends it: the content once, no decoded copy."""
    payload = {"success": True, "content": content}
    if structured is not None:
        payload["structuredContent"] = structured
    return 200, payload


PNG_1PX = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d4944415478da63f8cfc0f01f0005000201a5f6457a0000000049454e44ae426082"
    )
).decode("ascii")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-shim"
    sys_version = ""

    def setup(self):
        super().setup()
        with self.server.shim.lock:
            self.server.shim.connections += 1
            self.server.shim.open_sockets.add(self.connection)

    def log_message(self, *args):  # quiet
        pass

    def address_string(self):  # Unix sockets have no client address
        return "unix"

    # -- answers

    def _send(self, status, payload, headers=()):
        shim = self.server.shim
        if isinstance(payload, bytes):
            body, ctype = payload, "text/html"
        else:
            body, ctype = json.dumps(payload).encode("utf-8"), "application/json"
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        for name, value in headers:
            self.send_header(name, value)
        close = shim.close_after_answer or shim.send_connection_close
        if shim.send_connection_close:
            self.send_header("Connection", "close")
        if shim.chunked:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            step = shim.chunk_size
            for i in range(0, len(body), step):
                piece = body[i:i + step]
                ext = ";ext=1" if shim.chunk_extensions else ""
                self.wfile.write(b"%x%s\r\n%s\r\n" % (len(piece), ext.encode(), piece))
            self.wfile.write(b"0\r\n")
            if shim.chunk_extensions:
                self.wfile.write(b"X-Trailer: yes\r\n")
            self.wfile.write(b"\r\n")
        else:
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        self.wfile.flush()
        if close:
            self.close_connection = True

    def _check(self):
        shim = self.server.shim
        auth = self.headers.get("Authorization")
        if shim.token is not None and auth != "Bearer " + shim.token:
            self._send(*refusal("unauthorized", "invalid or expired run token"))
            return False
        host = (self.headers.get("Host") or "").split(":")[0]
        if host not in ("localhost", "127.0.0.1"):
            self._send(*refusal("forbidden", "Host %s is not allowed: orch IPC answers only localhost" % host))
            return False
        return True

    def do_GET(self):
        shim = self.server.shim
        shim.record(self, None)
        if not self._check():
            return
        if self.path == "/health":
            self._send(200, {"status": "ok"})
        elif self.path == "/list_tools":
            servers = {"demo": [{"name": name, "description": "", "input_schema": {"type": "object"}}
                                for name in sorted(DEMO_TOOLS)]}
            self._send(200, {"success": True, "servers": servers, "total_servers": 1,
                             "total_tools": len(DEMO_TOOLS)})
        else:
            self._send(*refusal("unknown", "no route GET %s" % self.path))

    def do_POST(self):
        shim = self.server.shim
        length = int(self.headers.get("Content-Length") or 0)
        if shim.max_body is not None and length > shim.max_body:
            # Like a real server: refuse early, without reading the body.
            shim.record(self, b"")
            self._send(*refusal("tooLarge", "request body is larger than %d bytes" % shim.max_body))
            self.close_connection = True
            return
        raw = self.rfile.read(length)
        shim.record(self, raw)
        if not self._check():
            return
        if self.path != "/call_tool":
            self._send(*refusal("unknown", "no route POST %s" % self.path))
            return
        try:
            req = json.loads(raw)
        except ValueError as e:
            self._send(*refusal("badRequest", "request body is not JSON: %s" % e))
            return
        server, tool, args = req.get("server"), req.get("tool"), req.get("arguments")
        if not isinstance(server, str) or not isinstance(tool, str) or not isinstance(args, dict):
            self._send(*refusal("badRequest", "Missing required fields: server, tool"))
            return
        answer = None
        if shim.handler is not None:
            answer = shim.handler(server, tool, args)
        if answer is None:
            answer = demo_tool(shim, server, tool, args)
        if answer is DROP:
            self.close_connection = True
            return
        status, payload = answer
        self._send(status, payload)


def demo_tool(shim, server, tool, args):
    fn = DEMO_TOOLS.get(tool) if server == "demo" else None
    if fn is None:
        near = [name for name in DEMO_TOOLS if name[:3] == tool[:3]]
        hint = " (did you mean demo.%s?)" % near[0] if near else ""
        return refusal("unknown", "unknown tool %s.%s%s" % (server, tool, hint))
    return fn(shim, args)


def _count(shim, args):
    with shim.lock:
        shim.counter += 1
        n = shim.counter
    return content_answer([{"type": "text", "text": json.dumps(n)}])


def _sleep(shim, args):
    time.sleep(float(args.get("seconds", 0)))
    return content_answer([{"type": "text", "text": json.dumps(args)}])


DEMO_TOOLS = {
    "echo": lambda shim, a: content_answer([{"type": "text", "text": json.dumps(a, ensure_ascii=False)}]),
    "structured": lambda shim, a: content_answer(
        [{"type": "text", "text": json.dumps({"result": a.get("value")})}], {"result": a.get("value")}),
    "text": lambda shim, a: content_answer([{"type": "text", "text": a.get("text", "")}]),
    "image": lambda shim, a: content_answer(
        [{"type": "image", "data": a.get("data", PNG_1PX), "mimeType": a.get("mimeType", "image/png")}]),
    "audio": lambda shim, a: content_answer(
        [{"type": "audio", "data": a.get("data", "UklGRg=="), "mimeType": "audio/wav"}]),
    "multi": lambda shim, a: content_answer([
        {"type": "text", "text": "{\"n\": 1}"},
        {"type": "text", "text": "plain words"},
        {"type": "image", "data": PNG_1PX, "mimeType": "image/png"},
        {"type": "resource_link", "uri": "file:///tmp/x.txt", "name": "x.txt"},
    ]),
    "empty": lambda shim, a: content_answer([]),
    "fail": lambda shim, a: (200, {"success": False, "isError": True, "error": a.get("message", "boom"),
                                   "content": [{"type": "text", "text": a.get("message", "boom")}]}),
    "deny": lambda shim, a: refusal("denied", a.get("reason", "not in this run's allowed tools")),
    "abort": lambda shim, a: refusal("aborted", "[ABORTED] user pressed Ctrl-C"),
    "upstream": lambda shim, a: refusal("upstream", "demo: the process exited with code 1"),
    "internal": lambda shim, a: refusal("internal", "internal error calling demo.internal: a bug"),
    "abort500": lambda shim, a: (500, {"success": False, "status": "aborted",
                                       "error": "[ABORTED] User cancelled operation"}),
    "html502": lambda shim, a: (502, b"<html><body>Bad Gateway</body></html>"),
    "big": lambda shim, a: content_answer([{"type": "text", "text": "x" * int(a.get("size", 0))}]),
    "sleep": _sleep,
    "drop": lambda shim, a: DROP,
    "count": _count,
}


class _ServerMixin(object):
    daemon_threads = True
    block_on_close = False

    def shutdown_request(self, request):
        # Counted once the socket is really closed, so a test that waits for
        # it knows the client can see the close.
        super().shutdown_request(request)
        shim = self.shim
        with shim.lock:
            shim.closed += 1
            shim.open_sockets.discard(request)
        shim.closed_event.set()

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


class _UnixServer(_ServerMixin, socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    pass


class _TcpServer(_ServerMixin, socketserver.ThreadingMixIn, socketserver.TCPServer):
    allow_reuse_address = True


class FakeShim(object):
    """The fake shim, serving on its own thread; use as a context manager."""

    def __init__(self, path=None, tcp=False, token=TOKEN):
        self.path = path
        self.tcp = tcp
        self.token = token
        self.handler = None
        self.chunked = False
        self.chunk_size = 4096
        self.chunk_extensions = False
        self.close_after_answer = False  # close silently after each answer (idle close)
        self.send_connection_close = False  # answer with "Connection: close"
        self.max_body = None  # refuse bigger bodies with 413 without reading them
        self.lock = threading.Lock()
        self.connections = 0
        self.closed = 0
        self.closed_event = threading.Event()
        self.counter = 0
        self.open_sockets = set()
        self.requests = []  # (method, path, headers dict, raw body)
        self._server = None
        self._thread = None

    def record(self, handler, raw):
        with self.lock:
            self.requests.append((handler.command, handler.path, dict(handler.headers.items()), raw))

    def calls(self, tool=None):
        """The decoded /call_tool bodies seen, optionally only for one tool."""
        out = []
        for method, path, _, raw in list(self.requests):
            if method == "POST" and path == "/call_tool":
                body = json.loads(raw)
                if tool is None or body.get("tool") == tool:
                    out.append(body)
        return out

    @property
    def env(self):
        """The ORCH_* variables a policy run would get."""
        env = {"ORCH_RUN_TOKEN": self.token or "", "ORCH_RUN_ID": "test-run"}
        if self.tcp:
            env["ORCH_IPC_URL"] = "http://127.0.0.1:%d" % self._server.server_address[1]
        else:
            env["ORCH_IPC_SOCKET"] = self.path
        return env

    def start(self):
        if self.tcp:
            self._server = _TcpServer(("127.0.0.1", 0), _Handler)
        else:
            if os.path.exists(self.path):
                os.unlink(self.path)
            self._server = _UnixServer(self.path, _Handler)
        self._server.shim = self
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self):
        """Stop listening; open connections are shut down too."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        with self.lock:
            for sock in list(self.open_sockets):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        self._thread.join(5)
        self._server = None
        if not self.tcp and os.path.exists(self.path):
            os.unlink(self.path)

    def wait_closed(self, count, timeout=5.0):
        """Wait until the server has closed ``count`` connections in all."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if self.closed >= count:
                    return True
            self.closed_event.wait(0.01)
            self.closed_event.clear()
        return False

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--socket", help="serve on this Unix socket path")
    parser.add_argument("--tcp", action="store_true", help="serve on 127.0.0.1, any port")
    parser.add_argument("--token", default=TOKEN)
    parser.add_argument("--chunked", action="store_true")
    opts = parser.parse_args(argv)
    if not opts.socket and not opts.tcp:
        parser.error("give --socket PATH or --tcp")
    shim = FakeShim(path=opts.socket, tcp=opts.tcp, token=opts.token)
    shim.chunked = opts.chunked
    shim.start()
    env = shim.env
    print("ready", env.get("ORCH_IPC_SOCKET") or env.get("ORCH_IPC_URL"), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        shim.stop()


if __name__ == "__main__":
    sys.exit(main())
