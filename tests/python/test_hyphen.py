"""Tests of templates/orch_hyphen.py (the hyphen fix) and its use by the bootstrap, on real python3."""

import os
import sys
import tokenize
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATES = os.path.join(os.path.dirname(os.path.dirname(HERE)), "templates")
for folder in (HERE, TEMPLATES):
    if folder not in sys.path:
        sys.path.insert(0, folder)

import orch_hyphen  # noqa: E402
import test_bootstrap  # noqa: E402

KNOWN = frozenset({
    "ros_mcp_server__move_home",
    "ros_mcp_server__control_gripper",
    "isaac_sim__save_scene_state",
    "isaac_sim_2__reset",
    "Resources__list_assemblies",
})

# (what the agent wrote, what runs)
TABLE = [
    # names in code
    ("ros-mcp-server__move_home()", "ros_mcp_server__move_home()"),
    ("ros_mcp-server__move_home()", "ros_mcp_server__move_home()"),
    ("ros-mcp_server__move_home()", "ros_mcp_server__move_home()"),
    ("r = isaac-sim__save_scene_state()", "r = isaac_sim__save_scene_state()"),
    ("isaac-sim-2__reset()", "isaac_sim_2__reset()"),
    ("x = [ros-mcp-server__move_home, isaac-sim__save_scene_state]",
     "x = [ros_mcp_server__move_home, isaac_sim__save_scene_state]"),
    ("fn = ros-mcp-server__control_gripper\nfn('open')", "fn = ros_mcp_server__control_gripper\nfn('open')"),
    ("import unified_api\nunified_api.ros-mcp-server__move_home()",
     "import unified_api\nunified_api.ros_mcp_server__move_home()"),
    ("a-ros-mcp-server__move_home()", "a-ros_mcp_server__move_home()"),  # `a -` stays a minus
    ("for i in range(2):\n    ros-mcp-server__move_home()\n", "for i in range(2):\n    ros_mcp_server__move_home()\n"),
    # arithmetic and unknown names stay as written
    ("a-b", "a-b"),
    ("x = a-b-c", "x = a-b-c"),
    ("ros - mcp - server__move_home()", "ros - mcp - server__move_home()"),
    ("ros-mcp-server__unknown_tool()", "ros-mcp-server__unknown_tool()"),
    ("n = count-1", "n = count-1"),
    ("Resources__list_assemblies()-1", "Resources__list_assemblies()-1"),
    # strings
    ("s = 'ros-mcp-server__move_home'", "s = 'ros-mcp-server__move_home'"),
    ('s = "ros-mcp-server__move_home()"', 's = "ros-mcp-server__move_home()"'),
    ('s = """\nros-mcp-server__move_home()\n"""', 's = """\nros-mcp-server__move_home()\n"""'),
    ("if name == 'ros-mcp-server__control_gripper':\n    fn = ros-mcp-server__control_gripper",
     "if name == 'ros-mcp-server__control_gripper':\n    fn = ros_mcp_server__control_gripper"),
    ("b = b'ros-mcp-server__move_home'", "b = b'ros-mcp-server__move_home'"),
    # comments
    ("# call ros-mcp-server__move_home() first\nx = 1", "# call ros-mcp-server__move_home() first\nx = 1"),
    ("ros-mcp-server__move_home()  # not ros-mcp-server__move_home",
     "ros_mcp_server__move_home()  # not ros-mcp-server__move_home"),
    # f-strings: the text stays, the code in braces is fixed
    ("print(f'ros-mcp-server__move_home: {ros-mcp-server__move_home()}')",
     "print(f'ros-mcp-server__move_home: {ros_mcp_server__move_home()}')"),
    ('print(f"{x!r} ros-mcp-server__move_home {{ros-mcp-server__move_home}}")',
     'print(f"{x!r} ros-mcp-server__move_home {{ros-mcp-server__move_home}}")'),
    ("print(f'{a-b:>{w-1}}')", "print(f'{a-b:>{w-1}}')"),
    ("print(f'''{ros-mcp-server__move_home()}\nros-mcp-server__move_home''')",
     "print(f'''{ros_mcp_server__move_home()}\nros-mcp-server__move_home''')"),
    ("print(rf'{isaac-sim__save_scene_state()} \\d-x')", "print(rf'{isaac_sim__save_scene_state()} \\d-x')"),
    # code that does not tokenize is left alone (compile says why)
    ("s = 'ros-mcp-server__move_home()", "s = 'ros-mcp-server__move_home()"),
]


class HyphenTableTest(unittest.TestCase):
    def test_table(self):
        for written, runs in TABLE:
            with self.subTest(written=written):
                fixed, changes = orch_hyphen.fix(written, KNOWN)
                self.assertEqual(fixed, runs)
                self.assertEqual(len(fixed), len(written))
                self.assertEqual(fixed.count("\n"), written.count("\n"))
                self.assertEqual(bool(changes), fixed != written)

    def test_fixed_code_compiles_where_the_written_code_did(self):
        for written, runs in TABLE:
            try:
                compile(written, "x.py", "exec")
            except SyntaxError:
                continue
            with self.subTest(written=written):
                compile(orch_hyphen.fix(written, KNOWN)[0], "x.py", "exec")

    def test_without_known_names_nothing_changes(self):
        self.assertEqual(orch_hyphen.fix("ros-mcp-server__move_home()", frozenset())[0],
                         "ros-mcp-server__move_home()")

    def test_tokenizer_kind(self):
        # Documents which f-string path this Python takes (3.12 tokenizes f-strings itself).
        self.assertEqual(hasattr(tokenize, "FSTRING_START"), sys.version_info >= (3, 12))


class HyphenRunTest(test_bootstrap.PolicyHarness):
    """Through the real bootstrap, with a generated-API stand-in for a server named ``my-srv``."""

    def test_server_hyphens_in_code_strings_comments_fstrings(self):
        api = self.hyphen_api()
        r = self.run_policy('''
            # my-srv__echo() in a comment
            a = my-srv__echo(x="my-srv__echo")
            print(a["x"], 'my-srv__echo', f"{my-srv__echo(y=2)['y']}-my-srv__echo")
        ''', api=api)
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        self.assertEqual(r.stdout, "my-srv__echo my-srv__echo 2-my-srv__echo\n")

    def test_traceback_keeps_line_and_column(self):
        api = self.hyphen_api()
        r = self.run_policy('''
            x = 1
            my-srv__echo(a=1); my-srv__fail(message="motor fault")
        ''', api=api)
        self.assertEqual(r.returncode, 1)
        self.assertIn('policy.py", line 3', r.stderr)
        self.assertIn('my_srv__echo(a=1); my_srv__fail(message="motor fault")', r.stderr)
        self.assertIn("motor fault", r.stderr)

    def test_syntax_error_column_is_unchanged(self):
        api = self.hyphen_api()
        r = self.run_policy("my-srv__echo(a=1)\nx = (1 +\n", api=api)
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr, r"policy\.py:2:\d+: SyntaxError")

    def test_disable_hyphen_fix(self):
        api = self.hyphen_api()
        for env in ({"DISABLE_HYPHEN_FIX": "1"}, {"ORCH_HYPHEN_FIX": "0"}):
            with self.subTest(env=env):
                r = self.run_policy("my-srv__echo(a=1)\n", api=api, env=self.env(**env))
                self.assertEqual(r.returncode, 1)
                self.assertIn("NameError: name 'my' is not defined", r.stderr)

    def test_preamble_names_without_imports(self):
        r = self.run_policy('''
            d: Dict[str, Any] = {"a": [1]}
            l: List[int] = []
            o: Optional[int] = None
            print(sys.version_info[0], os.sep, math.floor(2.5), json.dumps(d),
                  (datetime(2020, 1, 2) + timedelta(days=1)).day)
        ''')
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        self.assertEqual(r.stdout, '3 / 2 {"a": [1]} 3\n')

    def hyphen_api(self):
        """An API folder whose server is called ``my-srv`` (functions ``my_srv__echo``, ``my_srv__fail``)."""
        import shutil

        folder = os.path.join(self.tmp, "hyphen_api")
        if not os.path.isdir(folder):
            os.mkdir(folder)
            for name in ("orch_bootstrap.py", "orch_runtime.py", "orch_http.py", "orch_hyphen.py", "orch_session.py"):
                shutil.copy(os.path.join(TEMPLATES, name), folder)
            with open(os.path.join(folder, "unified_api.py"), "w") as f:
                f.write('from orch_runtime import call_tool\n'
                        '__all__ = ["my_srv__echo", "my_srv__fail", "call_tool"]\n'
                        'def my_srv__echo(**a):\n    return call_tool("demo", "echo", a)\n'
                        'def my_srv__fail(message="boom"):\n    return call_tool("demo", "fail", {"message": message})\n')
        return folder


if __name__ == "__main__":
    unittest.main()
