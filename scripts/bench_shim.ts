/**
 * Per-call time of `POST /call_tool` through `app.request` with a no-op source: the TypeScript
 * overhead of the shim's hot path. Runtime-neutral: `deno run -A scripts/bench_shim.ts` or
 * `bun run scripts/bench_shim.ts`.
 */
import { Hono } from "hono";
import { Http1Connection } from "../src/runtime/http1.ts";
import { harness } from "../src/shim/_harness.ts";
import { createIpcShim } from "../src/shim/app.ts";

const WARMUP = 5_000;
const CALLS = 20_000;

async function medianMicros(fn: () => Promise<unknown>): Promise<{ median: number; p99: number; mean: number }> {
  for (let i = 0; i < WARMUP; i++) await fn();
  const times = new Float64Array(CALLS);
  const t0 = performance.now();
  for (let i = 0; i < CALLS; i++) {
    const start = performance.now();
    await fn();
    times[i] = performance.now() - start;
  }
  const mean = ((performance.now() - t0) / CALLS) * 1000;
  times.sort();
  return { median: times[CALLS >> 1]! * 1000, p99: times[Math.floor(CALLS * 0.99)]! * 1000, mean };
}

function show(name: string, r: { median: number; p99: number; mean: number }): void {
  console.log(
    `${name.padEnd(44)} median ${r.median.toFixed(1)} us  p99 ${r.p99.toFixed(1)} us  mean ${r.mean.toFixed(1)} us`,
  );
}

const h = harness({
  scope: {
    allow: ["ros-mcp-server/*"],
    deny: ["*/stop"],
    maxCalls: null,
    guards: { "ros-mcp-server/set_velocity": { properties: { speed: { type: "number", maximum: 1 } } } },
  },
});
h.source.record = false;
const body = JSON.stringify({
  server: "ros-mcp-server",
  tool: "set_velocity",
  arguments: { speed: 0.2, frame: "base" },
});
const headers = {
  authorization: `Bearer ${h.scope.token}`,
  "content-type": "application/json",
  "content-length": String(body.length),
};

const call = await h.app.request("/call_tool", { method: "POST", headers, body });
if (call.status !== 200) throw new Error(`bench call answered ${call.status}: ${await call.text()}`);

show(
  "POST /call_tool (Content-Length)",
  await medianMicros(async () => (await h.app.request("/call_tool", { method: "POST", headers, body })).text()),
);
const { "content-length": _, ...noLength } = headers;
show(
  "POST /call_tool (streamed body)",
  await medianMicros(async () =>
    (await h.app.request("/call_tool", { method: "POST", headers: noLength, body })).text()
  ),
);

// What app.request, Request and Response cost by themselves: the floor under the numbers above.
const floor = new Hono();
floor.post("/call_tool", () => new Response('{"success":true}', { headers: { "content-type": "application/json" } }));
show(
  "floor: Hono app answering a constant",
  await medianMicros(async () => (await floor.request("/call_tool", { method: "POST", headers, body })).text()),
);

// The shim's HTTP/1.1 connection fed the request's bytes: through app.fetch (Request/Response) and
// through the direct route (what Bun serves), same shim, same scope.
const { app, direct } = createIpcShim({ registry: h.registry, source: h.source, catalog: () => undefined });
const wire = new TextEncoder().encode(
  `POST /call_tool HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${h.scope.token}\r\n` +
    `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
);
for (const [name, route] of [["via app.fetch", undefined], ["direct route", direct]] as const) {
  let answered: (() => void) | undefined;
  const conn = new Http1Connection(
    app.fetch,
    { write: () => answered?.(), end: () => {} },
    undefined,
    undefined,
    route,
  );
  show(
    `HTTP/1.1 bytes -> /call_tool ${name}`,
    await medianMicros(() =>
      new Promise<void>((resolve) => {
        answered = resolve;
        conn.push(wire);
      })
    ),
  );
}
