"""Runs under `orch run`: per-call round trip policy -> orch -> server -> policy, and throughput.

Args: N WARM THREADS CLIENT   (CLIENT: orch | requests | urllib; the last two are seed-style clients
that POST to the shim per call without a session, as the seed's generated API did)
"""
import json
import os
import sys
import threading
import time

n, warm, threads, client = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]

if client == "orch":
    def call():
        everything__echo(message="hi")  # noqa: F821 (generated API)
else:
    url = os.environ["ORCH_IPC_URL"] + "/call_tool"
    headers = {"Authorization": "Bearer " + os.environ["ORCH_RUN_TOKEN"], "Content-Type": "application/json"}
    body = {"server": "everything", "tool": "echo", "arguments": {"message": "hi"}}
    if client == "requests":
        import requests

        def call():
            requests.post(url, json=body, headers=headers, timeout=300).json()
    else:
        import urllib.request

        data = json.dumps(body).encode()

        def call():
            req = urllib.request.Request(url, data=data, headers=headers, method="POST")
            with urllib.request.urlopen(req, timeout=300) as r:
                json.loads(r.read())

for _ in range(warm):
    call()

if threads == 1:
    times = []
    t_start = time.perf_counter()
    for _ in range(n):
        t0 = time.perf_counter()
        call()
        times.append((time.perf_counter() - t0) * 1e6)
    wall = time.perf_counter() - t_start
    times.sort()
    print(json.dumps({"median_us": times[len(times) // 2], "p90_us": times[int(len(times) * 0.9)], "calls_per_s": n / wall}))
else:
    per = n // threads

    def worker():
        for _ in range(per):
            call()

    ts = [threading.Thread(target=worker) for _ in range(threads)]
    t_start = time.perf_counter()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    wall = time.perf_counter() - t_start
    print(json.dumps({"calls_per_s": per * threads / wall}))
