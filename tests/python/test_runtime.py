"""Tests of templates/orch_runtime.py against tests/python/fake_shim.py."""

import base64
import json
import os
import pathlib
import shutil
import socket
import sys
import tempfile
import threading
import time
import unittest
import warnings
from unittest import mock

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATES = os.path.join(os.path.dirname(os.path.dirname(HERE)), "templates")
for _p in (TEMPLATES, HERE):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import orch_runtime as rt  # noqa: E402
from fake_shim import DROP, PNG_1PX, FakeShim, content_answer  # noqa: E402


class ShimTestCase(unittest.TestCase):
    tcp = False

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="orch-rt-")
        self.shim = FakeShim(path=os.path.join(self.tmp, "shim.sock"), tcp=self.tcp).start()
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.addCleanup(self.shim.stop)
        self.use_env(self.shim.env)

    def use_env(self, env):
        clean = {k: v for k, v in os.environ.items() if not k.startswith("ORCH_")}
        clean.update(env)
        patcher = mock.patch.dict(os.environ, clean, clear=True)
        patcher.start()
        self.addCleanup(patcher.stop)
        rt._reset()
        self.addCleanup(rt._reset)


class ResultTest(ShimTestCase):
    def test_call_tool_returns_structured_content_as_dict(self):
        self.assertEqual(rt.call_tool("demo", "structured", {"value": [1, 2]}), {"result": [1, 2]})

    def test_call_tool_unwrap_returns_the_single_result_field(self):
        self.assertEqual(rt.call_tool("demo", "structured", {"value": [1, 2]}, unwrap=True), [1, 2])

    def test_call_tool_unwrap_keeps_other_structured_content(self):
        self.shim.handler = lambda s, t, a: content_answer([], {"result": 1, "extra": 2})
        self.assertEqual(rt.call_tool("demo", "x", unwrap=True), {"result": 1, "extra": 2})

    def test_call_tool_decodes_one_json_text_item(self):
        self.assertEqual(rt.call_tool("demo", "echo", {"a": 1, "b": [True, None]}), {"a": 1, "b": [True, None]})
        self.assertEqual(rt.call_tool("demo", "text", {"text": "42"}), 42)

    def test_call_tool_returns_plain_text_as_string(self):
        self.assertEqual(rt.call_tool("demo", "text", {"text": "grasp ok"}), "grasp ok")

    def test_call_tool_returns_image_object(self):
        img = rt.call_tool("demo", "image")
        self.assertIsInstance(img, rt.Image)
        self.assertEqual(img.mime_type, "image/png")
        self.assertEqual(img.data, base64.b64decode(PNG_1PX))
        self.assertTrue(img.data.startswith(b"\x89PNG"))
        self.assertEqual(repr(img), "<Image image/png, 70 bytes>")

    def test_call_tool_returns_audio_object(self):
        audio = rt.call_tool("demo", "audio")
        self.assertIsInstance(audio, rt.Audio)
        self.assertEqual(audio.data, b"RIFF")
        self.assertEqual(audio.mime_type, "audio/wav")

    def test_call_tool_returns_list_for_several_items(self):
        out = rt.call_tool("demo", "multi")
        self.assertEqual(len(out), 4)
        self.assertEqual(out[0], {"n": 1})
        self.assertEqual(out[1], "plain words")
        self.assertIsInstance(out[2], rt.Image)
        self.assertEqual(out[3], {"type": "resource_link", "uri": "file:///tmp/x.txt", "name": "x.txt"})

    def test_call_tool_returns_none_for_empty_content(self):
        self.assertIsNone(rt.call_tool("demo", "empty"))

    def test_call_tool_decodes_a_json_text_item_itself(self):
        # The shim sends a result once, as content: the runtime decodes the text, as JSON.parse would.
        for text, want in (("[1, 2]", [1, 2]), (' {"a": 1}', {"a": 1}), ("12 cm", "12 cm"), ("NaN", "NaN"),
                           ("Infinity", "Infinity"), ('"q"', "q"), ("", "")):
            self.shim.handler = lambda s, t, a, text=text: content_answer([{"type": "text", "text": text}])
            self.assertEqual(rt.call_tool("demo", "x"), want, text)

    def test_call_tool_returns_single_resource_item_as_dict(self):
        item = {"type": "resource", "resource": {"uri": "mem://a", "text": "hi"}}
        self.shim.handler = lambda s, t, a: content_answer([item])
        self.assertEqual(rt.call_tool("demo", "x"), item)

    def test_call_tool_round_trips_unicode(self):
        args = {"name": "tasse \u00e0 caf\u00e9 \u2615 \U0001F916", "rtl": "\u05e9\u05dc\u05d5\u05dd",
                "sep": "a\u2028b\u2029c", "nul": "x\x00y", "quote": "\"'\\"}
        self.assertEqual(rt.call_tool("demo", "echo", args), args)
        self.assertEqual(rt.call_tool("demo", "text", {"text": "\U0001F916 ok"}), "\U0001F916 ok")

    def test_call_tool_sends_empty_arguments_for_none(self):
        rt.call_tool("demo", "echo")
        self.assertEqual(self.shim.calls()[-1], {"server": "demo", "tool": "echo", "arguments": {}})

    def test_call_tool_sends_contract_headers(self):
        self.shim.handler = lambda s, t, a: content_answer([])
        rt.call_tool("ros-mcp-server", "echo", {"x": 1})
        method, path, headers, raw = self.shim.requests[-1]
        self.assertEqual((method, path), ("POST", "/call_tool"))
        self.assertEqual(headers["Host"], "localhost")
        self.assertEqual(headers["Authorization"], "Bearer test-token")
        self.assertEqual(headers["Content-Type"], "application/json")
        self.assertEqual(int(headers["Content-Length"]), len(raw))
        self.assertEqual(json.loads(raw), {"server": "ros-mcp-server", "tool": "echo", "arguments": {"x": 1}})

    def test_call_tool_encodes_sets_paths_and_tolist_objects(self):
        class Vec(object):
            def tolist(self):
                return [1.0, 2.0]

        args = {"s": {3}, "p": pathlib.PurePosixPath("/tmp/a"), "v": Vec(), "t": (1, 2)}
        self.assertEqual(rt.call_tool("demo", "echo", args), {"s": [3], "p": "/tmp/a", "v": [1.0, 2.0], "t": [1, 2]})

    def test_call_tool_rejects_arguments_that_are_not_json(self):
        with self.assertRaisesRegex(TypeError, r"demo\.echo: arguments are not JSON.*object"):
            rt.call_tool("demo", "echo", {"o": object()})
        with self.assertRaisesRegex(ValueError, r"demo\.echo: arguments are not JSON"):
            rt.call_tool("demo", "echo", {"f": float("nan")})
        self.assertEqual(self.shim.calls(), [])

    def test_list_tools_returns_servers(self):
        servers = rt.list_tools()
        self.assertIn("echo", [t["name"] for t in servers["demo"]])
        self.assertEqual(self.shim.requests[-1][:2], ("GET", "/list_tools"))


class ErrorTest(ShimTestCase):
    def test_tool_error_carries_server_tool_message_and_content(self):
        with self.assertRaises(rt.ToolError) as cm:
            rt.call_tool("demo", "fail", {"message": "object not found"})
        e = cm.exception
        self.assertEqual(str(e), "demo.fail failed: object not found")
        self.assertEqual((e.server, e.tool, e.message), ("demo", "fail", "object not found"))
        self.assertEqual(e.content, [{"type": "text", "text": "object not found"}])
        self.assertIsInstance(e, rt.OrchError)
        self.assertIsInstance(e, Exception)

    def test_tool_error_without_error_text_uses_content_text(self):
        self.shim.handler = lambda s, t, a: (200, {"success": False, "isError": True,
                                                   "content": [{"type": "text", "text": "gripper jammed"}]})
        with self.assertRaisesRegex(rt.ToolError, r"^demo\.x failed: gripper jammed$"):
            rt.call_tool("demo", "x")

    def test_tool_error_message_format_matches_contract(self):
        e = rt.ToolError("ros-mcp-server", "move_to_grasp", "IK failed")
        self.assertEqual(str(e), "ros-mcp-server.move_to_grasp failed: IK failed")
        self.assertEqual(e.content, [])

    def test_tool_denied_on_403(self):
        with self.assertRaises(rt.ToolDenied) as cm:
            rt.call_tool("demo", "deny", {"reason": "call budget spent"})
        self.assertEqual(str(cm.exception), "demo.deny denied: call budget spent")
        self.assertEqual(cm.exception.reason, "call budget spent")
        self.assertIsInstance(cm.exception, rt.OrchError)

    def test_policy_aborted_on_409_escapes_except_exception(self):
        caught = []
        with self.assertRaises(rt.PolicyAborted) as cm:
            try:
                rt.call_tool("demo", "abort")
            except Exception as e:  # what a policy might write
                caught.append(e)
        self.assertEqual(caught, [])
        self.assertEqual(str(cm.exception), "[ABORTED] user pressed Ctrl-C")
        self.assertFalse(issubclass(rt.PolicyAborted, Exception))
        self.assertTrue(issubclass(rt.PolicyAborted, BaseException))

    def test_policy_aborted_is_sticky(self):
        with self.assertRaises(rt.PolicyAborted):
            rt.call_tool("demo", "abort")
        before = len(self.shim.requests)
        with self.assertRaisesRegex(rt.PolicyAborted, "user pressed Ctrl-C"):
            rt.call_tool("demo", "echo")
        with self.assertRaises(rt.PolicyAborted):
            rt.list_tools()
        self.assertEqual(len(self.shim.requests), before)

    def test_aborted_error_text_wins_whatever_the_status(self):
        with self.assertRaisesRegex(rt.PolicyAborted, r"^\[ABORTED\] User cancelled operation$"):
            rt.call_tool("demo", "abort500")

    def test_aborted_flag_gets_the_aborted_prefix(self):
        self.shim.handler = lambda s, t, a: (500, {"success": False, "aborted": True, "error": "run timed out"})
        with self.assertRaisesRegex(rt.PolicyAborted, r"^\[ABORTED\] run timed out$"):
            rt.call_tool("demo", "x")

    def test_unknown_tool_surfaces_the_shims_message(self):
        with self.assertRaises(rt.OrchError) as cm:
            rt.call_tool("demo", "ech")
        self.assertEqual(str(cm.exception), "unknown tool demo.ech (did you mean demo.echo?)")
        self.assertEqual(cm.exception.status, 404)
        self.assertNotIsInstance(cm.exception, rt.ToolError)

    def test_bad_request_names_the_tool(self):
        with self.assertRaises(rt.OrchError) as cm:
            rt.call_tool("demo", "echo", [1, 2])
        self.assertEqual(str(cm.exception), "demo.echo: Missing required fields: server, tool")
        self.assertEqual(cm.exception.status, 400)

    def test_413_and_500_raise_orch_error(self):
        self.shim.handler = lambda s, t, a: (413, {"success": False, "error": "body over 8 MB"})
        with self.assertRaisesRegex(rt.OrchError, r"^demo\.x: body over 8 MB$"):
            rt.call_tool("demo", "x")
        self.shim.handler = None
        with self.assertRaisesRegex(rt.OrchError, r"^internal error calling demo\.internal: a bug$") as cm:
            rt.call_tool("demo", "internal")
        self.assertEqual(cm.exception.status, 500)
        self.assertNotIsInstance(cm.exception, rt.ToolError)

    def test_the_shims_upstream_answer_is_a_tool_error(self):
        with self.assertRaisesRegex(rt.ToolError, r"^demo\.upstream failed: demo: the process exited with code 1$"):
            rt.call_tool("demo", "upstream")

    def test_a_tools_own_aborted_text_is_a_tool_error_not_an_abort(self):
        self.shim.handler = lambda s, t, a: (200, {"success": False, "isError": True, "error": "[ABORTED] e-stop pressed"})
        with self.assertRaises(rt.ToolError):
            rt.call_tool("demo", "move")
        self.shim.handler = None
        self.assertEqual(rt.call_tool("demo", "echo", {"a": 1}), {"a": 1})

    def test_a_crashed_server_raises_tool_error_naming_it(self):
        self.shim.handler = lambda s, t, a: (502, {"success": False, "error": "demo: the process exited", "upstream": True})
        with self.assertRaises(rt.ToolError) as cm:
            rt.call_tool("demo", "crash")
        self.shim.handler = None
        self.assertEqual((cm.exception.server, cm.exception.tool), ("demo", "crash"))
        self.assertEqual(str(cm.exception), "demo.crash failed: demo: the process exited")

    def test_non_json_answer_raises_orch_error(self):
        with self.assertRaisesRegex(rt.OrchError, r"demo\.html502: orch answered HTTP 502 with a body that is not JSON"):
            rt.call_tool("demo", "html502")

    def test_wrong_token_raises_orch_error(self):
        self.use_env(dict(self.shim.env, ORCH_RUN_TOKEN="nope"))
        with self.assertRaisesRegex(rt.OrchError, "invalid or expired run token") as cm:
            rt.call_tool("demo", "echo")
        self.assertEqual(cm.exception.status, 401)

    def test_missing_environment_raises_orch_error(self):
        self.use_env({})
        with self.assertRaisesRegex(rt.OrchError, "ORCH_IPC_SOCKET nor ORCH_IPC_URL"):
            rt.call_tool("demo", "echo")

    def test_socket_that_does_not_exist_aborts_the_run(self):
        self.use_env(dict(self.shim.env, ORCH_IPC_SOCKET=os.path.join(self.tmp, "gone.sock")))
        with self.assertRaisesRegex(rt.PolicyAborted, r"^\[ABORTED\] orch went away: cannot reach .*gone\.sock"):
            rt.call_tool("demo", "echo")

    def test_other_connect_errors_do_not_abort_the_run(self):
        with mock.patch.object(rt._Conn, "__init__", side_effect=OSError(24, "Too many open files")):
            with self.assertRaisesRegex(rt.OrchError, r"cannot connect to orch at .*Too many open files"):
                rt.call_tool("demo", "echo")
        self.assertEqual(rt.call_tool("demo", "echo", {"a": 1}), {"a": 1})

    def test_orch_going_away_between_calls_aborts_the_run(self):
        self.assertEqual(rt.call_tool("demo", "count"), 1)
        self.shim.stop()
        with self.assertRaisesRegex(rt.PolicyAborted, r"^\[ABORTED\] orch went away"):
            rt.call_tool("demo", "count")

    def test_timeout_raises_and_the_next_call_works(self):
        t0 = time.monotonic()
        with self.assertRaisesRegex(rt.OrchError, r"demo\.sleep: no answer from orch within 0\.2s"):
            rt.call_tool("demo", "sleep", {"seconds": 1}, timeout=0.2)
        self.assertLess(time.monotonic() - t0, 0.9)
        self.assertEqual(rt.call_tool("demo", "echo", {"a": 1}), {"a": 1})

    def test_timeout_from_environment(self):
        self.use_env(dict(self.shim.env, ORCH_CALL_TIMEOUT="0.2"))
        with self.assertRaisesRegex(rt.OrchError, "within 0.2s"):
            rt.call_tool("demo", "sleep", {"seconds": 1})
        self.assertEqual(rt.call_tool("demo", "sleep", {"seconds": 1}, timeout=5), {"seconds": 1})


class ConnectionTest(ShimTestCase):
    def test_calls_reuse_one_keep_alive_connection(self):
        for i in range(50):
            self.assertEqual(rt.call_tool("demo", "echo", {"i": i}), {"i": i})
        rt.list_tools()
        self.assertEqual(self.shim.connections, 1)

    def test_reconnects_when_server_closed_idle_connection(self):
        self.shim.close_after_answer = True
        for i in range(5):
            self.assertEqual(rt.call_tool("demo", "count"), i + 1)
            self.assertTrue(self.shim.wait_closed(i + 1))
        self.assertEqual(self.shim.connections, 5)
        self.assertEqual(len(self.shim.calls("count")), 5)

    def test_resends_once_when_send_hits_a_closed_connection(self):
        # Skip the idle check, so the request really goes out on the dead
        # connection and the send fails: the server never got it.
        self.shim.close_after_answer = True
        self.assertEqual(rt.call_tool("demo", "count"), 1)
        self.assertTrue(self.shim.wait_closed(1))
        with mock.patch.object(rt._Conn, "idle_ok", lambda self: True):
            self.assertEqual(rt.call_tool("demo", "count"), 2)
        self.assertEqual(len(self.shim.calls("count")), 2)

    def test_honours_connection_close_header(self):
        self.shim.send_connection_close = True
        for i in range(3):
            self.assertEqual(rt.call_tool("demo", "count"), i + 1)
        self.assertEqual(self.shim.connections, 3)

    def test_never_replays_a_call_the_server_may_have_run(self):
        with self.assertRaisesRegex(rt.OrchError, r"demo\.drop: orch closed the connection before answering; "
                                                  r"the call may have run and was not retried"):
            rt.call_tool("demo", "drop")
        self.assertEqual(len(self.shim.calls("drop")), 1)
        self.assertEqual(rt.call_tool("demo", "echo", {"after": 1}), {"after": 1})

    def test_truncated_answer_is_not_replayed(self):
        calls = []

        def handler(server, tool, args):
            calls.append(tool)
            return None

        self.shim.handler = handler
        real = rt._Conn.exchange

        def cut(self, request, timeout):
            status, body, keep = real(self, request, timeout)
            raise rt._Closed(len(body))

        with mock.patch.object(rt._Conn, "exchange", cut):
            with self.assertRaisesRegex(rt.OrchError, "in the middle of its answer"):
                rt.call_tool("demo", "echo")
        self.assertEqual(calls, ["echo"])

    def test_each_thread_keeps_its_own_connection(self):
        errors = []
        barrier = threading.Barrier(8)

        def work(n):
            try:
                barrier.wait()
                for i in range(25):
                    got = rt.call_tool("demo", "echo", {"t": n, "i": i})
                    if got != {"t": n, "i": i}:
                        errors.append(got)
            except BaseException as e:  # report, don't hang the test
                errors.append(e)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        self.assertEqual(errors, [])
        self.assertEqual(self.shim.connections, 8)
        self.assertEqual(len(self.shim.calls("echo")), 200)

    def test_big_answer_with_content_length(self):
        out = rt.call_tool("demo", "big", {"size": 10 * 1024 * 1024})
        self.assertEqual(len(out), 10 * 1024 * 1024)
        self.assertEqual(rt.call_tool("demo", "echo", {"small": True}), {"small": True})
        self.assertEqual(self.shim.connections, 1)

    def test_big_request_body(self):
        blob = "\u00e9" * (5 * 1024 * 1024)  # 10 MB of UTF-8
        self.assertEqual(rt.call_tool("demo", "echo", {"blob": blob}), {"blob": blob})

    def test_early_413_for_a_big_body_is_reported_not_retried(self):
        self.shim.max_body = 1024
        self.assertEqual(rt.call_tool("demo", "echo", {"small": 1}), {"small": 1})  # a reused connection next
        with self.assertRaises(rt.OrchError) as cm:
            rt.call_tool("demo", "echo", {"blob": "x" * (8 * 1024 * 1024)})
        self.assertEqual(cm.exception.status, 413)
        self.assertEqual(str(cm.exception), "demo.echo: request body is larger than 1024 bytes")
        self.assertEqual(len(self.shim.requests), 2)
        self.assertEqual(rt.call_tool("demo", "echo", {"small": 2}), {"small": 2})

    def test_chunked_answers(self):
        self.shim.chunked = True
        self.shim.chunk_size = 7
        self.shim.chunk_extensions = True
        args = {"name": "caf\u00e9 \U0001F916", "n": list(range(50))}
        for _ in range(3):
            self.assertEqual(rt.call_tool("demo", "echo", args), args)
        self.assertIsInstance(rt.call_tool("demo", "image"), rt.Image)
        self.assertEqual(self.shim.connections, 1)

    def test_big_chunked_answer(self):
        self.shim.chunked = True
        self.shim.chunk_size = 256 * 1024
        out = rt.call_tool("demo", "big", {"size": 10 * 1024 * 1024})
        self.assertEqual(len(out), 10 * 1024 * 1024)
        self.assertEqual(rt.call_tool("demo", "echo", {"after": 1}), {"after": 1})
        self.assertEqual(self.shim.connections, 1)

    @unittest.skipUnless(hasattr(os, "fork"), "needs fork")
    def test_forked_child_opens_its_own_connection(self):
        self.assertEqual(rt.call_tool("demo", "count"), 1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+: fork with threads
            pid = os.fork()
        if pid == 0:  # child: report through the exit status only
            try:
                ok = rt.call_tool("demo", "count") == 2
            except BaseException:
                ok = False
            os._exit(0 if ok else 1)
        _, status = os.waitpid(pid, 0)
        self.assertEqual(os.WEXITSTATUS(status), 0)
        self.assertEqual(rt.call_tool("demo", "count"), 3)
        self.assertEqual(self.shim.connections, 2)


class TcpTest(ShimTestCase):
    tcp = True

    def test_calls_over_tcp_keep_alive_with_nodelay(self):
        self.assertTrue(os.environ["ORCH_IPC_URL"].startswith("http://127.0.0.1:"))
        for i in range(10):
            self.assertEqual(rt.call_tool("demo", "echo", {"i": i}), {"i": i})
        self.assertEqual(self.shim.connections, 1)
        sock = rt._local.conn.sock
        self.assertEqual(sock.family, socket.AF_INET)
        self.assertNotEqual(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY), 0)

    def test_reconnects_over_tcp_after_idle_close(self):
        self.shim.close_after_answer = True
        for i in range(3):
            self.assertEqual(rt.call_tool("demo", "count"), i + 1)
            self.assertTrue(self.shim.wait_closed(i + 1))
        self.assertEqual(len(self.shim.calls("count")), 3)

    def test_early_413_over_tcp_is_an_orch_error(self):
        self.shim.max_body = 1024
        self.assertEqual(rt.call_tool("demo", "echo", {"small": 1}), {"small": 1})
        with self.assertRaises(rt.OrchError) as cm:  # not PolicyAborted: orch is still there
            rt.call_tool("demo", "echo", {"blob": "x" * (8 * 1024 * 1024)})
        self.assertIn(cm.exception.status, (413, None), str(cm.exception))
        self.assertEqual(rt.call_tool("demo", "echo", {"small": 2}), {"small": 2})

    def test_url_parsing(self):
        self.assertEqual(rt._parse_url("http://127.0.0.1:8123"), ("127.0.0.1", 8123, b""))
        self.assertEqual(rt._parse_url("http://localhost:80/"), ("localhost", 80, b""))
        self.assertEqual(rt._parse_url("http://[::1]:9/ipc/"), ("::1", 9, b"/ipc"))
        with self.assertRaises(rt.OrchError):
            rt._parse_url("https://127.0.0.1:1")


class ParallelTest(ShimTestCase):
    def test_results_come_back_in_argument_order(self):
        fns = [lambda i=i: (time.sleep((5 - i) * 0.02), rt.call_tool("demo", "echo", {"i": i}))[1] for i in range(5)]
        self.assertEqual(rt.parallel(*fns), [{"i": i} for i in range(5)])

    def test_calls_run_concurrently(self):
        t0 = time.monotonic()
        out = rt.parallel(*[lambda: rt.call_tool("demo", "sleep", {"seconds": 0.3}) for _ in range(4)])
        self.assertLess(time.monotonic() - t0, 1.0)
        self.assertEqual(out, [{"seconds": 0.3}] * 4)

    def test_accepts_one_list_and_gather_is_parallel(self):
        self.assertEqual(rt.parallel([lambda: 1, lambda: 2]), [1, 2])
        self.assertEqual(rt.gather((lambda: 3, lambda: 4)), [3, 4])
        self.assertIs(rt.gather, rt.parallel)
        self.assertEqual(rt.parallel(), [])
        self.assertEqual(rt.parallel([]), [])

    def test_rejects_values_that_are_not_callable(self):
        with self.assertRaisesRegex(TypeError, "argument 2 is dict"):
            rt.parallel(lambda: 1, rt.call_tool("demo", "echo"))

    def test_first_error_in_argument_order_is_raised_after_all_finish(self):
        finished = []

        def slow_fail():
            time.sleep(0.1)
            finished.append("slow")
            raise ValueError("first")

        def fast_fail():
            finished.append("fast")
            raise KeyError("second")

        def ok():
            time.sleep(0.2)
            finished.append("ok")
            return 1

        with self.assertRaisesRegex(ValueError, "first"):
            rt.parallel(slow_fail, fast_fail, ok)
        self.assertEqual(sorted(finished), ["fast", "ok", "slow"])

    def test_tool_error_propagates(self):
        with self.assertRaisesRegex(rt.ToolError, "demo.fail failed: nope"):
            rt.parallel(lambda: rt.call_tool("demo", "echo"), lambda: rt.call_tool("demo", "fail", {"message": "nope"}))

    def test_policy_aborted_wins_over_earlier_errors(self):
        def boom():
            raise ValueError("ordinary")

        with self.assertRaises(rt.PolicyAborted):
            try:
                rt.parallel(boom, lambda: rt.call_tool("demo", "echo"), lambda: rt.call_tool("demo", "abort"))
            except Exception:
                self.fail("PolicyAborted was caught by except Exception")

    def test_worker_threads_and_connections_are_reused(self):
        for _ in range(3):
            out = rt.parallel(*[lambda i=i: rt.call_tool("demo", "echo", {"i": i}) for i in range(4)])
            self.assertEqual(out, [{"i": i} for i in range(4)])
        self.assertEqual(self.shim.connections, 4)

    def test_nested_parallel(self):
        def inner(k):
            return rt.parallel(*[lambda j=j: rt.call_tool("demo", "echo", {"k": k, "j": j}) for j in range(3)])

        out = rt.parallel(*[lambda k=k: inner(k) for k in range(3)])
        self.assertEqual(out, [[{"k": k, "j": j} for j in range(3)] for k in range(3)])

    def test_more_tasks_than_workers(self):
        with mock.patch.object(rt, "_MAX_WORKERS", 3):
            out = rt.parallel(*[lambda i=i: rt.call_tool("demo", "echo", {"i": i}) for i in range(20)])
        self.assertEqual(out, [{"i": i} for i in range(20)])


class MediaTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="orch-media-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def test_image_save_writes_bytes_and_returns_path(self):
        img = rt.Image.from_base64(PNG_1PX, "image/png")
        path = img.save(os.path.join(self.tmp, "sub", "grasp.png"))
        self.assertEqual(path, os.path.join(self.tmp, "sub", "grasp.png"))
        with open(path, "rb") as f:
            self.assertEqual(f.read(), base64.b64decode(PNG_1PX))

    def test_save_without_path_names_a_file_in_the_output_dir(self):
        with mock.patch.dict(os.environ, {"ORCH_OUTPUT_DIR": self.tmp}):
            first = rt.Image(b"\xff\xd8jpeg", "image/jpeg").save()
            second = rt.Image(b"\xff\xd8jpeg", "image/jpeg").save()
            sound = rt.Audio(b"RIFF", "audio/wav").save()
        self.assertEqual(os.path.basename(first), "image-1.jpg")
        self.assertEqual(os.path.basename(second), "image-2.jpg")
        self.assertEqual(sound, os.path.join(self.tmp, "audio-1.wav"))

    def test_repr_shows_size_not_bytes(self):
        img = rt.Image(b"\x00" * 123456, "image/png")
        self.assertEqual(repr(img), "<Image image/png, 123,456 bytes>")
        lazy = rt.Image.from_base64(base64.b64encode(b"abcde").decode(), "image/png")
        self.assertEqual(repr(lazy), "<Image image/png, 5 bytes>")
        self.assertEqual(lazy.size, 5)
        self.assertEqual(lazy, rt.Image(b"abcde", "image/png"))

    def test_media_serializes_back_to_mcp_content(self):
        img = rt.Image(b"abc", "image/png")
        self.assertEqual(img.to_dict(), {"type": "image", "data": "YWJj", "mimeType": "image/png"})
        self.assertEqual(json.loads(rt._encoder.encode({"img": img}))["img"]["data"], "YWJj")


if __name__ == "__main__":
    unittest.main()
