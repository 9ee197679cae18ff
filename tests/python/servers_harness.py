"""The harness the test_servers_*.py files share: a server subprocess spoken to over JSON-RPC, and a
stand-in for orch's generated unified_api that runs the seed policies unchanged.

Run the server tests from the repository root:
    python3 -m unittest discover -s tests/python -p 'test_servers_*.py' -v

Every server runs as a real subprocess spoken to over JSON-RPC (stdio, and
HTTP for the transport tests). The seed README's example policies run
unchanged against a tiny stand-in for orch's generated unified_api.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import sys
import threading
import time
import types
from typing import Any, Dict, List, Optional

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
SERVERS = os.path.join(ROOT, "examples", "servers")
POLICIES = os.path.join(ROOT, "examples", "policies")
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "servers")
sys.path.insert(0, SERVERS)  # the tests import mcp_lite and sim_world from there

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
