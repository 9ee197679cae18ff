"""Tests of templates/introspect_fastmcp.py: the script runs as `python3 -I SCRIPT server.py`, as orch runs it.

Each fixture in tests/fixtures/introspect/ shows one pattern; the tests check the exact tools, warnings
and files it yields. Run: python3 -m unittest discover -s tests/python -p 'test_introspect.py'
"""

import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SCRIPT = os.path.join(ROOT, "templates", "introspect_fastmcp.py")
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "introspect")
EXAMPLES = os.path.join(ROOT, "examples", "servers")
sys.path.insert(0, FIXTURES)
sys.dont_write_bytecode = True  # no __pycache__ beside the fixtures

import gen_fuzz_server  # noqa: E402
import gen_many_tools  # noqa: E402

STR = {"type": "string"}
INT = {"type": "integer"}
NUM = {"type": "number"}
BOOL = {"type": "boolean"}
NULL = {"type": "null"}


def with_(schema, **extra):
    out = dict(schema)
    out.update(extra)
    return out


def optional(schema, **extra):
    return with_({"anyOf": [schema, NULL]}, **extra)


def obj(properties, required, **extra):
    return with_({"type": "object", "properties": properties, "required": required}, **extra)


def array(items, **extra):
    return with_({"type": "array", "items": items}, **extra)


def ref(name, **extra):
    return with_({"$ref": "#/$defs/" + name}, **extra)


def tool(name, description, properties, required, **extra):
    out = {"name": name}
    if "title" in extra:
        out["title"] = extra.pop("title")
    out["description"] = description
    out["inputSchema"] = obj(properties, required, **extra.pop("defs", {}))
    out.update(extra)
    return out


def run(path, *args, python="python3"):
    return subprocess.run([python, "-I", SCRIPT, path] + list(args), capture_output=True, text=True, timeout=60)


def introspect(name, *args):
    path = os.path.join(FIXTURES, name)
    proc = run(path, *args)
    if proc.returncode != 0:
        raise AssertionError("exit %d: %s" % (proc.returncode, proc.stderr))
    return json.loads(proc.stdout)


class Fixtures(unittest.TestCase):
    maxDiff = None

    def check(self, name, tools, warnings=(), server=None):
        out = introspect(name)
        self.assertEqual(out["tools"], tools)
        self.assertEqual(out["warnings"], list(warnings))
        self.assertEqual(out["files"], [os.path.join(FIXTURES, name)])
        if server is not None:
            self.assertEqual(out.get("server"), server)
        return out

    def test_plain_decorators(self):
        self.check("plain_decorators.py", [
            tool("bare", "Bare decorator.", {"x": INT}, ["x"]),
            tool("called", "Called decorator.\n\nMore detail on a second paragraph.",
                 {"text": STR, "times": with_(INT, default=2)}, ["text"]),
            tool("renamed", "Explicit description wins.", {"flag": with_(BOOL, default=False)}, [],
                 title="Renamed tool", annotations={"readOnlyHint": True}),
            tool("positional_name", "", {}, []),
        ], server={"name": "plain", "instructions": "Drives a test robot."})

    def test_aliased_import(self):
        self.check("aliased_import.py", [
            tool("stack", "Stacks things.", {
                "names": array(STR),
                "weights": {"type": "object", "additionalProperties": NUM},
                "maybe": optional(INT, default=None),
            }, ["names", "weights"]),
        ], server={"name": "aliased"})

    def test_qualified_import_lists_every_instance(self):
        self.check("qualified_import.py", [
            tool("from_sdk", "Registered on the SDK instance.", {"a": INT}, ["a"]),
            tool("from_fastmcp2", "Registered on the fastmcp 2 instance.", {"b": STR}, ["b"]),
        ], ["qualified_import.py:1: the tools of 2 FastMCP instances are listed together (server_a, server_b)"])

    def test_server_name_picks_an_instance(self):
        out = introspect("qualified_import.py", "--server-name", "qualified-2")
        self.assertEqual([t["name"] for t in out["tools"]], ["from_fastmcp2"])
        self.assertEqual(out["warnings"], ['qualified_import.py:5: the tools of FastMCP instance "server_a" are '
                                           'left out: its name is not "qualified-2"'])

    def test_add_tool(self):
        self.check("add_tool.py", [
            tool("gripper_grasp", "Close the gripper with a force.", {"force": with_(NUM, default=1.0)}, []),
            tool("release", "Opens the gripper.", {}, []),
            tool("go_home", "Goes home.", {"speed": INT}, ["speed"]),
            tool("wave_hand", "Waves.", {}, []),
        ], ["add_tool.py:30: mcp.add_tool(lambda: None) is not given a function defined in local source; "
            "that tool is left out"])

    def test_async_and_blocks(self):
        self.check("async_and_blocks.py", [
            tool("fetch", "Fetches a URL.", {"url": STR}, ["url"]),
            tool("ros_topic", "Reads a ROS topic.", {"topic": STR}, ["topic"]),
            tool("sim_topic", "Reads a simulated topic.", {"topic": STR}, ["topic"]),
            tool("spin", "Spins the node.", {"seconds": with_(NUM, default=1.0)}, []),
            tool("registered", "Registered by a helper that receives the server.", {"level": INT}, ["level"]),
        ])

    def test_annotated_field(self):
        self.check("annotated_field.py", [tool("configure", "Configures the arm.", {
            "speed": with_(NUM, minimum=0, maximum=2.5, description="Speed in m/s"),
            "name": with_(STR, minLength=1, maxLength=32, pattern="^[a-z_]+$", default="arm"),
            "retries": with_(INT, exclusiveMinimum=0, exclusiveMaximum=10, description="How often to retry",
                             default=3),
            "joints": array(NUM, minItems=6, maxItems=6, default=[0.0] * 6),
            "label": optional(with_(STR, maxLength=10), description="Optional label", default=None),
            "count": with_(INT, minimum=1, title="Count", default=5),
            "tags": array(STR, description="Tags"),
            "needed": with_(STR, description="Required through Field(...)"),
        }, ["speed", "needed"])])

    def test_pydantic_model(self):
        vector = obj({"x": NUM, "y": NUM, "z": with_(NUM, default=0.0)}, ["x", "y"], title="Vector3")
        pose_props = {
            "position": ref("Vector3"),
            "yaw": with_(NUM, minimum=-3.15, maximum=3.15, description="Yaw in radians", default=0.0),
            "frame_id": with_(STR, default="map"),
        }
        pose = obj(pose_props, ["position"], title="Pose", description="A pose.\n\nPosition plus orientation.")
        stamped = obj(dict(pose_props, stamp=NUM), ["position", "stamp"], title="StampedPose")
        node = obj({"name": STR, "children": array(ref("Node"), default=[])}, ["name"], title="Node")
        self.check("pydantic_model.py", [
            tool("go_to", "Goes to a pose.", {"target": ref("StampedPose"), "via": optional(ref("Pose"), default=None)},
                 ["target"], defs={"$defs": {"StampedPose": stamped, "Vector3": vector, "Pose": pose}},
                 outputSchema=with_(pose, **{"$defs": {"Vector3": vector}})),
            tool("tree", "Walks a tree.", {"root": ref("Node")}, ["root"], defs={"$defs": {"Node": node}},
                 outputSchema=with_(node, **{"$defs": {"Node": node}})),
        ])

    def test_typed_dict(self):
        self.check("typed_dict.py", [tool("check", "Checks joint limits.", {
            "limits": ref("Limits"), "options": ref("Options"),
        }, ["limits", "options"], defs={"$defs": {
            "Limits": obj({"lower": NUM, "upper": NUM, "note": STR}, ["lower", "upper"], title="Limits"),
            "Options": obj({"verbose": BOOL, "name": STR}, ["name"], title="Options"),
        }}, outputSchema=obj({"ok": BOOL, "problems": array(STR)}, ["ok", "problems"], title="Report",
                             description="What a check returns."))])

    def test_enums(self):
        self.check("enums.py", [tool("lamp", "Sets the lamp.", {
            "color": ref("Color", default="green"),
            "level": ref("Level", default=2),
            "step": ref("Step", default=1),
        }, [], defs={"$defs": {
            "Color": {"enum": ["red", "green"], "title": "Color", "type": "string", "description": "Lamp colors."},
            "Level": {"enum": [1, 2], "title": "Level", "type": "integer"},
            "Step": {"enum": [1, 2], "title": "Step", "type": "integer"},
        }})])

    def test_literal(self):
        self.check("literal.py", [tool("measure", "Measures.", {
            "unit": {"enum": ["m", "cm", "mm"], "type": "string"},
            "axis": {"enum": [0, 1, 2], "type": "integer", "default": 0},
            "mixed": {"enum": ["auto", 1], "default": "auto"},
            "maybe": optional({"enum": ["x", "y"], "type": "string"}, default=None),
            "nested": {"enum": ["m", "cm", "km"], "type": "string", "default": "km"},
            "alias": {"enum": ["m", "cm"], "type": "string", "default": "m"},
        }, ["unit"])])

    def test_pep604_and_builtin_generics(self):
        self.check("pep604.py", [tool("plan", "Plans.", {
            "goals": array(STR),
            "weights": {"type": "object", "additionalProperties": NUM},
            "pair": {"type": "array", "prefixItems": [INT, STR], "minItems": 2, "maxItems": 2},
            "many": array(NUM, default=[]),
            "unique": optional(array(INT, uniqueItems=True), default=None),
            "either": {"anyOf": [INT, STR], "default": 0},
            "note": optional(STR, default=None),
            "raw": {"type": "string", "format": "binary", "default": ""},
            "anything": {"type": "object", "additionalProperties": True, "default": {}},
        }, ["goals", "weights", "pair"], outputSchema={"type": "object", "additionalProperties": array(INT)})])

    def test_forward_refs(self):
        item = obj({"name": STR, "weight": optional(NUM, default=None)}, ["name"], title="Item")
        self.check("forward_refs.py", [
            tool("place", "Places an item.", {
                "item": ref("Item"), "where": optional(array(NUM), default=None), "count": with_(INT, default=1),
            }, ["item"], defs={"$defs": {"Item": item}}, outputSchema=item),
            tool("broken", "A forward reference that does not parse.", {"x": {}}, ["x"]),
        ], ['forward_refs.py:17: tool "broken" parameter "x": type "\'list[\'" cannot be read statically; '
            "any value is accepted"])

    def test_constants_as_defaults(self):
        self.check("constants_defaults.py", [tool("wait", "Waits.", {
            "seconds": with_(NUM, default=30),
            "half": with_(NUM, default=15.0),
            "name": with_(STR, default="robot"),
            "home": array({}, default=[0.0, -1.5, 2]),
            "limits": {"type": "object", "additionalProperties": True, "default": {"low": -1, "high": 1}},
            "offset": with_(INT, default=-3),
            "scale": with_(NUM, default=8),
            "every": with_(INT, default=3600),
            "speed": with_(NUM, default=0.5),
            "nothing": with_(NULL, default=None),
            "items": array({}, default=[1, "two", None, True]),
            "started": NUM,
            "flag": with_(BOOL, default=True),
        }, [])], ['constants_defaults.py:33: tool "wait" parameter "started": default time.time() cannot be '
                  "evaluated statically; the parameter is optional with no default shown"])

    def test_google_docstring(self):
        self.check("docstring_google.py", [tool("pick", "Picks an object.\n\nUses the left gripper.", {
            "object_id": with_(STR, description="The object to pick. The id comes from the perception tool."),
            "force": with_(NUM, description="Grip force in newtons.", default=1.0),
            "retries": with_(INT, description="How often to retry.", default=0),
        }, ["object_id"])])

    def test_numpy_docstring(self):
        self.check("docstring_numpy.py", [tool("scan", "Scans a range.", {
            "start": with_(NUM, description="The range ends."),
            "stop": with_(NUM, description="The range ends."),
            "step": with_(NUM, description="The step size, in metres.", default=0.1),
        }, ["start", "stop"])])

    def test_sphinx_docstring(self):
        self.check("docstring_sphinx.py", [tool("rotate", "Rotates the end effector.", {
            "angle": with_(NUM, description="Angle in degrees, counter-clockwise."),
            "axis": with_(STR, description="The axis.", default="z"),
        }, ["angle"])])

    def test_context_parameters_are_left_out(self):
        self.check("context_param.py", [
            tool("report", "Logs through the context.", {"message": STR}, ["message"]),
            tool("progress", "Aliased Context import, optional.", {"total": INT}, ["total"]),
            tool("generic", "Subscripted Context through a module alias.", {"value": INT}, ["value"]),
        ])

    def test_varargs_are_left_out(self):
        self.check("varargs.py", [tool("call", "Mixes every parameter kind.", {
            "first": INT, "second": STR, "third": with_(BOOL, default=True),
        }, ["first", "second"])], [
            'varargs.py:8: tool "call": *args is left out (tools take named arguments only)',
            'varargs.py:8: tool "call": **kwargs is left out (tools take named arguments only)',
        ])

    def test_typing_forms_and_unknown_types(self):
        self.check("typing_forms.py", [tool("forms", "Many typing forms.", {
            "a": array(INT),
            "b": array(STR),
            "c": array(NUM),
            "d": {"type": "object", "additionalProperties": True},
            "e": {"type": "array", "prefixItems": [INT, INT, INT], "minItems": 3, "maxItems": 3},
            "f": {"anyOf": [INT, NUM, NULL]},
            "g": {},
            "h": array(STR, default=["x"]),
            "i": array(STR, uniqueItems=True, default=[]),
            "untyped": {"default": 5},
            "arr": {"default": None},
            "plain": {"default": None},
        }, ["a", "b", "c", "d", "e", "f", "g"])], [
            'typing_forms.py:29: tool "forms" parameter "arr": type "np.ndarray" cannot be read statically; '
            "any value is accepted",
            'typing_forms.py:30: tool "forms" parameter "plain": class "Plain" is not a pydantic model, dataclass, '
            "TypedDict or Enum, so its fields are unknown; any value is accepted",
        ])

    def test_dataclass(self):
        waypoint = obj({"x": NUM, "y": NUM, "label": with_(STR, default="wp"), "tags": array(STR)}, ["x", "y"],
                       title="Waypoint", description="One waypoint.")
        route = obj({"points": array(ref("Waypoint")), "loop": with_(BOOL, default=False)}, ["points"],
                    title="Route")
        self.check("dataclass_param.py", [tool(
            "follow", "Follows a route.", {"route": ref("Route")}, ["route"],
            defs={"$defs": {"Route": route, "Waypoint": waypoint}},
            outputSchema=with_(route, **{"$defs": {"Waypoint": waypoint}}))])

    def test_never_imports_the_server(self):
        self.check("never_imported.py", [
            tool("spin_once", "Spins the ROS node once.", {"timeout_sec": with_(NUM, default=0.1)}, []),
        ])

    def test_no_tools(self):
        self.check("no_tools.py", [], ["no_tools.py:1: no FastMCP tools found"])

    def test_low_level_server(self):
        self.check("lowlevel_server.py", [], [
            "lowlevel_server.py:8: the server uses the low-level MCP Server API (@server.list_tools); its tools are "
            'built at run time, so static introspection cannot list them; set "introspect": "mcp"'])


class LocalModules(unittest.TestCase):
    maxDiff = None

    def test_tools_and_names_from_imported_modules(self):
        out = introspect(os.path.join("split_server", "server.py"))
        self.assertEqual(out["tools"], [
            tool("status", "Reports status.", {"verbose": with_(BOOL, default=True)}, []),
            tool("grip", "Grips with settings from models.py.", {
                "settings": ref("Grip"), "scale": with_(NUM, default=0.8),
            }, ["settings"], defs={"$defs": {"Grip": obj({"force": with_(NUM, default=0.8)}, [], title="Grip")}}),
        ])
        self.assertEqual(out["warnings"], [])
        here = os.path.join(FIXTURES, "split_server")
        self.assertEqual(out["files"], [os.path.join(here, f) for f in
                                        ("server.py", "app.py", "helpers.py", "tools.py", "models.py")])

    def test_package_main_with_relative_imports(self):
        out = introspect(os.path.join("pkg_server", "__main__.py"))
        goal = obj({"x": NUM, "y": NUM}, ["x", "y"], title="Goal")
        self.assertEqual(out["tools"], [tool("navigate", "Navigates to a goal.", {
            "goal": ref("Goal"), "tolerance": with_(NUM, default=0.05),
        }, ["goal"], defs={"$defs": {"Goal": goal}})])
        here = os.path.join(FIXTURES, "pkg_server")
        self.assertEqual(out["files"], [os.path.join(here, f) for f in
                                        ("__main__.py", "server.py", "__init__.py", "limits.py", "models.py")])
        self.assertEqual(out["server"], {"name": "pkg"})


class Errors(unittest.TestCase):
    def test_syntax_error_exits_2_with_file_line_col(self):
        proc = run(os.path.join(FIXTURES, "syntax_error.py"))
        self.assertEqual(proc.returncode, 2)
        self.assertEqual(proc.stdout, "")
        self.assertRegex(proc.stderr, r"^.*syntax_error\.py:7:\d+: SyntaxError: \S")

    def test_missing_file_exits_2(self):
        proc = run(os.path.join(FIXTURES, "does_not_exist.py"))
        self.assertEqual(proc.returncode, 2)
        self.assertIn('cannot read the server file "', proc.stderr)
        self.assertIn("does_not_exist.py\": no such file", proc.stderr)

    def test_bad_usage_exits_2(self):
        proc = subprocess.run([sys.executable, "-I", SCRIPT], capture_output=True, text=True)
        self.assertEqual(proc.returncode, 2)
        self.assertIn("usage:", proc.stderr)

    def test_odd_sources_never_crash(self):
        with tempfile.TemporaryDirectory() as tmp:
            for seed in range(6):
                path = os.path.join(tmp, "fuzz%d.py" % seed)
                gen_fuzz_server.write(path, seed)
                proc = run(path)
                self.assertEqual(proc.returncode, 0, "seed %d: %s" % (seed, proc.stderr[-2000:]))
                self.assertIsInstance(json.loads(proc.stdout)["tools"], list)


class Speed(unittest.TestCase):
    def timed(self, count, runs):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "many.py")
            gen_many_tools.write(path, count)
            best = None
            for _ in range(runs):
                start = time.perf_counter()
                proc = run(path)
                elapsed = time.perf_counter() - start
                best = elapsed if best is None else min(best, elapsed)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            out = json.loads(proc.stdout)
            self.assertEqual(len(out["tools"]), count)
            self.assertEqual(out["warnings"], [])
            return best

    # Speed is measured by scripts/bench; these bounds only catch a pathological slowdown on a busy machine.
    def test_100_tools_finish_quickly(self):
        self.assertLess(self.timed(100, 3), 2.0)

    def test_5000_tools_finish_within_the_introspection_timeout(self):
        self.assertLess(self.timed(5000, 1), 20.0)


class AgreesWithLiveServers(unittest.TestCase):
    """The example servers run on a stdlib FastMCP stand-in: static and live tools/list must agree."""

    maxDiff = None

    def live_tools(self, path):
        with subprocess.Popen([sys.executable, "-B", path], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True) as proc:
            try:
                for message in (
                    {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                        "protocolVersion": "2025-06-18", "capabilities": {},
                        "clientInfo": {"name": "test", "version": "0"}}},
                    {"jsonrpc": "2.0", "method": "notifications/initialized"},
                    {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}},
                ):
                    proc.stdin.write(json.dumps(message) + "\n")
                    proc.stdin.flush()
                while True:
                    answer = json.loads(proc.stdout.readline())
                    if answer.get("id") == 2:
                        return answer["result"]["tools"]
            finally:
                proc.kill()

    @staticmethod
    def comparable(value):
        """Drops pydantic-style titles (the static side does not make them up) and empty `required`."""
        if isinstance(value, dict):
            out = {k: AgreesWithLiveServers.comparable(v) for k, v in value.items()
                   if not (k == "title" and isinstance(v, str)) and not (k == "required" and v == [])}
            return out
        if isinstance(value, list):
            return [AgreesWithLiveServers.comparable(v) for v in value]
        return value

    def test_example_servers(self):
        names = ["ros_mcp_server.py", "isaac_sim.py", "resources.py"]
        if not all(os.path.isfile(os.path.join(EXAMPLES, n)) for n in names):
            self.skipTest("examples/servers is not there")
        for name in names:
            path = os.path.join(EXAMPLES, name)
            proc = run(path)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            static = json.loads(proc.stdout)
            self.assertEqual(static["warnings"], [], name)
            live = {t["name"]: t for t in self.live_tools(path)}
            for t in static["tools"]:
                self.assertIn(t["name"], live, name)
                expected = dict(live[t["name"]])
                expected.pop("outputSchema", None)  # the stand-in publishes no output schemas
                got = dict(t)
                got.pop("outputSchema", None)
                self.assertEqual(self.comparable(got), self.comparable(expected), "%s %s" % (name, t["name"]))
            self.assertEqual(sorted(live), sorted(t["name"] for t in static["tools"]), name)


class OtherPythons(unittest.TestCase):
    """INTROSPECT_PYTHONS="/path/python3.8 /path/python3.13" runs every fixture there too (same tools)."""

    def test_same_tools_on_other_pythons(self):
        pythons = os.environ.get("INTROSPECT_PYTHONS", "").split()
        if not pythons:
            self.skipTest("INTROSPECT_PYTHONS is not set")
        for name in sorted(os.listdir(FIXTURES)):
            if not name.endswith(".py") or name.startswith("gen_") or name == "syntax_error.py":
                continue
            expected = json.loads(run(os.path.join(FIXTURES, name)).stdout)
            for python in pythons:
                proc = run(os.path.join(FIXTURES, name), python=python)
                self.assertEqual(proc.returncode, 0, "%s on %s: %s" % (name, python, proc.stderr))
                self.assertEqual(json.loads(proc.stdout)["tools"], expected["tools"], "%s on %s" % (name, python))


if __name__ == "__main__":
    unittest.main()
