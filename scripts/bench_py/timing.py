"""Timing shared by the bench's Python clients (raw_floor.py, relay_client.py)."""
import json
import time


def time_calls(call, n, warm):
    """Warms up, times `n` calls one by one, and prints their median and p90 in microseconds as JSON."""
    for _ in range(warm):
        call()
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        call()
        times.append((time.perf_counter() - t0) * 1e6)
    times.sort()
    print(json.dumps({"median_us": times[len(times) // 2], "p90_us": times[int(len(times) * 0.9)]}))
