"""The stdio transport: newline-delimited JSON-RPC on a private copy of fd 1."""

from __future__ import annotations

import logging
import os
import sys
import threading

from .base import logger
from .session import encode_message

class _StdioChannel:
    """Owns the protocol stream: a private copy of fd 1; fd 1 itself then points at stderr."""

    def __init__(self):
        try:
            sys.stdout.flush()
        except Exception:
            pass
        self.fd = os.dup(1)
        os.dup2(2, 1)  # stray writes to stdout (print, C code, children) go to stderr
        sys.stdout = sys.stderr
        self.lock = threading.Lock()
        self.broken = False

    def send(self, msg) -> None:
        data = encode_message(msg) + b"\n"
        with self.lock:
            if self.broken:
                return
            try:
                view = memoryview(data)
                while view:
                    n = os.write(self.fd, view)
                    view = view[n:]
            except OSError as e:  # the client went away
                self.broken = True
                logger.info("mcp_lite: stdout closed (%s)", e)

    def send_raw(self, data: bytes) -> None:
        """Writes bytes as they are (test fixtures use this to emit garbage)."""
        with self.lock:
            os.write(self.fd, data)


def _configure_logging(level: str) -> None:
    if not logging.getLogger().handlers and not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
        logger.propagate = False
    logger.setLevel(getattr(logging, str(level).upper(), logging.INFO))
