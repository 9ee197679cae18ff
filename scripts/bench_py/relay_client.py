"""The architecture floor: Python -> Unix-socket HTTP/1.1 keep-alive -> the C relay -> the server's stdio.

Usage: python3 relay_client.py RELAY_BIN N WARM -- COMMAND...
Warms up, then times N echo calls one by one; prints JSON with per-call microseconds.
"""
import json
import os
import socket
import subprocess
import sys
import tempfile

from timing import time_calls


def main():
    relay, n, warm = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    cmd = sys.argv[sys.argv.index("--") + 1:]
    path = os.path.join(tempfile.mkdtemp(prefix="orch-relay-"), "relay.sock")
    proc = subprocess.Popen([relay, path, "--"] + cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    proc.stdout.readline()  # "ready"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(path)
    buf = bytearray()
    ids = iter(range(1, 1 << 30))

    def post(body):
        sock.sendall(b"POST /call_tool HTTP/1.1\r\nHost: relay\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(body) + body)
        while True:
            end = buf.find(b"\r\n\r\n")
            if end >= 0:
                head = bytes(buf[:end]).lower()
                i = head.find(b"content-length:")
                length = int(head[i + 15:].split(b"\r\n", 1)[0]) if i >= 0 else 0
                if len(buf) >= end + 4 + length:
                    answer = bytes(buf[end + 4:end + 4 + length])
                    del buf[:end + 4 + length]
                    return answer
            chunk = sock.recv(65536)
            if not chunk:
                raise RuntimeError("relay closed")
            buf.extend(chunk)

    def request(method, params):
        return json.loads(post(json.dumps({"jsonrpc": "2.0", "id": next(ids), "method": method, "params": params}).encode()))

    request("initialize", {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "relay", "version": "1"}})
    post(b'{"jsonrpc":"2.0","method":"notifications/initialized"}')
    echo = {"name": "echo", "arguments": {"message": "hi"}}
    time_calls(lambda: request("tools/call", echo), n, warm)
    sock.close()
    proc.wait()


main()
