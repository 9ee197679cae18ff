"""Tests for examples/servers (mcp_lite + simulated robot servers) and tests/fixtures/servers.

Run from the repository root:  python3 -m unittest tests/python/test_example_servers.py -v

Every server runs as a real subprocess spoken to over JSON-RPC (stdio, and
HTTP for the transport tests). The seed README's example policies run
unchanged against a tiny stand-in for orch's generated unified_api.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import enum
import http.client
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import types
import unittest
from typing import Any, Dict, List, Literal, Optional, Tuple, Union

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
SERVERS = os.path.join(ROOT, "examples", "servers")
POLICIES = os.path.join(ROOT, "examples", "policies")
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "servers")
sys.path.insert(0, SERVERS)

import mcp_lite  # noqa: E402
import sim_world  # noqa: E402

TIMEOUT = 5.0


class McpProcess:
    """A server subprocess spoken to with newline-delimited JSON-RPC on stdio."""

    def __init__(self, script: str, env: Optional[dict] = None, start_only: bool = False):
        full_env = dict(os.environ)
        full_env.update(env or {})
        full_env.setdefault("PYTHONUNBUFFERED", "1")
        self.proc = subprocess.Popen(
            [sys.executable, script],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=full_env,
        )
        self.responses: Dict[Any, dict] = {}
        self.notifications: List[dict] = []
        self.garbage: List[bytes] = []
        self.stderr_chunks: List[bytes] = []
        self.cond = threading.Condition()
        self.next_id = 0
        self.write_lock = threading.Lock()
        self.readers = [threading.Thread(target=self._read_stdout, daemon=True),
                        threading.Thread(target=self._read_stderr, daemon=True)]
        for t in self.readers:
            t.start()

    def _read_stdout(self):
        for raw in self.proc.stdout:
            try:
                msg = json.loads(raw)
            except ValueError:
                msg = None
            with self.cond:
                if isinstance(msg, dict) and "id" in msg and ("result" in msg or "error" in msg):
                    self.responses[msg["id"]] = msg
                elif isinstance(msg, dict) and "method" in msg:
                    self.notifications.append(msg)
                else:
                    self.garbage.append(raw)
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def _read_stderr(self):
        for raw in self.proc.stderr:
            self.stderr_chunks.append(raw)

    @property
    def stderr(self) -> str:
        return b"".join(self.stderr_chunks).decode("utf-8", "replace")

    def send(self, msg) -> None:
        data = (json.dumps(msg) + "\n").encode() if not isinstance(msg, bytes) else msg
        with self.write_lock:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()

    def start_request(self, method: str, params: Optional[dict] = None) -> int:
        with self.cond:
            self.next_id += 1
            msg_id = self.next_id
        msg = {"jsonrpc": "2.0", "id": msg_id, "method": method}
        if params is not None:
            msg["params"] = params
        self.send(msg)
        return msg_id

    def wait_response(self, msg_id, timeout: float = TIMEOUT) -> Optional[dict]:
        deadline = time.monotonic() + timeout
        with self.cond:
            while msg_id not in self.responses:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)
            return self.responses.pop(msg_id)

    def request(self, method: str, params: Optional[dict] = None, timeout: float = TIMEOUT) -> dict:
        msg_id = self.start_request(method, params)
        resp = self.wait_response(msg_id, timeout)
        if resp is None:
            raise AssertionError("no response to %s within %.1fs; stderr:\n%s" % (method, timeout, self.stderr))
        return resp

    def initialize(self, version: str = "2025-06-18") -> dict:
        resp = self.request("initialize", {
            "protocolVersion": version,
            "capabilities": {},
            "clientInfo": {"name": "test_example_servers", "version": "1"},
        })
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        return resp["result"]

    def call(self, name: str, arguments: Optional[dict] = None, timeout: float = TIMEOUT) -> dict:
        resp = self.request("tools/call", {"name": name, "arguments": arguments or {}}, timeout)
        if "error" in resp:
            raise AssertionError("tools/call %s: JSON-RPC error %r" % (name, resp["error"]))
        return resp["result"]

    def value(self, name: str, arguments: Optional[dict] = None) -> Any:
        """Calls a tool that must succeed and returns its converted value (orch's rules)."""
        result = self.call(name, arguments)
        if result.get("isError"):
            raise AssertionError("%s failed: %s" % (name, result["content"][0]["text"]))
        return convert(result)

    def tools(self) -> Dict[str, dict]:
        return {t["name"]: t for t in self.request("tools/list")["result"]["tools"]}

    def close(self) -> int:
        """Closes stdin (the MCP way to stop a stdio server), then reaps it; kills after 3 s."""
        with contextlib.suppress(OSError):
            self.proc.stdin.close()
        try:
            code = self.proc.wait(3)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait(3)
        for t in self.readers:
            t.join(1)
        self.proc.stdout.close()
        self.proc.stderr.close()
        return code


def convert(result: dict) -> Any:
    """orch's result rules: structuredContent as is; one text item JSON-decoded when it is JSON."""
    if "structuredContent" in result:
        return result["structuredContent"]
    content = result["content"]
    if len(content) == 1 and content[0]["type"] == "text":
        text = content[0]["text"]
        try:
            return json.loads(text)
        except ValueError:
            return text
    return content


def error_text(result: dict) -> str:
    assert result.get("isError") is True, result
    return result["content"][0]["text"]


class ToolError(Exception):
    pass


def make_unified_api(clients: Dict[str, McpProcess]) -> types.ModuleType:
    """A stand-in for orch's generated unified_api: <server>__<tool>(...) per tool."""
    module = types.ModuleType("unified_api")
    exported = []
    for server, client in clients.items():
        for tool in client.tools().values():
            schema = tool["inputSchema"]
            required = list(schema.get("required", []))
            order = required + [p for p in schema["properties"] if p not in required]
            fname = re.sub(r"[^A-Za-z0-9_]", "_", server) + "__" + tool["name"]

            def fn(*args, _client=client, _server=server, _tool=tool["name"], _order=order, **kwargs):
                arguments = dict(zip(_order, args))
                arguments.update(kwargs)
                result = _client.call(_tool, arguments)
                if result.get("isError"):
                    raise ToolError("%s.%s failed: %s" % (_server, _tool, result["content"][0]["text"]))
                return convert(result)

            setattr(module, fname, fn)
            exported.append(fname)
    module.ToolError = ToolError
    module.__all__ = exported + ["ToolError"]
    return module


def run_policy(path: str, clients: Dict[str, McpProcess]) -> str:
    """Runs a policy file with `from unified_api import *` working; returns what it printed."""
    with open(path, encoding="utf-8") as f:
        source = f.read()
    saved = sys.modules.get("unified_api")
    sys.modules["unified_api"] = make_unified_api(clients)
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(source, path, "exec"), {"__name__": "__main__"})
    finally:
        if saved is None:
            sys.modules.pop("unified_api", None)
        else:
            sys.modules["unified_api"] = saved
    return out.getvalue()


# --------------------------------------------------------------------------
# mcp_lite in-process: schemas, docstrings, validation
# --------------------------------------------------------------------------


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


class TestMcpLiteSchemas(unittest.TestCase):
    def setUp(self):
        self.mcp = mcp_lite.FastMCP("unit")

    def schema(self, name):
        return {t["name"]: t for t in self.mcp._tool_definitions()}[name]

    def test_tool_schema_from_hints_defaults_and_docstring(self):
        @self.mcp.tool()
        def grab(object_name: str, grasp_id: int, force: float = 1.5, fast: bool = False,
                 tags: Optional[List[str]] = None, mode: Literal["sim", "real"] = "sim",
                 extra: Optional[Dict[str, Any]] = None, pose: Tuple[float, float] = (0.0, 0.0)) -> dict:
            """Grab an object.

            More detail that is part of the summary.

            Args:
                object_name: Object to grab,
                    continued on the next line.
                grasp_id (int): Which grasp.
                force: Newtons.

            Returns:
                Something.
            """

        t = self.schema("grab")
        self.assertEqual(t["description"], "Grab an object.\n\nMore detail that is part of the summary.")
        s = t["inputSchema"]
        self.assertEqual(s["type"], "object")
        self.assertEqual(s["required"], ["object_name", "grasp_id"])
        p = s["properties"]
        self.assertEqual(list(p), ["object_name", "grasp_id", "force", "fast", "tags", "mode", "extra", "pose"])
        self.assertEqual(p["object_name"]["type"], "string")
        self.assertEqual(p["object_name"]["description"], "Object to grab, continued on the next line.")
        self.assertEqual(p["grasp_id"], {"title": "Grasp Id", "type": "integer", "description": "Which grasp."})
        self.assertEqual((p["force"]["type"], p["force"]["default"]), ("number", 1.5))
        self.assertEqual((p["fast"]["type"], p["fast"]["default"]), ("boolean", False))
        self.assertEqual(p["tags"]["anyOf"], [{"type": "array", "items": {"type": "string"}}, {"type": "null"}])
        self.assertIsNone(p["tags"]["default"])
        self.assertEqual((p["mode"]["enum"], p["mode"]["type"], p["mode"]["default"]),
                         (["sim", "real"], "string", "sim"))
        self.assertEqual(p["extra"]["anyOf"], [{"type": "object", "additionalProperties": True}, {"type": "null"}])
        self.assertEqual(p["pose"]["prefixItems"], [{"type": "number"}, {"type": "number"}])
        self.assertEqual(p["pose"]["default"], [0.0, 0.0])

    def test_union_any_enum_and_untyped(self):
        @self.mcp.tool()
        def mixed(a: Union[int, str], b: Any, c, d: Colour = Colour.RED, e: list = [], f: dict = {}) -> str:
            """Mixed."""
            return "%r %r %r %r" % (a, b, c, d)

        p = self.schema("mixed")["inputSchema"]["properties"]
        self.assertEqual(p["a"]["anyOf"], [{"type": "integer"}, {"type": "string"}])
        self.assertEqual({k: v for k, v in p["b"].items() if k != "title"}, {})
        self.assertEqual({k: v for k, v in p["c"].items() if k != "title"}, {})
        self.assertEqual(p["d"]["enum"], ["red", "blue"])
        self.assertEqual(p["d"]["default"], "red")
        self.assertEqual(p["e"], {"title": "E", "type": "array", "items": {}, "default": []})
        self.assertEqual(p["f"]["type"], "object")
        tool = self.mcp._tools["mixed"]
        self.assertEqual(tool.bind({"a": "7", "b": 1, "c": None}), {"a": "7", "b": 1, "c": None})  # exact str wins
        self.assertEqual(tool.bind({"a": 7, "b": 1, "c": 2, "d": "blue"})["d"], Colour.BLUE)

    def test_decorator_forms_and_async(self):
        @self.mcp.tool
        def bare(x: int) -> int:
            """Bare decorator."""
            return x * 2

        @self.mcp.tool(name="renamed", description="Custom description")
        async def original(x: int = 1) -> dict:
            return {"x": x}

        names = [t["name"] for t in self.mcp._tool_definitions()]
        self.assertEqual(names, ["bare", "renamed"])
        self.assertEqual(self.schema("renamed")["description"], "Custom description")
        self.assertTrue(self.mcp._tools["renamed"].is_async)
        res = asyncio.run(self.mcp.call_tool("renamed", {"x": 3}))
        self.assertEqual(res["structuredContent"], {"x": 3})
        self.assertEqual(json.loads(res["content"][0]["text"]), {"x": 3})
        res = asyncio.run(self.mcp.call_tool("bare", {"x": 4}))
        self.assertEqual(res["content"], [{"type": "text", "text": "8"}])
        self.assertNotIn("structuredContent", res)

    def test_argument_validation_messages_name_tool_and_argument(self):
        @self.mcp.tool()
        def twist(linear: List[float], duration: float = 0.0, on: bool = True) -> dict:
            return {}

        tool = self.mcp._tools["twist"]
        self.assertEqual(tool.bind({"linear": [1, "2.5"], "on": "false"}), {"linear": [1.0, 2.5], "on": False})
        self.assertEqual(tool.bind({"linear": "[1, 2]"}), {"linear": [1.0, 2.0]})  # JSON text, as FastMCP allows
        cases = [
            ({}, "Invalid arguments for tool twist: missing required argument 'linear'"),
            ({"linear": [], "speed": 1}, "unknown argument 'speed'"),
            ({"linear": ["x"]}, "argument 'linear'[0]: expected number, got string \"x\""),
            ({"linear": 3}, "argument 'linear': expected array of number, got integer 3"),
            ({"linear": [], "on": "maybe"}, "argument 'on': expected boolean"),
        ]
        for args, fragment in cases:
            with self.assertRaises(mcp_lite.ArgumentError) as cm:
                tool.bind(args)
            self.assertIn(fragment, str(cm.exception))
            self.assertIn("twist", str(cm.exception))

    def test_docstring_parser_variants(self):
        summary, params = mcp_lite.parse_docstring(
            """Do it.

            Arguments:
                a (int, optional): first
                *args: ignored
            Returns:
                b: not a parameter
            """
        )
        self.assertEqual(summary, "Do it.")
        self.assertEqual(params, {"a": "first", "args": "ignored"})
        summary, params = mcp_lite.parse_docstring("Sphinx.\n\n:param x: the x\n    more\n:returns: y")
        self.assertEqual((summary, params), ("Sphinx.", {"x": "the x more"}))

    def test_context_parameter_is_injected_not_published(self):
        @self.mcp.tool()
        def with_ctx(x: int, ctx: mcp_lite.Context) -> str:
            ctx.info("hello")  # works with or without await
            return type(ctx).__name__

        self.assertEqual(list(self.schema("with_ctx")["inputSchema"]["properties"]), ["x"])
        self.assertEqual(asyncio.run(self.mcp.call_tool("with_ctx", {"x": 1}))["content"][0]["text"], "Context")

    def test_sdk_compat_mode_mimics_the_mcp_sdk_structured_output(self):
        mcp = mcp_lite.FastMCP("compat", sdk_compat=True)

        @mcp.tool()
        def scene() -> str:
            return "scene_0001"

        @mcp.tool()
        def configs() -> List[Dict[str, Any]]:
            return [{"grasp_id": 3}, {"grasp_id": 2}]

        @mcp.tool()
        def state() -> dict:
            return {"success": True}

        @mcp.tool()
        def nothing() -> None:
            return None

        defs = {t["name"]: t for t in mcp._tool_definitions()}
        self.assertEqual(defs["scene"]["outputSchema"], {
            "type": "object", "properties": {"result": {"title": "Result", "type": "string"}},
            "required": ["result"], "title": "sceneOutput"})
        self.assertEqual(defs["configs"]["outputSchema"]["title"], "configsOutput")
        self.assertNotIn("outputSchema", defs["state"])  # a bare `dict` has no structured output in the SDK
        r = asyncio.run(mcp.call_tool("scene", {}))
        self.assertEqual((r["structuredContent"], r["content"]), ({"result": "scene_0001"},
                                                                  [{"type": "text", "text": "scene_0001"}]))
        r = asyncio.run(mcp.call_tool("configs", {}))
        self.assertEqual(r["structuredContent"], {"result": [{"grasp_id": 3}, {"grasp_id": 2}]})
        self.assertEqual([json.loads(c["text"]) for c in r["content"]], [{"grasp_id": 3}, {"grasp_id": 2}])
        r = asyncio.run(mcp.call_tool("state", {}))
        self.assertNotIn("structuredContent", r)
        self.assertEqual(r["content"][0]["text"], '{\n  "success": true\n}')
        r = asyncio.run(mcp.call_tool("nothing", {}))
        self.assertEqual((r["content"], r["structuredContent"]), ([], {"result": None}))

    def test_sources_are_python38_syntax(self):
        files = [os.path.join(SERVERS, f) for f in os.listdir(SERVERS) if f.endswith(".py")]
        files += [os.path.join(POLICIES, f) for f in os.listdir(POLICIES) if f.endswith(".py")]
        files += [os.path.join(FIXTURES, f) for f in os.listdir(FIXTURES) if f.endswith(".py")]
        for path in files:
            with open(path, encoding="utf-8") as f:
                ast.parse(f.read(), path, feature_version=(3, 8))


# --------------------------------------------------------------------------
# Protocol over stdio
# --------------------------------------------------------------------------


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

    def test_trivial_call_round_trip_is_fast(self):
        s = self.server
        s.call("echo", {"text": "warm up"})
        n = 500
        start = time.perf_counter()
        for i in range(n):
            s.call("echo", {"text": "x"})
        per_call_us = (time.perf_counter() - start) / n * 1e6
        # Client + pipes + server; the server's own share is far smaller (see README).
        self.assertLess(per_call_us, 2000, "echo round trip %.0f us" % per_call_us)
        sys.stderr.write("[echo round trip %.0f us] " % per_call_us)


# --------------------------------------------------------------------------
# Fixture servers
# --------------------------------------------------------------------------


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


# --------------------------------------------------------------------------
# The simulated robot servers
# --------------------------------------------------------------------------


class RobotServersCase(unittest.TestCase):
    """Starts the three servers once on a temporary ROBOT_SIM_DIR; every test gets a fresh world."""

    @classmethod
    def setUpClass(cls):
        cls.sim_dir = tempfile.mkdtemp(prefix="orch-robot-sim-test-")
        env = {"ROBOT_SIM_DIR": cls.sim_dir, "ROBOT_SIM_LATENCY_MS": "0"}
        cls.ros = McpProcess(os.path.join(SERVERS, "ros_mcp_server.py"), env)
        cls.isaac = McpProcess(os.path.join(SERVERS, "isaac_sim.py"), env)
        cls.res = McpProcess(os.path.join(SERVERS, "resources.py"), env)
        cls.clients = {"ros-mcp-server": cls.ros, "isaac-sim": cls.isaac, "Resources": cls.res}
        for c in cls.clients.values():
            c.initialize()

    @classmethod
    def tearDownClass(cls):
        for c in cls.clients.values():
            c.close()
        shutil.rmtree(cls.sim_dir, ignore_errors=True)

    def setUp(self):
        for name in ("world.json", "resources.json"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.path.join(self.sim_dir, name))


class TestRobotSchemas(RobotServersCase):
    def test_server_names(self):
        self.assertEqual(self.ros.initialize()["serverInfo"]["name"], "ros-mcp-server")
        self.assertEqual(self.isaac.initialize()["serverInfo"]["name"], "isaac-sim")
        self.assertEqual(self.res.initialize()["serverInfo"]["name"], "Resources")

    def test_ros_tools(self):
        tools = self.ros.tools()
        self.assertEqual(set(tools), {"move_home", "move_to_grasp", "control_gripper", "verify_grasp", "stop",
                                      "get_robot_state", "pub_twist", "place_object", "list_objects"})
        s = tools["move_to_grasp"]["inputSchema"]
        self.assertEqual(s["required"], ["object_name", "grasp_id"])
        self.assertEqual(list(s["properties"]),
                         ["object_name", "grasp_id", "mode", "move_to_object", "move_to_safe_height"])
        p = s["properties"]
        self.assertEqual(p["object_name"]["type"], "string")
        self.assertEqual(p["grasp_id"]["type"], "integer")
        self.assertEqual((p["mode"]["enum"], p["mode"]["default"]), (["sim", "real"], "sim"))
        self.assertEqual((p["move_to_object"]["type"], p["move_to_object"]["default"]), ("boolean", False))
        self.assertIn("precomputed grasp pose", p["grasp_id"]["description"])
        self.assertTrue(tools["move_to_grasp"]["description"].startswith("Move the arm to a grasp pose"))
        twist = tools["pub_twist"]["inputSchema"]
        self.assertEqual(twist["required"], ["linear", "angular"])
        self.assertEqual(twist["properties"]["linear"]["items"], {"type": "number"})
        self.assertEqual(twist["properties"]["duration"]["default"], 0.0)
        self.assertEqual(tools["control_gripper"]["inputSchema"]["required"], ["state"])
        self.assertNotIn("required", tools["stop"]["inputSchema"])
        for t in tools.values():
            self.assertTrue(t["description"], t["name"])
            for name, prop in t["inputSchema"]["properties"].items():
                self.assertTrue(prop.get("description"), "%s.%s has no description" % (t["name"], name))

    def test_ros_tools_with_stable_results_publish_an_output_schema_their_results_match(self):
        tools = self.ros.tools()
        typed = {n for n, t in tools.items() if "outputSchema" in t}
        self.assertEqual(typed, {"move_home", "control_gripper", "stop", "pub_twist", "list_objects"})
        gripper = tools["control_gripper"]
        self.assertEqual(gripper["inputSchema"]["properties"]["state"]["enum"], ["open", "close"])
        out = gripper["outputSchema"]
        self.assertEqual(out["properties"]["state"]["enum"], ["open", "closed"])
        self.assertNotIn("required", out)  # a physical failure has only success, error and robot
        objects = tools["list_objects"]["outputSchema"]
        self.assertEqual(objects["required"], ["objects", "count", "locations"])
        item = objects["properties"]["objects"]["items"]
        self.assertEqual(item["properties"]["grasp_ids"], {"type": "array", "items": {"type": "integer"}})
        for name, args in (("list_objects", {}), ("stop", {"reason": "t"}), ("control_gripper", {"state": "open"}),
                           ("pub_twist", {"linear": [0, 0, 0], "angular": [0, 0, 0]}), ("move_home", {})):
            result = self.ros.call(name, args)
            schema = tools[name]["outputSchema"]
            content = result["structuredContent"]
            self.assertLessEqual(set(schema.get("required", [])), set(content), name)
            self.assertLessEqual(set(content), set(schema["properties"]), name)

    def test_isaac_and_resources_tools(self):
        tools = self.isaac.tools()
        self.assertTrue({"save_scene_state", "restore_scene_state", "get_object_pose", "reset_scene",
                         "list_scene_states"} <= set(tools))
        self.assertEqual(tools["restore_scene_state"]["inputSchema"]["properties"]["scene_id"]["default"], "")
        tools = self.res.tools()
        s = tools["get_object_grasp_configs_by_result"]["inputSchema"]
        self.assertEqual(s["required"], ["assembly_id", "object_name", "result"])
        w = tools["write_assembly_resource"]["inputSchema"]
        self.assertEqual(w["required"], ["assembly_id", "object_name", "sequence_id", "assembled_into", "tools_trials"])
        self.assertEqual(w["properties"]["tools_trials"]["items"], {"type": "object", "additionalProperties": True})
        self.assertEqual(w["properties"]["sequence_id"]["type"], "integer")


class TestSeedPolicies(RobotServersCase):
    def test_simple_grasp(self):
        out = run_policy(os.path.join(POLICIES, "simple_grasp.py"), self.clients)
        self.assertEqual(out, "✓ Grasp successful!\n")
        state = self.ros.value("get_robot_state")
        self.assertEqual((state["holding"], state["arm"]["pose"]), ("block_1", "safe_height"))

    def test_error_recovery_fails_twice_then_succeeds(self):
        out = run_policy(os.path.join(POLICIES, "error_recovery.py"), self.clients)
        self.assertEqual(out, (
            "Saved scene state: scene_0001\n\n"
            "Attempting grasp 0...\n✗ Grasp 0 failed, restoring scene...\n\n"
            "Attempting grasp 1...\n✗ Grasp 1 failed, restoring scene...\n\n"
            "Attempting grasp 2...\n✓ Grasp 2 succeeded!\n"
        ))
        pose = self.isaac.value("get_object_pose", {"object_name": "gear"})
        self.assertEqual((pose["held"], pose["attached_to"], pose["position"][2]), (True, "gripper", 0.3))

    def test_error_recovery_without_fresh_world_reports_failures(self):
        run_policy(os.path.join(POLICIES, "simple_grasp.py"), self.clients)  # leaves block_1 in the gripper
        out = run_policy(os.path.join(POLICIES, "error_recovery.py"), self.clients)
        self.assertTrue(out.endswith("All grasp attempts failed\n"), out)

    def test_assembly_with_resource_tracking(self):
        out = run_policy(os.path.join(POLICIES, "assembly_tracking.py"), self.clients)
        self.assertEqual(out, "Found 2 successful grasp configs\n\nTrying grasp 3 with gripper close\n"
                              "✓ Successfully grasped using config 3\n")
        record = self.res.value("get_assembly_resource", {"assembly_id": "3"})
        trials = record["sequence"][0]["tools_trials"]
        self.assertEqual(trials[-1]["grasp_id"], 3)
        self.assertEqual(record["revision"], 2)

    def test_success_rate_usage_example(self):
        out = run_policy(os.path.join(POLICIES, "success_rate.py"), self.clients)
        self.assertIn("✓ Object 0 grasped successfully", out)
        self.assertIn("Success rate: 1/5 (20.0%)", out)


class TestWorld(RobotServersCase):
    def test_grasp_truth_table_is_what_happens(self):
        for name, (_, _, _, grasps) in sim_world.OBJECTS.items():
            for gid in grasps:
                self.isaac.value("reset_scene")
                pre = sim_world.gripper_prestate(name, gid)
                self.ros.value("control_gripper", {"state": pre})
                self.ros.value("move_to_grasp", {"object_name": name, "grasp_id": gid, "move_to_object": True})
                if pre == "open":
                    self.ros.value("control_gripper", {"state": "close"})
                self.ros.value("move_to_grasp", {"object_name": name, "grasp_id": gid, "move_to_safe_height": True})
                verdict = self.ros.value("verify_grasp", {"object_name": name})["result"]
                self.assertEqual(verdict, sim_world.grasp_outcome(name, gid), "%s grasp %d" % (name, gid))

    def test_wrong_gripper_prestate_fails_the_approach(self):
        self.ros.value("control_gripper", {"state": "close"})
        r = self.ros.value("move_to_grasp", {"object_name": "gear", "grasp_id": 2, "move_to_object": True})
        self.assertFalse(r["success"])
        self.assertIn("needs the gripper open", r["error"])
        self.isaac.value("reset_scene")
        r = self.ros.value("move_to_grasp", {"object_name": "gear", "grasp_id": 3, "move_to_object": True})
        self.assertIn("cannot enter the bore", r["error"])

    def test_shared_world_save_and_restore(self):
        ros, isaac = self.ros, self.isaac
        start = isaac.value("get_object_pose", {"object_name": "gear"})
        self.assertEqual((start["position"], start["held"]), ([0.55, 0.15, 0.012], False))
        ros.value("move_to_grasp", {"object_name": "gear", "grasp_id": 2, "move_to_object": True})
        ros.value("control_gripper", {"state": "close"})
        ros.value("move_to_grasp", {"object_name": "gear", "grasp_id": 2, "move_to_safe_height": True})
        held = isaac.value("get_object_pose", {"object_name": "gear"})
        self.assertEqual((held["held"], held["position"]), (True, [0.55, 0.15, 0.3]))
        scene = isaac.value("save_scene_state", {"label": "gear up"})
        self.assertEqual(scene, "scene_0001")
        ros.value("pub_twist", {"linear": [0.5, 0, 0], "angular": [0, 0, 0], "duration": 2})
        dropped = ros.value("control_gripper", {"state": "open"})
        self.assertEqual(dropped["notes"], ["released 'gear'"])
        self.assertEqual(isaac.value("get_object_pose", {"object_name": "gear"})["position"], [0.55, 0.15, 0.012])
        self.assertEqual(ros.value("verify_grasp", {"object_name": "gear"})["result"], "FAILURE")
        restored = isaac.value("restore_scene_state")
        self.assertEqual((restored["scene_id"], restored["robot"]["holding"]), ("scene_0001", "gear"))
        state = ros.value("get_robot_state")
        self.assertEqual((state["gripper"]["state"], state["holding"]), ("closed", "gear"))
        self.assertEqual(state["mobile_base"], {"x": 0.0, "y": 0.0, "yaw": 0.0})  # the base moved, then came back
        self.assertEqual(ros.value("verify_grasp", {"object_name": "gear"})["result"], "SUCCESS")
        isaac.value("save_scene_state")
        self.assertEqual(isaac.value("restore_scene_state", {"scene_id": "scene_0001"})["scene_id"], "scene_0001")
        listing = isaac.value("list_scene_states")
        self.assertEqual((listing["count"], listing["latest"]), (2, "scene_0002"))
        self.assertIn("unknown scene_id 'scene_9999'",
                      error_text(isaac.call("restore_scene_state", {"scene_id": "scene_9999"})))

    def test_restore_without_snapshots_and_failed_grasp_nudges(self):
        self.assertIn("no saved scene states", error_text(self.isaac.call("restore_scene_state")))
        self.ros.value("move_to_grasp", {"object_name": "gear", "grasp_id": 0, "move_to_object": True})
        r = self.ros.value("control_gripper", {"state": "close"})
        self.assertIsNone(r["holding"])
        self.assertIn("slipped", r["notes"][0])
        pose = self.isaac.value("get_object_pose", {"object_name": "gear"})
        self.assertEqual(pose["position"], [0.562, 0.146, 0.012])

    def test_place_object_assembles_gear_into_base(self):
        self.ros.value("control_gripper", {"state": "close"})
        self.ros.value("move_to_grasp", {"object_name": "gear", "grasp_id": 3, "move_to_object": True})
        placed = self.ros.value("place_object", {"object_name": "gear", "target": "base"})
        self.assertEqual((placed["success"], placed["assembled"]), (True, True))
        pose = self.isaac.value("get_object_pose", {"object_name": "gear"})
        self.assertEqual((pose["attached_to"], pose["held"], pose["position"]), ("base", False, [0.65, 0.0, 0.032]))
        again = self.ros.value("place_object", {"object_name": "gear", "target": "bin"})
        self.assertEqual((again["success"], again["error"]), (False, "not holding 'gear' (the gripper holds nothing)"))

    def test_errors_name_tool_and_argument(self):
        ros = self.ros
        self.assertIn("move_home: mode='real' refused: no robot hardware is attached",
                      error_text(ros.call("move_home", {"mode": "real"})))
        self.assertIn("argument 'mode': expected one of \"sim\", \"real\"",
                      error_text(ros.call("move_home", {"mode": "lab"})))
        self.assertIn("move_to_grasp: unknown object_name 'cup'; known objects: base, block_1, gear",
                      error_text(ros.call("move_to_grasp", {"object_name": "cup", "grasp_id": 0})))
        self.assertIn("grasp_id 9 is not defined for 'gear'; valid grasp ids: 0..4",
                      error_text(ros.call("move_to_grasp", {"object_name": "gear", "grasp_id": 9})))
        self.assertEqual(error_text(ros.call("move_to_grasp", {"object_name": "gear"})),
                         "Invalid arguments for tool move_to_grasp: missing required argument 'grasp_id'")
        self.assertIn("argument 'state': expected one of \"open\", \"close\", got \"half\"",
                      error_text(ros.call("control_gripper", {"state": "half"})))
        self.assertIn("pub_twist: linear must have 3 components",
                      error_text(ros.call("pub_twist", {"linear": [1], "angular": [0, 0, 0]})))
        self.assertIn("unknown assembly_id '99'",
                      error_text(self.res.call("get_assembly_resource", {"assembly_id": "99"})))
        self.assertIn("argument 'assembly_id': expected string, got integer 3",
                      error_text(self.res.call("get_assembly_resource", {"assembly_id": 3})))
        self.assertIn("tools_trials[0] needs a 'result'", error_text(self.res.call("write_assembly_resource", {
            "assembly_id": "3", "object_name": "gear", "sequence_id": 1, "assembled_into": "base",
            "tools_trials": [{"grasp_id": 1}]})))
        self.assertEqual(self.ros.value("get_robot_state")["last_command"], None)  # refused calls changed nothing

    def test_stop_is_counted_and_cleared_by_motion(self):
        self.assertEqual(self.ros.value("stop", {"reason": "orch abort"})["stop_count"], 1)
        state = self.ros.value("get_robot_state")
        self.assertEqual((state["motion_state"], state["stop_count"], state["last_stop"]["reason"]),
                         ("stopped", 1, "orch abort"))
        self.ros.value("move_home")
        self.assertEqual(self.ros.value("get_robot_state")["motion_state"], "idle")

    def test_resources_configs_agree_with_truth(self):
        configs = self.res.value("get_object_grasp_configs_by_result",
                                 {"assembly_id": "3", "object_name": "gear", "result": "success"})
        self.assertEqual([(c["grasp_id"], c["gripper_state"]) for c in configs], [(3, "close"), (2, "open")])
        for c in configs:
            self.assertEqual(sim_world.grasp_outcome("gear", c["grasp_id"]), "SUCCESS")
            self.assertEqual(sim_world.gripper_prestate("gear", c["grasp_id"]), c["gripper_state"])
        failures = self.res.value("get_object_grasp_configs_by_result",
                                  {"assembly_id": "3", "object_name": "gear", "result": "FAILURE"})
        self.assertEqual([c["grasp_id"] for c in failures], [0, 1])
        self.assertEqual(self.res.value("get_object_grasp_configs_by_result",
                                        {"assembly_id": "3", "object_name": "block_1", "result": "SUCCESS"}), [])
        self.assertEqual(self.res.value("list_assemblies")["count"], 3)

    def test_concurrent_calls_across_servers_are_serialised(self):
        ids = []
        for i in range(25):
            ids.append((self.ros, self.ros.start_request("tools/call", {"name": "stop", "arguments": {}})))
            ids.append((self.isaac, self.isaac.start_request("tools/call",
                                                             {"name": "save_scene_state", "arguments": {}})))
            ids.append((self.ros, self.ros.start_request("tools/call", {"name": "move_home", "arguments": {}})))
        for client, msg_id in ids:
            self.assertFalse(client.wait_response(msg_id)["result"]["isError"])
        self.assertEqual(self.ros.value("get_robot_state")["stop_count"], 25)
        self.assertEqual(self.isaac.value("list_scene_states")["count"], 25)
        self.assertFalse([f for f in os.listdir(self.sim_dir) if f.endswith(".tmp")])

    def test_capture_image_is_a_png(self):
        result = self.isaac.call("capture_image", {"width": 32, "height": 24})
        item = result["content"][0]
        self.assertEqual((item["type"], item["mimeType"]), ("image", "image/png"))
        import base64

        self.assertTrue(base64.b64decode(item["data"]).startswith(b"\x89PNG\r\n\x1a\n"))

    def test_outcomes_are_deterministic_across_worlds(self):
        def run():
            self.setUp()
            return run_policy(os.path.join(POLICIES, "error_recovery.py"), self.clients) + json.dumps(
                self.ros.value("get_robot_state"), sort_keys=True)

        self.assertEqual(run(), run())


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


class TestLatency(unittest.TestCase):
    def test_latency_env_delays_each_call(self):
        sim_dir = tempfile.mkdtemp(prefix="orch-robot-sim-test-")
        self.addCleanup(shutil.rmtree, sim_dir, True)
        s = McpProcess(os.path.join(SERVERS, "ros_mcp_server.py"),
                       {"ROBOT_SIM_DIR": sim_dir, "ROBOT_SIM_LATENCY_MS": "80"})
        self.addCleanup(s.close)
        s.initialize()
        start = time.monotonic()
        s.value("get_robot_state")
        elapsed = time.monotonic() - start
        self.assertGreaterEqual(elapsed, 0.08)
        start = time.monotonic()
        self.assertEqual(s.request("ping")["result"], {})  # ping carries no simulated latency


# --------------------------------------------------------------------------
# HTTP transports
# --------------------------------------------------------------------------


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
