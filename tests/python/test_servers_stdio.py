"""The MCP protocol over stdio, against mcp_lite servers run as real subprocesses."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from servers_harness import FIXTURES, SERVERS, TIMEOUT, McpProcess, error_text  # noqa: E402


class TestProtocol(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = McpProcess(os.path.join(FIXTURES, "crashy.py"))

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def test_initialize_negotiates_protocol_version(self):
        for requested, expected in [("2024-11-05", "2024-11-05"), ("2025-03-26", "2025-03-26"),
                                    ("2025-11-25", "2025-11-25"), ("1999-01-01", "2025-06-18")]:
            result = self.server.initialize(requested)
            self.assertEqual(result["protocolVersion"], expected)
            self.assertEqual(result["capabilities"], {"tools": {"listChanged": False}})
            self.assertEqual(result["serverInfo"]["name"], "crashy")

    def test_ping_unknown_method_and_malformed_input(self):
        s = self.server
        self.assertEqual(s.request("ping")["result"], {})
        err = s.request("resources/list")["error"]
        self.assertEqual(err["code"], -32601)
        self.assertIn("resources/list", err["message"])
        err = s.request("tools/call", {"name": "nope"})["error"]
        self.assertEqual((err["code"], err["message"]), (-32602, "Unknown tool: nope"))
        s.send(b"{this is not json\n")
        s.send({"jsonrpc": "2.0", "id": 9001, "method": "tools/call", "params": "not an object"})
        self.assertEqual(s.wait_response(9001)["error"]["code"], -32602)
        with s.cond:
            s.cond.wait_for(lambda: None in s.responses, TIMEOUT)
            self.assertEqual(s.responses.pop(None)["error"]["code"], -32700)

    def test_tool_results_and_errors(self):
        s = self.server
        self.assertEqual(s.call("echo", {"text": "héllo"}), {"content": [{"type": "text", "text": "héllo"}],
                                                             "isError": False})
        self.assertEqual(error_text(s.call("echo", {})),
                         "Invalid arguments for tool echo: missing required argument 'text'")
        self.assertIn("unknown argument 'txt'", error_text(s.call("echo", {"text": "a", "txt": "b"})))
        self.assertIn("argument 'text': expected string, got integer 5", error_text(s.call("echo", {"text": 5})))

    def test_back_to_back_calls_each_get_their_own_answer(self):
        # How fast a call is, is measured by scripts/bench (its "raw floor" row, scripts/bench_py/raw_floor.py,
        # and the orch rows above it), not asserted here: a bound in microseconds is loose or flaky on a shared box.
        s = self.server
        for i in range(200):
            self.assertEqual(s.call("echo", {"text": "call %d" % i})["content"][0]["text"], "call %d" % i)


class TestStdioEdgeCases(unittest.TestCase):
    def test_sync_call_cancelled_is_never_answered_and_ping_still_works(self):
        sim_dir = tempfile.mkdtemp(prefix="orch-robot-sim-test-")
        self.addCleanup(shutil.rmtree, sim_dir, True)
        s = McpProcess(os.path.join(SERVERS, "ros_mcp_server.py"),
                       {"ROBOT_SIM_DIR": sim_dir, "ROBOT_SIM_LATENCY_MS": "2500"})
        self.addCleanup(s.close)
        s.initialize()
        slow_id = s.start_request("tools/call", {"name": "move_home", "arguments": {}})
        start = time.monotonic()
        self.assertEqual(s.request("ping")["result"], {})
        self.assertLess(time.monotonic() - start, 2.0)  # generous, yet less than the call's 2.5 s
        s.send({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": slow_id}})
        self.assertIsNone(s.wait_response(slow_id, 0.8))
        # A sync call that already started runs to completion (its result is dropped); one cancelled
        # before a worker picked it up never runs. Either way the server keeps serving.
        self.assertIn(s.value("get_robot_state")["last_command"], (None, "move_home"))

    def test_batch_stray_print_and_unserialisable_result(self):
        tmp = tempfile.mkdtemp(prefix="mcp-lite-test-")
        self.addCleanup(shutil.rmtree, tmp, True)
        script = os.path.join(tmp, "noisy.py")
        with open(script, "w") as f:
            f.write(
                "import sys\nsys.path.insert(0, %r)\n"
                "from mcp_lite import FastMCP\n"
                "mcp = FastMCP('noisy')\n"
                "@mcp.tool()\n"
                "def shout(text: str) -> str:\n"
                "    print('this must not reach the protocol stream')\n"
                "    return text.upper()\n"
                "@mcp.tool()\n"
                "def loop() -> dict:\n"
                "    d = {}\n"
                "    d['self'] = d\n"
                "    return d\n"
                "mcp.run()\n" % SERVERS
            )
        s = McpProcess(script)
        self.addCleanup(s.close)
        s.initialize()
        s.send([{"jsonrpc": "2.0", "id": "a", "method": "ping"},
                {"jsonrpc": "2.0", "id": "b", "method": "tools/call",
                 "params": {"name": "shout", "arguments": {"text": "hi"}}}])
        self.assertEqual(s.wait_response("a")["result"], {})
        self.assertEqual(s.wait_response("b")["result"]["content"][0]["text"], "HI")
        self.assertIn("not JSON-serializable", error_text(s.call("loop")))
        self.assertEqual(s.garbage, [])
        s.close()
        self.assertIn("this must not reach the protocol stream", s.stderr)


if __name__ == "__main__":
    unittest.main()
