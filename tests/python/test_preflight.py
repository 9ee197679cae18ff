"""Tests of templates/orch_preflight.py and its hook in orch_bootstrap.py.

The corpus under tests/fixtures/preflight/policies has one planted mistake per policy, marked on its line with
``# planted: KIND``; the ``control_*`` policies are correct and must pass. The catalog is the one ``orch gen`` writes
for tests/fixtures/preflight/mcp_config.json (the example robot servers plus guards); tests/e2e/preflight_test.ts
checks that it is fresh and runs the same corpus through ``orch check``.
"""

import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TEMPLATES = os.path.join(ROOT, "templates")
CORPUS = os.path.join(ROOT, "tests", "fixtures", "preflight")
for p in (HERE, TEMPLATES):
    if p not in sys.path:
        sys.path.insert(0, p)

import orch_preflight  # noqa: E402
from fake_shim import FakeShim  # noqa: E402

CATALOG = orch_preflight.load_catalog(os.path.join(CORPUS, "catalog.json"))


def planted(path):
    found = set()
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            m = re.search(r"# planted: (\S+)", line)
            if m:
                found.add((m.group(1), n))
    return found


def check(text, catalog=CATALOG):
    return orch_preflight.check_source(textwrap.dedent(text), "policy.py", catalog)


class CorpusTest(unittest.TestCase):
    def test_the_corpus_is_big_enough_and_has_every_kind(self):
        files = glob.glob(os.path.join(CORPUS, "policies", "*.py"))
        self.assertGreaterEqual(len(files), 40)
        kinds = {k for f in files for k, _ in planted(f)}
        for kind in ("unknown-function", "unknown-keyword", "missing-argument", "bad-value", "guard",
                     "hyphenated-name", "unknown-tool", "unknown-server", "too-many-positional"):
            self.assertIn(kind, kinds)
        controls = [f for f in files if os.path.basename(f).startswith("control_")]
        self.assertGreaterEqual(len(controls), 10)
        for f in files:
            expected = planted(f)
            if f in controls:
                self.assertEqual(expected, set(), f)
            else:
                self.assertEqual(len(expected), 1, "%s: plant exactly one mistake" % f)

    def test_preflight_catches_every_planted_mistake_and_flags_no_control(self):
        for path in sorted(glob.glob(os.path.join(CORPUS, "policies", "*.py"))):
            with self.subTest(policy=os.path.basename(path)):
                with open(path, "rb") as f:
                    problems = orch_preflight.check_source(f.read(), path, CATALOG)
                got = {(p.kind, p.line) for p in problems}
                self.assertEqual(got, planted(path), [p.format(path) for p in problems])


class FindingsTest(unittest.TestCase):
    def test_the_checker_and_bootstrap_are_python_38_syntax(self):
        import ast

        for name in ("orch_preflight.py", "orch_bootstrap.py"):
            with open(os.path.join(TEMPLATES, name), encoding="utf-8") as f:
                ast.parse(f.read(), name, feature_version=(3, 8))

    def test_a_keyword_given_twice_and_calls_of_unknown_prefixes_are_named(self):
        text = """\
            ros_mcp_server__stop("a", reason="b")
            filesystem__read_file(path="x")
        """
        problems = check(text)
        self.assertEqual([p.kind for p in problems], ["duplicate-argument", "unknown-function"])
        self.assertIn("no server filesystem; servers: Resources, isaac_sim, ros_mcp_server", problems[1].message)

    def test_the_issue_example_names_file_line_col_call_and_reason(self):
        [p] = check('\nros_mcp_server__move_home()\nros_mcp_server__control_gripper("bogus")\n')
        self.assertEqual(p.format("policy.py"), 'policy.py:3:1: ros_mcp_server__control_gripper("bogus"): '
                                                'argument state must be one of "open", "close" (got "bogus")')

    def test_did_you_mean_for_functions_keywords_servers_and_tools(self):
        text = """\
            ros_mcp_server__move_hom()
            ros_mcp_server__move_to_grasp("gear", 1, move_to_obj=True)
            call_tool("ros_mcp_server", "stop")
            call_tool("ros-mcp-server", "stopp")
        """
        messages = [p.message for p in check(text)]
        self.assertIn("did you mean ros_mcp_server__move_home?", messages[0])
        self.assertIn("did you mean move_to_object?", messages[1])
        self.assertIn('did you mean "ros-mcp-server"?', messages[2])
        self.assertIn('did you mean "stop"?', messages[3])

    def test_a_hyphenated_name_says_what_to_write_and_its_arguments_are_still_checked(self):
        problems = check('ros-mcp-server__control_gripper("bogus")\n')
        self.assertEqual([p.kind for p in problems], ["hyphenated-name", "bad-value"])
        self.assertIn("write ros_mcp_server__control_gripper", problems[0].message)

    def test_a_server_that_failed_discovery_is_named(self):
        catalog = dict(CATALOG, unavailable={"memory": "spawn node ENOENT"})
        [p] = check("memory__read_graph()\ncall_tool('memory', 'read_graph')\n", catalog)
        self.assertIn('server "memory" was unavailable', p.message)

    def test_nested_values_and_refs_are_checked(self):
        catalog = {"functions": {"s__t": {"server": "s", "tool": "t", "params": [
            {"name": "target", "wire": "target", "required": True}], "input": {
                "type": "object", "required": ["target"],
                "properties": {"target": {"$ref": "#/$defs/Pose"}},
                "$defs": {"Pose": {"type": "object", "required": ["x"], "additionalProperties": False,
                                   "properties": {"x": {"type": "number", "exclusiveMaximum": 1}}}}}}},
            "servers": {"s": {"t": "s__t"}}}
        self.assertEqual(check("s__t({'x': 0.5})", catalog), [])
        self.assertEqual([p.message for p in check("s__t({'x': 1})", catalog)],
                         ["argument target.x must be < 1 (got 1)"])
        self.assertIn("target.y is not allowed", check("s__t({'x': 0, 'y': 1})", catalog)[0].message)
        self.assertIn("target.x is required", check("s__t({})", catalog)[0].message)
        self.assertIn("must be a number", check("s__t({'x': True})", catalog)[0].message)

    def test_unknown_schema_keywords_and_ecma_patterns_are_never_errors(self):
        catalog = {"functions": {"s__t": {"server": "s", "tool": "t", "params": [
            {"name": "a", "wire": "a", "required": True}], "input": {"properties": {"a": {
                "format": "email", "pattern": "(?<name>x)", "multipleOf": 7, "not": {"type": "string"}}}}}},
            "servers": {"s": {"t": "s__t"}}}
        self.assertEqual(check("s__t('anything')", catalog), [])

class BootstrapHookTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="orch-preflight-")
        cls.shim = FakeShim(path=os.path.join(cls.tmp, "shim.sock")).start()
        cls.api = os.path.join(cls.tmp, "api")
        os.mkdir(cls.api)
        for name in ("orch_bootstrap.py", "orch_runtime.py", "orch_http.py", "orch_preflight.py"):
            shutil.copy(os.path.join(TEMPLATES, name), cls.api)
        catalog = {"functions": {"demo__count": {"server": "demo", "tool": "count", "params": []},
                                 "demo__echo": {"server": "demo", "tool": "echo", "params": [
                                     {"name": "mode", "wire": "mode", "required": True}],
                                     "input": {"properties": {"mode": {"enum": ["a", "b"]}}}}},
                   "servers": {"demo": {"count": "demo__count", "echo": "demo__echo"}}}
        with open(os.path.join(cls.api, "orch_catalog.json"), "w") as f:
            json.dump(catalog, f)
        with open(os.path.join(cls.api, "unified_api.py"), "w") as f:
            f.write("from orch_runtime import call_tool\n__all__ = ['demo__count', 'demo__echo', 'call_tool']\n"
                    "def demo__count():\n    return call_tool('demo', 'count', {})\n"
                    "def demo__echo(mode):\n    return call_tool('demo', 'echo', {'mode': mode})\n")

    @classmethod
    def tearDownClass(cls):
        cls.shim.stop()
        shutil.rmtree(cls.tmp, True)

    def run_policy(self, text, *flags, **env_extra):
        path = os.path.join(self.tmp, "policy.py")
        with open(path, "w") as f:
            f.write(textwrap.dedent(text))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ORCH_", "PYTHON"))}
        env.update(self.shim.env)
        env.update(env_extra)
        cmd = [sys.executable, "-I", os.path.join(self.api, "orch_bootstrap.py")] + list(flags) + ["policy.py"]
        return subprocess.run(cmd, cwd=self.tmp, env=env, capture_output=True, text=True, timeout=30)

    BAD = """\
        print("started")
        demo__count()
        demo__echo("c")
    """

    def test_a_policy_with_a_problem_does_not_start_and_makes_no_call(self):
        before = self.shim.counter
        r = self.run_policy(self.BAD)
        self.assertEqual(r.returncode, 3)
        self.assertEqual(r.stdout, "")
        self.assertIn('policy.py:3:1: demo__echo("c"): argument mode must be one of "a", "b" (got "c")', r.stderr)
        self.assertIn("no tool was called", r.stderr)
        self.assertEqual(self.shim.counter, before)

    def test_orch_preflight_0_turns_it_off(self):
        before = self.shim.counter
        r = self.run_policy(self.BAD, ORCH_PREFLIGHT="0")
        self.assertIn("started", r.stdout)
        self.assertEqual(self.shim.counter, before + 1)

    def test_check_json_runs_nothing_and_reports_problems(self):
        r = self.run_policy(self.BAD, "--check", "--json")
        self.assertEqual(r.returncode, 1)
        doc = json.loads(r.stdout)
        self.assertFalse(doc["ok"])
        self.assertEqual([(p["line"], p["col"], p["kind"]) for p in doc["problems"]], [(3, 1, "bad-value")])
        ok = self.run_policy("demo__echo('a')\n", "--check", "--json")
        self.assertEqual((ok.returncode, json.loads(ok.stdout)), (0, {"ok": True, "problems": []}))

    def test_a_checker_failure_does_not_stop_a_policy_that_compiles(self):
        path = os.path.join(self.api, "orch_catalog.json")
        with open(path) as f:
            good = f.read()
        try:
            with open(path, "w") as f:
                f.write('{"functions": 5}')
            r = self.run_policy("print('ran')\n")
        finally:
            with open(path, "w") as f:
                f.write(good)
        self.assertEqual(r.stdout, "ran\n")
        self.assertIn("orch: preflight skipped (internal error", r.stderr)

    def test_check_json_reports_a_syntax_error_as_a_problem(self):
        r = self.run_policy("demo__echo(\n", "--check", "--json")
        [p] = json.loads(r.stdout)["problems"]
        self.assertEqual((r.returncode, p["kind"], p["line"]), (1, "syntax", 1))


if __name__ == "__main__":
    unittest.main()
