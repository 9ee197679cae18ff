/** Policies against the real npm reference servers: every result kind, volume, threads and bad arguments. */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { FIXTURE_SERVERS, newTag, npmServer, pyServer, runOrch, survivors, tempDir, writeConfig } from "./helpers.ts";

function setup(extra: Record<string, unknown> = {}) {
  const dir = tempDir();
  const tag = newTag();
  const config = writeConfig(dir, {
    mcpServers: {
      everything: npmServer("everything", ["stdio"], tag),
      memory: { ...npmServer("memory", [], tag), env: { ORCH_TEST_TAG: tag, MEMORY_FILE_PATH: join(dir, "m.jsonl") } },
      filesystem: npmServer("filesystem", [dir], tag),
      ...extra,
    },
  });
  const policy = (text: string) => {
    const path = join(dir, `p${crypto.randomUUID().slice(0, 8)}.py`);
    writeFileSync(path, text);
    return path;
  };
  return { dir, tag, config, policy };
}

Deno.test("a policy gets text, JSON, structured content and images back as Python values", async () => {
  const { dir, tag, config, policy } = setup();
  const r = await runOrch([
    "run",
    "-c",
    config,
    policy(`
import os
assert everything__echo(message="hi") == "Echo: hi"
assert everything__get_sum(a=2, b=3) == "The sum of 2 and 3 is 5."
w = everything__get_structured_content(location="Chicago")
assert isinstance(w, dict) and "temperature" in w, w
items = everything__get_tiny_image()
img = [i for i in items if isinstance(i, Image)][0]
assert img.mime_type == "image/png" and img.data[:4] == b"\\x89PNG", img
path = img.save(os.path.join(os.environ["ORCH_OUTPUT_DIR"], "logo.png"))
filesystem__write_file(path=${JSON.stringify(join(dir, "note.txt"))}, content="from a policy")
assert filesystem__read_text_file(path=${JSON.stringify(join(dir, "note.txt"))})["content"] == "from a policy"
memory__create_entities(entities=[{"name": "arm", "entityType": "robot", "observations": ["7 dof"]}])
g = memory__read_graph()
assert g["entities"][0]["name"] == "arm", g
print("ok", os.path.getsize(path))
`),
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^ok \d+\n$/);
  assert.deepEqual(await survivors(tag), []);
});

Deno.test("1,000 sequential calls come back correct and in order, and 8 threads call in parallel", async () => {
  const { tag, config, policy } = setup();
  const r = await runOrch([
    "run",
    "-c",
    config,
    policy(`
for i in range(1000):
    assert everything__echo(message=str(i)) == "Echo: %d" % i
results = parallel(*[(lambda i=i: [everything__get_sum(a=i, b=j) for j in range(25)]) for i in range(8)])
for i, rs in enumerate(results):
    assert rs == ["The sum of %d and %d is %d." % (i, j, i + j) for j in range(25)], rs
print("done")
`),
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "done\n");
  assert.deepEqual(await survivors(tag), []);
});

Deno.test("with --no-preflight, wrong argument types come back as ToolError and a missing argument is a TypeError", async () => {
  const { tag, config, policy } = setup();
  const r = await runOrch([
    "run",
    "--no-preflight",
    "-c",
    config,
    policy(`
try:
    everything__get_sum(a="x", b=2)
except ToolError as e:
    assert (e.server, e.tool) == ("everything", "get-sum"), (e.server, e.tool)
    print("ToolError:", e)
try:
    everything__get_sum(a=1)
except TypeError as e:
    print("TypeError:", e)
everything__get_sum(1)
`),
  ]);
  assert.equal(r.code, 1);
  assert.match(
    r.stdout,
    /ToolError: everything\.get-sum failed: invalid arguments .*argument a must be number \(got "x"\)/,
  );
  assert.match(r.stdout, /TypeError: everything__get_sum\(\) missing 1 required positional argument: 'b'/);
  assert.match(r.stderr, /line 11, in <module>\n.*everything__get_sum\(1\)/);
  assert.deepEqual(await survivors(tag), []);
});

Deno.test("a server that crashes mid-policy raises ToolError naming it and leaves no process behind", async () => {
  const tag = newTag();
  const { config, policy } = setup({ crashy: pyServer(join(FIXTURE_SERVERS, "crashy.py"), tag) });
  const r = await runOrch([
    "run",
    "-c",
    config,
    policy("print(crashy__echo(text='up'))\ncrashy__crash()\nprint('not reached')\n"),
  ]);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, "up\n");
  assert.match(
    r.stderr,
    /ToolError: crashy\.crash failed: crashy: the server went away during the call \(the process exited with code 3/,
  );
  assert.deepEqual(await survivors(tag), []);
});

Deno.test("an endless policy with --timeout 2 is killed with exit 124 and nothing left running", async () => {
  const { tag, config, policy } = setup();
  const r = await runOrch([
    "run",
    "-c",
    config,
    "--timeout",
    "2",
    policy(
      "import subprocess\nsubprocess.Popen(['sleep', '300'])\neverything__echo(message='x')\nwhile True:\n    pass\n",
    ),
  ]);
  assert.equal(r.code, 124);
  assert.deepEqual(await survivors(tag), []);
});
