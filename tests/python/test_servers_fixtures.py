"""The misbehaving fixture servers in tests/fixtures/servers (crashes, floods, slow calls, garbage)."""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from servers_harness import FIXTURES, TIMEOUT, McpProcess  # noqa: E402


class TestFixtures(unittest.TestCase):
    def test_crashy_exits_mid_call_with_code_3(self):
        s = McpProcess(os.path.join(FIXTURES, "crashy.py"))
        self.addCleanup(s.close)
        s.initialize()
        self.assertEqual(s.call("echo", {"text": "ok"})["content"][0]["text"], "ok")
        msg_id = s.start_request("tools/call", {"name": "crash", "arguments": {}})
        self.assertEqual(s.proc.wait(TIMEOUT), 3)
        self.assertIsNone(s.wait_response(msg_id, 0.2))
        self.assertIn("exiting with code 3", s.stderr)

    def test_hang_init_never_answers(self):
        s = McpProcess(os.path.join(FIXTURES, "hang_init.py"))
        self.addCleanup(s.close)
        msg_id = s.start_request("initialize", {"protocolVersion": "2025-06-18", "capabilities": {}})
        self.assertIsNone(s.wait_response(msg_id, 0.5))
        self.assertIsNone(s.proc.poll())
        self.assertEqual(s.close(), 0)  # exits on EOF

    def test_exit_at_once(self):
        s = McpProcess(os.path.join(FIXTURES, "exit_at_once.py"))
        self.assertEqual(s.proc.wait(TIMEOUT), 1)
        s.close()
        self.assertIn("fatal: missing ROS_DOMAIN_ID", s.stderr)

    def test_garbage_lines_between_valid_responses(self):
        s = McpProcess(os.path.join(FIXTURES, "garbage.py"))
        self.addCleanup(s.close)
        self.assertEqual(s.initialize()["serverInfo"]["name"], "garbage")
        self.assertEqual(s.call("echo", {"text": "still fine"})["content"][0]["text"], "still fine")
        self.assertEqual(list(s.tools()), ["echo"])
        self.assertGreaterEqual(len(s.garbage), 10)
        self.assertTrue(any(b"\xff" in g for g in s.garbage))

    def test_slow_cancellation_ping_progress_and_log(self):
        log = tempfile.NamedTemporaryFile(suffix=".jsonl", delete=False)
        log.close()
        self.addCleanup(os.unlink, log.name)
        s = McpProcess(os.path.join(FIXTURES, "slow.py"), env={"FIXTURE_LOG": log.name})
        self.addCleanup(s.close)
        s.initialize()
        long_id = s.start_request("tools/call", {"name": "sleep", "arguments": {"seconds": 30},
                                                 "_meta": {"progressToken": "tok-1"}})
        start = time.monotonic()
        self.assertEqual(s.request("ping")["result"], {})  # not blocked by the long call
        self.assertLess(time.monotonic() - start, 5.0)  # generous: the call blocks for 30 s
        short = s.value("sleep", {"seconds": 0.6})
        self.assertEqual(short, {"slept": 0.6})
        s.send({"jsonrpc": "2.0", "method": "notifications/cancelled",
                "params": {"requestId": long_id, "reason": "user abort"}})
        s.send({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 4242}})
        self.assertIsNone(s.wait_response(long_id, 0.5))  # a cancelled call is never answered
        self.assertEqual(s.value("count"), 3)
        with s.cond:
            progress = [n for n in s.notifications if n["method"] == "notifications/progress"]
        self.assertTrue(progress and progress[0]["params"]["progressToken"] == "tok-1")
        with open(log.name) as f:
            events = [json.loads(line) for line in f]
        kinds = [e["event"] for e in events]
        self.assertEqual(kinds.count("call"), 3)
        cancelled = [e for e in events if e["event"] == "cancelled"]
        self.assertEqual([(c["requestId"], c["reason"]) for c in cancelled], [(long_id, "user abort"), (4242, None)])
        self.assertIn("interrupted", kinds)
        self.assertEqual(events[0], dict(events[0], event="call", tool="sleep", arguments={"seconds": 30}))

    def test_flood_returns_very_large_text(self):
        s = McpProcess(os.path.join(FIXTURES, "flood.py"))
        self.addCleanup(s.close)
        s.initialize()
        size = 8 * 1024 * 1024
        text = s.call("flood", {"size": size}, timeout=20)["content"][0]["text"]
        self.assertEqual(len(text), size)
        self.assertTrue(text.startswith("0123456789"))
        self.assertEqual(s.value("flood_json", {"items": 3})["count"], 3)


if __name__ == "__main__":
    unittest.main()
