"""orch policy runtime: the HTTP/1.1 connection orch_runtime.py speaks to orch's shim on.

Copied beside ``orch_runtime.py``, which imports it; Python >= 3.8, standard
library only. One ``_Conn`` is one keep-alive connection (Unix socket or TCP)
owned by one thread, written on ``socket`` because ``http.client`` costs
~100 us more per call. It frames requests and answers only: what a broken
connection or an answer means for the policy is orch_runtime.py's business.
"""

import select
import socket
import weakref

_conns = weakref.WeakSet()  # every open connection, to close them on orch_runtime._reset() and after fork()


def _close_all():
    for conn in list(_conns):
        conn.close()


def _after_fork():
    # The child's copies of the descriptors are closed; the parent's stay open.
    global _conns
    _close_all()
    _conns = weakref.WeakSet()


class _Closed(Exception):
    """The server closed the connection; ``got`` is how many answer bytes came."""

    def __init__(self, got):
        Exception.__init__(self)
        self.got = got


class _SendFailed(Exception):
    """The request could not be sent whole, so the server cannot have run it."""

    def __init__(self, err):
        Exception.__init__(self)
        self.err = err


class _ProtocolError(Exception):
    pass


_RECV = 65536
_MAX_HEAD = 65536
_HAS_POLL = hasattr(select, "poll")


class _Conn(object):
    """One keep-alive connection, owned by one thread."""

    __slots__ = ("sock", "buf", "poll", "timeout", "__weakref__")

    def __init__(self, s):
        if s.unix_path:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(s.unix_path)
            except BaseException:
                sock.close()
                raise
        else:
            sock = socket.create_connection((s.host, s.port))
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = sock
        self.buf = b""
        self.timeout = None
        if _HAS_POLL:
            self.poll = select.poll()
            self.poll.register(sock, select.POLLIN)
        else:  # pragma: no cover - platforms without poll()
            self.poll = None
        _conns.add(self)

    def close(self):
        try:
            self.sock.close()
        except (OSError, AttributeError):  # AttributeError: __init__ failed to connect
            pass

    # A thread's connection goes when the thread does: close it quietly.
    __del__ = close

    def idle_ok(self):
        """True when the server has neither closed nor written to this idle connection."""
        if self.buf:
            return False
        try:
            if self.poll is not None:
                return not self.poll.poll(0)
            r, _, _ = select.select([self.sock], [], [], 0)  # pragma: no cover
            return not r  # pragma: no cover
        except (OSError, ValueError):  # closed under us
            return False

    def exchange(self, request, timeout):
        """Send one request, return ``(status, body, keep_alive)``."""
        sock = self.sock
        if timeout != self.timeout:
            sock.settimeout(timeout)
            self.timeout = timeout
        try:
            sock.sendall(request)
        except (BrokenPipeError, ConnectionResetError) as e:
            # Either the server had closed this connection before we sent
            # (it never saw the request), or it answered early without
            # reading it all (e.g. 413 for a big body) and closed.
            try:
                status, body, _ = self.read_answer()
            except Exception:
                raise _SendFailed(e) from None
            return status, body, False
        return self.read_answer()

    def read_answer(self):
        """Read one answer: ``(status, body, keep_alive)``."""
        sock = self.sock
        # Fast path: the whole answer usually arrives in the first recv.
        try:
            data = sock.recv(_RECV)
        except ConnectionResetError:
            data = b""
        if not data:
            raise _Closed(0)
        end = data.find(b"\r\n\r\n")
        while end < 0:
            if len(data) > _MAX_HEAD:
                raise _ProtocolError("answer head larger than %d bytes" % _MAX_HEAD)
            more = self._recv()
            data += more
            end = data.find(b"\r\n\r\n", max(0, len(data) - len(more) - 3))
        head = data[:end]
        self.buf = data[end + 4:]
        if head[:7] != b"HTTP/1." or len(head) < 12:
            raise _ProtocolError("not an HTTP/1.x answer: %r" % head[:80])
        try:
            status = int(head[9:12])
        except ValueError:
            raise _ProtocolError("bad status line: %r" % head.split(b"\r\n", 1)[0]) from None
        length = None
        chunked = False
        keep_alive = head[5:8] == b"1.1"
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                try:
                    length = int(value)
                except ValueError:
                    raise _ProtocolError("bad Content-Length: %r" % value) from None
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif name == b"connection":
                value = value.lower()
                if b"close" in value:
                    keep_alive = False
                elif b"keep-alive" in value:
                    keep_alive = True
        if status == 204 or status == 304 or status < 200:
            body = b""
        elif chunked:
            body = self._read_chunked()
        elif length is not None:
            body = self._read_exact(length)
        else:  # the body runs to EOF
            body = self._read_to_eof()
            keep_alive = False
        if self.buf:  # bytes nobody asked for: do not trust this connection
            keep_alive = False
        return status, body, keep_alive

    def _recv(self):
        try:
            more = self.sock.recv(_RECV)
        except ConnectionResetError:
            more = b""
        if not more:
            raise _Closed(1)
        return more

    def _read_exact(self, n):
        buf = self.buf
        have = len(buf)
        if have >= n:
            self.buf = buf[n:]
            return buf[:n] if have > n else buf
        out = bytearray(n)
        out[:have] = buf
        self.buf = b""
        view = memoryview(out)
        recv_into = self.sock.recv_into
        while have < n:
            try:
                k = recv_into(view[have:], min(n - have, 1 << 20))
            except ConnectionResetError:
                k = 0
            if not k:
                raise _Closed(1)
            have += k
        view.release()
        return out

    def _read_to_eof(self):
        parts = [self.buf]
        self.buf = b""
        while True:
            try:
                more = self.sock.recv(_RECV)
            except ConnectionResetError:
                more = b""
            if not more:
                return b"".join(parts)
            parts.append(more)

    def _read_chunked(self):
        buf = bytearray(self.buf)
        self.buf = b""
        out = bytearray()
        trailer = False
        while True:
            i = buf.find(b"\r\n")
            while i < 0:
                if len(buf) > _MAX_HEAD:
                    raise _ProtocolError("chunk size line too long")
                buf += self._recv()
                i = buf.find(b"\r\n")
            line = bytes(buf[:i])
            del buf[:i + 2]
            if trailer:
                if not line:  # the empty line after the trailers ends the body
                    self.buf = bytes(buf)
                    return out
                continue
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise _ProtocolError("bad chunk size line: %r" % line[:80]) from None
            if size == 0:
                trailer = True
                continue
            need = size + 2
            while len(buf) < need:
                buf += self._recv()
            if buf[size:need] != b"\r\n":
                raise _ProtocolError("chunk not followed by CRLF")
            out += buf[:size]
            del buf[:need]
