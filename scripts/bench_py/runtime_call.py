"""Micro-benchmark of the policy runtime's per-call cost (not a test).

    python3 scripts/bench_py/runtime_call.py [-n CALLS]

Each server runs in a process of its own so the client's CPU time can be
measured apart from the server's:

- fake shim: tests/python/fake_shim.py (http.server, so the server side
  dominates the wall time);
- canned: a minimal server that answers every request with the same bytes,
  which leaves mostly the client's own cost.

Against each it times ``orch_runtime.call_tool`` and, for comparison,
``http.client`` on one keep-alive connection doing the same request and
JSON decoding (and, against the canned server, a bare sendall+recv of the
same bytes: the IPC floor). It prints the median wall time per call and the
client's CPU time per call, and first the runtime's own cost with the
socket stubbed out. On a busy machine the wall times move a lot between
runs; the stubbed figure and the differences are the stable part.
"""

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TEMPLATES = os.path.join(ROOT, "templates")
SHIM_DIR = os.path.join(ROOT, "tests", "python")  # the fake shim is the Python tests' own
sys.path[:0] = [TEMPLATES, SHIM_DIR]

import orch_runtime  # noqa: E402
from fake_shim import TOKEN  # noqa: E402

ARGS = {"object_name": "cup_3", "grasp_id": 0, "mode": "sim", "move_to_object": True}
CANNED_BODY = json.dumps({
    "success": True,
    "result": {"success": True, "pose": [0.1, 0.2, 0.3]},
    "content": [{"type": "text", "text": json.dumps({"success": True, "pose": [0.1, 0.2, 0.3]})}],
}).encode()


def canned_server(path):
    """Serve the same answer to every request, one thread per connection."""
    answer = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (
        len(CANNED_BODY), CANNED_BODY)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(64)
    print("ready", path, flush=True)

    def serve(conn):
        buf = b""
        while True:
            data = conn.recv(65536)
            if not data:
                return
            buf += data
            while True:
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    break
                head = buf[:end].lower()
                i = head.find(b"content-length:")
                n = int(head[i + 15:].split(b"\r\n", 1)[0]) if i >= 0 else 0
                if len(buf) < end + 4 + n:
                    break
                buf = buf[end + 4 + n:]
                conn.sendall(answer)

    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost")
        self.unix_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.unix_path)


def bench(fns, n, rounds=5):
    """Median wall and client CPU time per call (us), rounds interleaved to share the noise."""
    for fn in fns.values():
        for _ in range(200):  # warm up: connections, caches
            fn()
    walls = {name: [] for name in fns}
    cpus = {name: [] for name in fns}
    per_round = max(1, n // rounds)
    for _ in range(rounds):
        for name, fn in fns.items():
            cpu0 = time.process_time()
            for _ in range(per_round):
                t0 = time.perf_counter()
                fn()
                walls[name].append(time.perf_counter() - t0)
            cpus[name].append((time.process_time() - cpu0) / per_round)
    return {name: (statistics.median(walls[name]) * 1e6, statistics.median(cpus[name]) * 1e6) for name in fns}


def request_bytes():
    body = json.dumps({"server": "demo", "tool": "echo", "arguments": ARGS}).encode()
    return b"".join((b"POST /call_tool HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ", TOKEN.encode(),
                     b"\r\nContent-Type: application/json\r\nContent-Length: ", str(len(body)).encode(),
                     b"\r\n\r\n", body))


def run_against(path, n, label, floor=False):
    os.environ["ORCH_IPC_SOCKET"] = path
    os.environ["ORCH_RUN_TOKEN"] = TOKEN
    orch_runtime._reset()
    fns = {}
    fns["orch_runtime.call_tool"] = lambda: orch_runtime.call_tool("demo", "echo", ARGS)
    conn = UnixHTTPConnection(path)
    headers = {"Authorization": "Bearer " + TOKEN, "Content-Type": "application/json"}

    def via_http_client():
        conn.request("POST", "/call_tool", json.dumps({"server": "demo", "tool": "echo", "arguments": ARGS}),
                     headers)
        return json.loads(conn.getresponse().read())

    fns["http.client keep-alive"] = via_http_client
    if floor:
        raw = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        raw.connect(path)
        req = request_bytes()

        def bare():  # the same bytes, no HTTP parsing, no JSON: the IPC floor
            raw.sendall(req)
            return raw.recv(65536)

        fns["bare sendall+recv"] = bare
    print(label)
    for name, (wall, cpu) in bench(fns, n).items():
        print("  %-24s median %7.1f us/call   client CPU %6.1f us/call" % (name, wall, cpu))
    conn.close()


def python_only(n):
    """The runtime's own cost per call, with the socket replaced by a stub."""
    answer = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (
        len(CANNED_BODY), CANNED_BODY)

    class StubSocket(object):
        def sendall(self, data):
            pass

        def recv(self, size):
            return answer

        def close(self):
            pass

    class StubPoll(object):
        def poll(self, timeout):
            return []

    os.environ["ORCH_IPC_SOCKET"] = "/nonexistent"
    os.environ["ORCH_RUN_TOKEN"] = TOKEN
    orch_runtime._reset()
    conn = orch_runtime._Conn.__new__(orch_runtime._Conn)
    conn.sock, conn.buf, conn.poll, conn.timeout = StubSocket(), b"", StubPoll(), None
    orch_runtime._local.conn = conn
    call = orch_runtime.call_tool
    best = None
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(n):
            call("demo", "echo", ARGS)
        t = (time.perf_counter() - t0) / n * 1e6
        best = t if best is None else min(best, t)
    t0 = time.perf_counter()
    for _ in range(n):
        json.dumps({"server": "demo", "tool": "echo", "arguments": ARGS}).encode()
        json.loads(CANNED_BODY)
    j = (time.perf_counter() - t0) / n * 1e6
    orch_runtime._local.conn = None
    print("runtime's own cost (socket stubbed out): %.1f us/call, of which ~%.1f us is json encode+decode" % (best, j))


def start(argv):
    proc = subprocess.Popen([sys.executable] + argv, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if not line.startswith("ready"):
        proc.kill()
        raise SystemExit("server did not start: %r" % line)
    return proc


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=5000, help="calls per measurement")
    parser.add_argument("--canned-server", metavar="PATH", help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.canned_server:
        canned_server(opts.canned_server)
        return
    with tempfile.TemporaryDirectory() as tmp:
        shim_path = os.path.join(tmp, "shim.sock")
        canned_path = os.path.join(tmp, "canned.sock")
        procs = [start([os.path.join(SHIM_DIR, "fake_shim.py"), "--socket", shim_path]),
                 start([os.path.abspath(__file__), "--canned-server", canned_path])]
        try:
            print("python %s, %d calls each" % (sys.version.split()[0], opts.n))
            python_only(opts.n * 10)
            run_against(shim_path, opts.n, "fake shim (tests/python/fake_shim.py, http.server):")
            run_against(canned_path, opts.n, "canned answers (minimal server):", floor=True)
        finally:
            for p in procs:
                p.kill()
                p.wait()


if __name__ == "__main__":
    main()
