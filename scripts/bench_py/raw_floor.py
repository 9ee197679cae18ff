"""The floor: newline-delimited JSON-RPC straight to an MCP server over stdio, no orch.

Usage: python3 raw_floor.py MODE N WARM -- COMMAND...
MODE "calls": warm up, then time N echo calls one by one; prints JSON with per-call microseconds.
MODE "once": start, initialize, one call, exit (the whole process is timed from outside).
MODE "big": N calls of wire.py's big(mb=WARM) (a result of WARM MiB); prints the median ms per call.
"""
import json
import subprocess
import sys
import time

from timing import time_calls


def main():
    mode, n, warm = sys.argv[1], int(sys.argv[2]), int(float(sys.argv[3]))
    cmd = sys.argv[sys.argv.index("--") + 1:]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    ids = iter(range(1, 1 << 30))

    def request(method, params):
        rid = next(ids)
        proc.stdin.write(json.dumps({"jsonrpc": "2.0", "id": rid, "method": method, "params": params}).encode() + b"\n")
        proc.stdin.flush()
        while True:
            msg = json.loads(proc.stdout.readline())
            if msg.get("id") == rid:
                return msg

    request("initialize", {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "floor", "version": "1"}})
    proc.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
    proc.stdin.flush()
    echo = {"name": "echo", "arguments": {"message": "hi"}}
    if mode == "big":
        big = {"name": "big", "arguments": {"mb": float(sys.argv[3])}}
        request("tools/call", big)
        times = []
        for _ in range(n):
            t0 = time.perf_counter()
            msg = request("tools/call", big)
            text = msg["result"]["content"][0]["text"]
            times.append((time.perf_counter() - t0) * 1000)
            assert len(text) == int(float(sys.argv[3]) * 1024 * 1024)
        times.sort()
        print(json.dumps({"median_ms": times[len(times) // 2]}))
    elif mode == "once":
        request("tools/call", echo)
    else:
        time_calls(lambda: request("tools/call", echo), n, warm)
    proc.stdin.close()
    proc.terminate()
    proc.wait()


main()
