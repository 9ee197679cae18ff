"""mcp_lite in-process: schemas, docstrings, validation (no subprocess)."""

from __future__ import annotations

import ast
import asyncio
import enum
import json
import os
import sys
import unittest
from typing import Any, Dict, List, Literal, Optional, Tuple, Union

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from servers_harness import FIXTURES, POLICIES, SERVERS  # noqa: E402

import mcp_lite  # noqa: E402  (examples/servers is on sys.path once servers_harness is imported)


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


if __name__ == "__main__":
    unittest.main()
