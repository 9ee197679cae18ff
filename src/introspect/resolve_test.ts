import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { resolveServerScript, splitShell } from "./resolve.ts";

// A project tree on disk: the resolver checks which candidate files exist.
const base = mkdtempSync(path.join(tmpdir(), "orch-resolve-"));
const other = path.join(base, "elsewhere");
for (
  const file of [
    "server.py",
    "my server.py",
    "sub/tool.py",
    "pkg/__init__.py",
    "pkg/module.py",
    "pkg/app/__main__.py",
    "pkg/lib/__init__.py",
    "src/srcpkg/server.py",
    "extra/deep/mod.py",
    "dirapp/__main__.py",
    "elsewhere/server2.py",
  ]
) {
  mkdirSync(path.dirname(path.join(base, file)), { recursive: true });
  writeFileSync(path.join(base, file), "");
}
const at = (file: string) => path.join(base, file);
globalThis.addEventListener("unload", () => rmSync(base, { recursive: true, force: true }));

Deno.test("resolveServerScript() finds python server.py beside the config", () => {
  assert.deepEqual(resolveServerScript({ command: "python", args: ["server.py"] }, base), {
    script: at("server.py"),
  });
});

Deno.test("resolveServerScript() skips interpreter flags", () => {
  assert.deepEqual(
    resolveServerScript({ command: "python3", args: ["-u", "-X", "dev", "-Wignore", "server.py", "--flag"] }, base),
    { script: at("server.py") },
  );
  assert.deepEqual(resolveServerScript({ command: "python3.11", args: ["-uB", "--", "server.py"] }, base), {
    script: at("server.py"),
  });
  assert.deepEqual(resolveServerScript({ command: "/opt/venv/bin/python", args: ["server.py"] }, base), {
    script: at("server.py"),
  });
});

Deno.test("resolveServerScript() reads a relative interpreter path as an interpreter", () => {
  assert.deepEqual(resolveServerScript({ command: ".venv/bin/python", args: ["server.py"] }, base), {
    script: at("server.py"),
  });
});

Deno.test("resolveServerScript() looks in cwd first, then in the config's folder", () => {
  assert.deepEqual(resolveServerScript({ command: "python3", args: ["tool.py"], cwd: "sub" }, base), {
    script: at("sub/tool.py"),
  });
  assert.deepEqual(resolveServerScript({ command: "python3", args: ["server.py"], cwd: "sub" }, base), {
    script: at("server.py"),
  });
  assert.deepEqual(resolveServerScript({ command: "python3", args: ["server2.py"], cwd: other }, base), {
    script: at("elsewhere/server2.py"),
  });
});

Deno.test("resolveServerScript() runs a directory's __main__.py", () => {
  assert.deepEqual(resolveServerScript({ command: "python3", args: ["dirapp"] }, base), {
    script: at("dirapp/__main__.py"),
  });
});

Deno.test("resolveServerScript() resolves python -m to a module file, __main__.py or __init__.py", () => {
  assert.deepEqual(resolveServerScript({ command: "python3", args: ["-m", "pkg.module"] }, base), {
    script: at("pkg/module.py"),
  });
  assert.deepEqual(resolveServerScript({ command: "python3", args: ["-mpkg.app", "--port", "1"] }, base), {
    script: at("pkg/app/__main__.py"),
  });
  assert.deepEqual(resolveServerScript({ command: "python", args: ["-u", "-m", "pkg.lib"] }, base), {
    script: at("pkg/lib/__init__.py"),
  });
});

Deno.test("resolveServerScript() finds -m modules under src/ and on the entry's PYTHONPATH", () => {
  assert.deepEqual(resolveServerScript({ command: "python3", args: ["-m", "srcpkg.server"] }, base), {
    script: at("src/srcpkg/server.py"),
  });
  assert.deepEqual(
    resolveServerScript({ command: "python3", args: ["-m", "deep.mod"], env: { PYTHONPATH: "/nowhere:extra" } }, base),
    { script: at("extra/deep/mod.py") },
  );
});

Deno.test("resolveServerScript() reads uv run forms", () => {
  const script = { script: at("server.py") };
  assert.deepEqual(resolveServerScript({ command: "uv", args: ["run", "server.py"] }, base), script);
  assert.deepEqual(
    resolveServerScript({ command: "uv", args: ["run", "--with", "mcp[cli]", "server.py"] }, base),
    script,
  );
  assert.deepEqual(
    resolveServerScript({ command: "uv", args: ["run", "--with", "x", "python", "server.py", "--flag"] }, base),
    script,
  );
  assert.deepEqual(
    resolveServerScript(
      { command: "/usr/local/bin/uv", args: ["run", "--python=3.12", "--", "python3", "server.py"] },
      base,
    ),
    script,
  );
  assert.deepEqual(resolveServerScript({ command: "uv", args: ["run", "-m", "pkg.module"] }, base), {
    ...script,
    script: at("pkg/module.py"),
  });
});

Deno.test("resolveServerScript() follows uv --directory, before or after run", () => {
  const script = { script: at("sub/tool.py") };
  assert.deepEqual(
    resolveServerScript({ command: "uv", args: ["run", "--directory", "sub", "tool.py"] }, base),
    script,
  );
  assert.deepEqual(
    resolveServerScript({ command: "uv", args: ["--directory", at("sub"), "run", "tool.py"] }, base),
    script,
  );
  assert.deepEqual(
    resolveServerScript({ command: "uv", args: ["--directory=sub", "run", "python", "tool.py"] }, base),
    script,
  );
});

Deno.test("resolveServerScript() finds the script in a bash -c wrapper", () => {
  assert.deepEqual(
    resolveServerScript({
      command: "bash",
      args: ["-c", `source /opt/ros/humble/setup.bash && python3 ${at("server.py")} --flag`],
    }, base),
    { script: at("server.py") },
  );
});

Deno.test("resolveServerScript() reads sh -lc with cd, exec and quoting", () => {
  assert.deepEqual(resolveServerScript({ command: "sh", args: ["-lc", "cd sub && exec python tool.py"] }, base), {
    script: at("sub/tool.py"),
  });
  assert.deepEqual(resolveServerScript({ command: "/bin/bash", args: ["-l", "-c", `python3 "my server.py"`] }, base), {
    script: at("my server.py"),
  });
  assert.deepEqual(
    resolveServerScript({ command: "bash", args: ["-c", "python3 my\\ server.py 2>&1 | tee log"] }, base),
    {
      script: at("my server.py"),
    },
  );
});

Deno.test("resolveServerScript() finds the script of an absolute interpreter inside a shell wrapper", () => {
  assert.deepEqual(
    resolveServerScript({ command: "bash", args: ["-c", "/opt/venv/bin/python3 -u server.py"] }, base),
    { script: at("server.py") },
  );
});

Deno.test("resolveServerScript() uses shell assignments, exports and the entry's env", () => {
  assert.deepEqual(resolveServerScript({ command: "bash", args: ["-c", "ROS_DOMAIN_ID=7 python3 server.py"] }, base), {
    script: at("server.py"),
  });
  assert.deepEqual(
    resolveServerScript({ command: "bash", args: ["-c", "export PYTHONPATH=extra; python3 -m deep.mod"] }, base),
    { script: at("extra/deep/mod.py") },
  );
  assert.deepEqual(
    resolveServerScript({ command: "bash", args: ["-c", 'python3 "${SRV}/tool.py"'], env: { SRV: at("sub") } }, base),
    { script: at("sub/tool.py") },
  );
});

Deno.test("resolveServerScript() skips shell commands that fail and takes the first that works", () => {
  assert.deepEqual(
    resolveServerScript({ command: "bash", args: ["-c", 'python3 -c "import rclpy" && python3 server.py'] }, base),
    { script: at("server.py") },
  );
});

Deno.test("resolveServerScript() reads env wrappers", () => {
  assert.deepEqual(resolveServerScript({ command: "env", args: ["X=1", "-u", "HOME", "python", "server.py"] }, base), {
    script: at("server.py"),
  });
  assert.deepEqual(resolveServerScript({ command: "/usr/bin/env", args: ["-C", "sub", "python3", "tool.py"] }, base), {
    script: at("sub/tool.py"),
  });
  assert.deepEqual(resolveServerScript({ command: "env", args: ["-S", "python3 -u server.py"] }, base), {
    script: at("server.py"),
  });
  assert.deepEqual(resolveServerScript({ command: "/usr/bin/env", args: ["bash", "-c", "python3 server.py"] }, base), {
    script: at("server.py"),
  });
});

Deno.test("resolveServerScript() reads fastmcp run/dev and mcp run", () => {
  const script = { script: at("server.py") };
  assert.deepEqual(resolveServerScript({ command: "fastmcp", args: ["run", "server.py"] }, base), script);
  assert.deepEqual(
    resolveServerScript({ command: "fastmcp", args: ["run", "--transport", "stdio", "server.py:mcp"] }, base),
    script,
  );
  assert.deepEqual(resolveServerScript({ command: "fastmcp", args: ["dev", "server.py"] }, base), script);
  assert.deepEqual(resolveServerScript({ command: "mcp", args: ["run", "server.py"] }, base), script);
  assert.deepEqual(
    resolveServerScript({ command: "uv", args: ["run", "--with", "fastmcp", "fastmcp", "run", "server.py"] }, base),
    script,
  );
});

Deno.test("resolveServerScript() splits a whole command line given as command", () => {
  assert.deepEqual(resolveServerScript({ command: "python3 -u server.py" }, base), {
    script: at("server.py"),
  });
});

Deno.test("resolveServerScript() says which command forms it knows", () => {
  assert.deepEqual(resolveServerScript({ command: "node", args: ["server.js"] }, base), {
    error:
      'cannot find a Python server script in "node server.js": the command is not python, uv, bash -c, env, fastmcp or mcp run',
  });
  assert.deepEqual(resolveServerScript({ command: "npx", args: ["-y", "@scope/server"] }, base), {
    error:
      'cannot find a Python server script in "npx -y @scope/server": the command is not python, uv, bash -c, env, fastmcp or mcp run',
  });
});

Deno.test("resolveServerScript() lists the paths it tried", () => {
  assert.deepEqual(resolveServerScript({ command: "python3", args: ["missing.py"], cwd: "sub" }, base), {
    error: `cannot find a Python server script in "python3 missing.py": missing.py not found (tried ${
      at("sub/missing.py")
    }, ${at("missing.py")})`,
  });
  const result = resolveServerScript({ command: "python3", args: ["-m", "nope.mod"] }, base);
  assert.ok("error" in result);
  assert.match(result.error, /module nope\.mod not found \(tried .*nope\/mod\.py, .*nope\/mod\/__main__\.py, /);
  assert.ok(result.error.includes(at("src/nope/mod/__init__.py")));
});

Deno.test("resolveServerScript() explains commands that run no script file", () => {
  const error = (entry: { command: string; args?: string[] }) => {
    const result = resolveServerScript(entry, base);
    assert.ok("error" in result, JSON.stringify(result));
    return result.error.replace(/^cannot find a Python server script in "[^"]*": /, "");
  };
  assert.equal(
    error({ command: "python3", args: ["-c", "print(1)"] }),
    "python3 -c runs inline code, not a script file",
  );
  assert.equal(error({ command: "python3" }), "python3 is given no script");
  assert.equal(error({ command: "python3", args: ["-"] }), "python3 reads the program from standard input");
  assert.equal(error({ command: "bash", args: ["start.sh"] }), "bash runs the file start.sh, not a -c command string");
  assert.equal(error({ command: "bash" }), "bash is given no -c command string");
  assert.equal(
    error({ command: "bash", args: ["-c", "source env.sh && node server.js"] }),
    "no command in the bash -c string is python, uv, env, fastmcp or mcp run",
  );
  assert.equal(
    error({ command: "bash", args: ["-c", "python3 'oops"] }),
    "the shell string has an unterminated ' quote",
  );
  assert.equal(
    error({ command: "uv", args: ["tool", "run", "x"] }),
    "uv tool does not run a local script (only uv run does)",
  );
  assert.equal(
    error({ command: "uv", args: ["run", "my-server"] }),
    "the command is not python, uv, bash -c, env, fastmcp or mcp run",
  );
  assert.equal(
    error({ command: "fastmcp", args: ["run", "http://127.0.0.1:8000/mcp"] }),
    "fastmcp run connects to a URL, not a local file",
  );
  assert.equal(error({ command: "fastmcp", args: ["run"] }), "fastmcp run is given no server file");
});

Deno.test("splitShell() splits on operators and honours quotes and escapes", () => {
  assert.deepEqual(splitShell(`a 'b c' "d \\"e\\" $X" f\\ g && h;i|j || k & l\nm (n)`, { X: "x" }), [
    ["a", "b c", 'd "e" x', "f g"],
    ["h"],
    ["i"],
    ["j"],
    ["k"],
    ["l"],
    ["m"],
    ["n"],
  ]);
});

Deno.test("splitShell() drops redirections and comments and keeps unknown expansions", () => {
  assert.deepEqual(splitShell("python3 s.py 2>&1 >/tmp/log </dev/null &>x # a comment"), [["python3", "s.py"]]);
  assert.deepEqual(splitShell("echo $(pwd) `id` $NOPE ${NOPE} ${NOPE:-dflt} ''"), [
    ["echo", "$(pwd)", "`id`", "$NOPE", "${NOPE}", "dflt", ""],
  ]);
  assert.deepEqual(splitShell("cd ~/srv", { HOME: "/home/r" }), [["cd", "/home/r/srv"]]);
});
