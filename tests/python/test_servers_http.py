"""mcp_lite's HTTP transports (Streamable HTTP and legacy SSE), against the robot servers."""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import unittest
from typing import Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from servers_harness import SERVERS, TIMEOUT  # noqa: E402


def start_http(script: str, transport: str, env: dict) -> Tuple[subprocess.Popen, int]:
    full = dict(os.environ, ROBOT_SIM_TRANSPORT=transport, FASTMCP_PORT="0", PYTHONUNBUFFERED="1", **env)
    proc = subprocess.Popen([sys.executable, script], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=full)
    line = proc.stderr.readline().decode()
    m = re.search(r"serving \S+ on http://127\.0\.0\.1:(\d+)/", line)
    if not m:
        proc.kill()
        raise AssertionError("no listening line from %s: %r" % (script, line))
    threading.Thread(target=proc.stderr.read, daemon=True).start()
    return proc, int(m.group(1))


def stop_http(proc: subprocess.Popen) -> None:
    proc.kill()
    proc.wait(3)
    proc.stderr.close()


class TestHttpTransports(unittest.TestCase):
    def setUp(self):
        self.sim_dir = tempfile.mkdtemp(prefix="orch-robot-sim-test-")
        self.addCleanup(shutil.rmtree, self.sim_dir, True)

    def post(self, conn, body, headers=None):
        h = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
        h.update(headers or {})
        conn.request("POST", "/mcp", json.dumps(body), h)
        resp = conn.getresponse()
        return resp, resp.read()

    def test_streamable_http_session_sse_and_json(self):
        proc, port = start_http(os.path.join(SERVERS, "isaac_sim.py"), "streamable-http",
                                {"ROBOT_SIM_DIR": self.sim_dir})
        self.addCleanup(stop_http, proc)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
        self.addCleanup(conn.close)
        resp, body = self.post(conn, {"jsonrpc": "2.0", "id": 1, "method": "initialize",
                                      "params": {"protocolVersion": "2025-03-26", "capabilities": {}}})
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.getheader("Content-Type"), "text/event-stream")
        session = resp.getheader("Mcp-Session-Id")
        self.assertTrue(session)
        event = json.loads(body.decode().split("data: ", 1)[1].split("\n", 1)[0])
        self.assertEqual(event["result"]["protocolVersion"], "2025-03-26")
        hs = {"Mcp-Session-Id": session}
        resp, body = self.post(conn, {"jsonrpc": "2.0", "method": "notifications/initialized"}, hs)
        self.assertEqual((resp.status, body), (202, b""))
        resp, body = self.post(conn, {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                                      "params": {"name": "save_scene_state", "arguments": {}}},
                               dict(hs, Accept="application/json"))
        self.assertEqual(resp.status, 200)
        self.assertEqual(json.loads(body)["result"]["content"][0]["text"], "scene_0001")
        resp, _ = self.post(conn, {"jsonrpc": "2.0", "id": 3, "method": "ping"})
        self.assertEqual(resp.status, 400)  # no session id
        resp, _ = self.post(conn, {"jsonrpc": "2.0", "id": 3, "method": "ping"}, {"Mcp-Session-Id": "nope"})
        self.assertEqual(resp.status, 404)
        resp, _ = self.post(conn, {"jsonrpc": "2.0", "id": 3, "method": "ping"}, dict(hs, Origin="http://evil.example"))
        self.assertEqual(resp.status, 403)
        conn.request("DELETE", "/mcp", headers=hs)
        resp = conn.getresponse()
        resp.read()
        self.assertEqual(resp.status, 200)
        resp, _ = self.post(conn, {"jsonrpc": "2.0", "id": 4, "method": "ping"}, hs)
        self.assertEqual(resp.status, 404)

    def test_legacy_sse_transport(self):
        proc, port = start_http(os.path.join(SERVERS, "resources.py"), "sse", {"ROBOT_SIM_DIR": self.sim_dir})
        self.addCleanup(stop_http, proc)
        stream = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
        self.addCleanup(stream.close)
        stream.request("GET", "/sse", headers={"Accept": "text/event-stream"})
        events = stream.getresponse()
        self.assertEqual(events.status, 200)

        def next_event():
            data = None
            while True:
                line = events.fp.readline().decode()
                if line.startswith("data: "):
                    data = line[6:].strip()
                elif line == "\r\n" or line == "\n":
                    if data is not None:
                        return data
                # chunk-size lines and "event:" lines are skipped

        endpoint = next_event()
        self.assertTrue(endpoint.startswith("/messages/?session_id="))
        post = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
        self.addCleanup(post.close)
        post.request("POST", endpoint, json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
            "name": "get_object_grasp_configs_by_result",
            "arguments": {"assembly_id": "3", "object_name": "gear", "result": "SUCCESS"}}}),
            {"Content-Type": "application/json"})
        resp = post.getresponse()
        resp.read()
        self.assertEqual(resp.status, 202)
        msg = json.loads(next_event())
        configs = json.loads(msg["result"]["content"][0]["text"])
        self.assertEqual([c["grasp_id"] for c in configs], [3, 2])


if __name__ == "__main__":
    unittest.main()
