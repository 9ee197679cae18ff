"""Tests of templates/orch_session.py through the real bootstrap: the worker protocol and snapshots."""

import json
import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import test_bootstrap  # noqa: E402


class WorkerTest(test_bootstrap.PolicyHarness):
    def start(self):
        env = self.env(ORCH_SESSION_WORKER="1")
        placeholder = self.write("session.py", "")
        cmd = [sys.executable, "-I", os.path.join(self.api, "orch_bootstrap.py"), placeholder]
        return subprocess.Popen(cmd, cwd=self.work, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)

    def call(self, proc, code, n):
        nonce = "n%d" % n
        req = {"code": code, "path": os.path.join(self.work, "call-%d.py" % n), "token": self.shim.env["ORCH_RUN_TOKEN"],
               "run_id": "r%d" % n, "nonce": nonce}
        proc.stdin.write((json.dumps(req) + "\n").encode())
        proc.stdin.flush()
        out = b""
        marker = b"\0orch-end:" + nonce.encode() + b":"
        while marker not in out or not out.endswith(b"\n"):
            out += proc.stdout.read1(65536)
        err = b""
        while not err.endswith(b"\0orch-end:" + nonce.encode() + b"\n"):
            err += proc.stderr.read1(65536)
        text, _, end = out.partition(marker)
        return text.decode(), err[:-len(b"\0orch-end:" + nonce.encode() + b"\n")].decode(), json.loads(end)

    def test_three_calls_share_one_namespace_each_with_its_own_token(self):
        proc = self.start()
        try:
            out, err, end = self.call(proc, "x = 1\ndef f(n):\n    return n + x\nimport collections as c", 1)
            self.assertEqual((out, err, end["returncode"]), ("", "", 0))
            self.assertEqual(end["session_vars"], ["c", "f", "x"])
            out, err, end = self.call(proc, "x += 1\nprint(f(10), demo__echo(k=x))", 2)
            self.assertEqual((out, err, end["returncode"]), ("12 {'k': 2}\n", "", 0))
            self.assertEqual(os.environ.get("ORCH_RUN_ID"), None)
            out, err, end = self.call(proc, "import os\nprint(os.environ['ORCH_RUN_ID'], c.Counter('aa')['a'])", 3)
            self.assertEqual(out, "r3 2\n")
            self.assertIsInstance(end["rss_kb"], int)
        finally:
            proc.stdin.close()
            self.assertEqual(proc.wait(10), 0)
            proc.stdout.close()
            proc.stderr.close()

    def test_errors_exit_and_input_do_not_end_the_worker(self):
        proc = self.start()
        try:
            _, err, end = self.call(proc, "y = 5\nraise KeyError('k')", 1)
            self.assertEqual(end["returncode"], 1)
            self.assertIn('call-1.py", line 2', err)
            self.assertIn("KeyError: 'k'", err)
            _, err, end = self.call(proc, "for x in range(2)\n  pass", 2)
            self.assertEqual(end["returncode"], 1)
            self.assertRegex(err, r"call-2\.py:1:\d+: SyntaxError")
            _, _, end = self.call(proc, "import sys\nsys.exit(4)", 3)
            self.assertEqual(end["returncode"], 4)
            out, _, end = self.call(proc, "import sys\nprint(repr(sys.stdin.read()), y)", 4)
            self.assertEqual((out, end["returncode"]), ("'' 5\n", 0))
            _, err, end = self.call(proc, "demo__abort()", 5)
            self.assertEqual(end["returncode"], 130)
            out, _, end = self.call(proc, "print(demo__echo(after='abort'))", 6)
            self.assertEqual(out, "{'after': 'abort'}\n", "an abort of one call does not stick to the next")
        finally:
            proc.stdin.close()
            proc.wait(10)
            proc.stdout.close()
            proc.stderr.close()


class SnapshotTest(test_bootstrap.PolicyHarness):
    def run_with_state(self, text):
        env = self.env(ORCH_SESSION_STATE=os.path.join(self.work, "state"), ORCH_SESSION_NAME="t")
        return self.run_policy(text, env=env)

    def next_state(self):
        os.replace(os.path.join(self.work, "state.out"), os.path.join(self.work, "state"))

    def test_data_functions_and_modules_come_back_and_the_rest_is_named(self):
        r = self.run_with_state('''
            import threading, json as j
            from math import sqrt
            data = {"a": [1, 2]}
            def add(x, y=3):
                """adds"""
                return x + y + data["a"][0]
            def outer():
                k = 1
                def inner():
                    return k
                return inner
            closure = outer()
            class Pose:
                pass
            lock = threading.Lock()
        ''')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stderr, r"orch: session t: saved 6 names; not kept: ")
        for name in ("Pose: type (a class defined in a policy", "closure: function (a closure",
                     "lock: lock ("):
            self.assertIn(name, r.stderr)
        self.next_state()
        # The policy file of the second run is a different one: the names come from the snapshot.
        r = self.run_with_state('print(add(1), add.__doc__, j.dumps(data), sqrt(9), outer()())')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, '5 adds {"a": [1, 2]} 3.0 1\n')
        self.assertIn("orch: session t: restored 6 names\n", r.stderr)

    def test_an_interrupted_run_writes_no_snapshot(self):
        r = self.run_with_state("x = 1\nraise KeyboardInterrupt")
        self.assertEqual(r.returncode, 130)
        self.assertFalse(os.path.exists(os.path.join(self.work, "state.out")))

    def test_a_snapshot_over_the_limit_is_not_written(self):
        env = self.env(ORCH_SESSION_STATE=os.path.join(self.work, "state"), ORCH_SESSION_MAX_BYTES="1000")
        r = self.run_policy("big = 'x' * 5000", env=env)
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stderr, r"saved 0 names; not kept: snapshot of \d+ bytes is over the session limit of 1000")
        self.assertFalse(os.path.exists(os.path.join(self.work, "state.out")))


if __name__ == "__main__":
    unittest.main()
