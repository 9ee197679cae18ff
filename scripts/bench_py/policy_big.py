"""Runs under `orch run` against tests/fixtures/servers/wire.py: time per call of a result of MB MiB.

Args: MB N. Prints "D <ms per call>" when done, then waits a moment so the driver can read orch's
peak memory (VmHWM) while the run is still live.
"""
import sys
import time

from orch_runtime import call_tool

mb, n = float(sys.argv[1]), int(sys.argv[2])
call_tool("w", "big", {"mb": mb})
times = []
for _ in range(n):
    t0 = time.perf_counter()
    r = call_tool("w", "big", {"mb": mb})
    times.append(time.perf_counter() - t0)
    assert len(r) == int(mb * 1024 * 1024)
times.sort()
print("D %.3f" % (times[len(times) // 2] * 1000), flush=True)
time.sleep(0.5)
