"""orch policy runtime: how generated tool functions reach orch.

Copied beside the generated ``unified_api.py``. Python >= 3.8, standard
library only, so a robot needs nothing installed.

Contract (orch's IPC shim; docs/ARCHITECTURE.md "The shim's answers")
-------------------------------------------------------------------
Environment of the policy process:

- ``ORCH_IPC_SOCKET``: path of the shim's Unix socket (preferred), or
  ``ORCH_IPC_URL``: ``http://127.0.0.1:PORT`` (TCP fallback).
- ``ORCH_RUN_TOKEN``: bearer token of this run.
- ``ORCH_RUN_ID``, ``ORCH_OUTPUT_DIR`` (where a policy may save files).
- ``ORCH_CALL_TIMEOUT``: default seconds to wait for one answer (optional;
  unset or 0 means wait as long as orch takes).

``POST /call_tool`` with ``{"server", "tool", "arguments"}``; the answer is
always JSON:

- 200 ``{"success": true, "content", "structuredContent"?}`` (the result sent once; a text item is decoded here):
  returned as a Python value (see ``call_tool``).
- 200 ``{"success": false, "isError": true, "error", "content"}``: ``ToolError``.
- 403 ``{"denied": true, "error"}``: ``ToolDenied`` (scope, budget, guard).
- 409 ``{"aborted": true, "error": "[ABORTED] ..."}``, or any error text
  starting with ``[ABORTED]``: ``PolicyAborted``. It derives from
  ``BaseException`` so ``except Exception:`` in a policy cannot swallow an
  abort, and it is sticky: every later call raises it again at once.
- anything else (400, 401, 404, 413, 5xx): ``OrchError``.
- orch unreachable (socket gone, connection refused): ``PolicyAborted``,
  since the run is over when orch is.

``GET /list_tools`` answers ``{"success": true, "servers": {...}}``.

Transport: one persistent HTTP/1.1 keep-alive connection per thread, spoken
by a small client written on ``socket`` (``http.client`` costs ~100 us more
per call). A connection the server closed while idle is noticed before
sending and replaced. A call is never sent twice: when a connection breaks
after the request went out, the call may have run, so it fails instead.
"""

import base64
import errno
import itertools
import json
import os
import socket
import threading
from queue import SimpleQueue

import orch_http
from orch_http import _Closed, _Conn, _ProtocolError, _SendFailed

__all__ = [
    "call_tool",
    "list_tools",
    "parallel",
    "gather",
    "Image",
    "Audio",
    "OrchError",
    "ToolError",
    "ToolDenied",
    "PolicyAborted",
]


# ---------------------------------------------------------------- errors


class OrchError(Exception):
    """A call orch could not carry out (bad request, unknown tool, 5xx...)."""

    def __init__(self, message, server=None, tool=None, status=None):
        super().__init__(message)
        self.message = message
        self.server = server
        self.tool = tool
        self.status = status


class ToolError(OrchError):
    """The tool ran and reported an error (MCP ``isError: true``)."""

    def __init__(self, server, tool, message, content=None):
        super().__init__("%s.%s failed: %s" % (server, tool, message), server, tool, 200)
        self.message = message
        self.content = content if content is not None else []

    def __reduce__(self):
        return (type(self), (self.server, self.tool, self.message, self.content))


class ToolDenied(OrchError):
    """The run's scope refused the call (not allowed, budget spent, guard)."""

    def __init__(self, server, tool, reason):
        super().__init__("%s.%s denied: %s" % (server, tool, reason), server, tool, 403)
        self.message = reason
        self.reason = reason

    def __reduce__(self):
        return (type(self), (self.server, self.tool, self.reason))


class PolicyAborted(BaseException):
    """The run was aborted (user, timeout, cancel) or orch went away.

    A BaseException, like KeyboardInterrupt, so ``except Exception:`` does
    not swallow it.
    """

    def __init__(self, message="[ABORTED]"):
        message = str(message)
        if not message.startswith("[ABORTED]"):
            message = "[ABORTED] " + message
        super().__init__(message)
        self.message = message


# ---------------------------------------------------------------- media


class _Media(object):
    __slots__ = ("mime_type", "_b64", "_data")
    _kind = "media"
    #: True for an image the MCP client dropped on the way (``DroppedImage``).
    dropped = False
    _default_ext = ".bin"

    def __init__(self, data=None, mime_type="application/octet-stream", b64=None):
        if data is not None and not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError("%s data must be bytes, not %s" % (type(self).__name__, type(data).__name__))
        if data is None and b64 is None:
            data = b""
        self._data = bytes(data) if data is not None else None
        self._b64 = b64
        self.mime_type = mime_type or "application/octet-stream"

    @classmethod
    def from_base64(cls, b64, mime_type):
        return cls(None, mime_type, b64 or "")

    @property
    def data(self):
        """The raw bytes (decoded from base64 on first use)."""
        if self._data is None:
            self._data = base64.b64decode(self._b64)
            self._b64 = None
        return self._data

    @property
    def base64(self):
        """The data as a base64 string, as MCP carries it."""
        if self._b64 is not None:
            return self._b64
        return base64.b64encode(self._data).decode("ascii")

    @property
    def size(self):
        """Length of the data in bytes."""
        return len(self.data)

    def __eq__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        return self.mime_type == other.mime_type and self.data == other.data

    __hash__ = None

    def _extension(self):
        sub = self.mime_type.split(";", 1)[0].split("/", 1)[-1].strip().lower()
        sub = {"jpeg": "jpg", "svg+xml": "svg", "mpeg": "mp3", "x-wav": "wav", "wave": "wav"}.get(sub, sub)
        if sub and sub.replace("-", "").replace(".", "").isalnum():
            return "." + sub
        return self._default_ext

    def save(self, path=None):
        """Write the data to ``path`` and return its absolute path.

        Without a path, the file gets a fresh name like ``image-1.png`` in
        ``$ORCH_OUTPUT_DIR`` (or the working directory). Parent directories
        are created.
        """
        if path is None:
            folder = os.environ.get("ORCH_OUTPUT_DIR") or os.getcwd()
            ext = self._extension()
            n = 1
            while True:
                path = os.path.join(folder, "%s-%d%s" % (self._kind, n, ext))
                if not os.path.exists(path):
                    break
                n += 1
        path = os.path.abspath(os.fspath(path))
        parent = os.path.dirname(path)
        if parent:
            os.makedirs(parent, exist_ok=True)
        with open(path, "wb") as f:
            f.write(self.data)
        return path

    def to_dict(self):
        """The MCP content item this object came from."""
        return {"type": self._kind, "data": self.base64, "mimeType": self.mime_type}

    def __repr__(self):
        if self._data is not None:
            n = len(self._data)
        else:  # size without decoding
            b = self._b64
            n = len(b) * 3 // 4 - (b[-2:].count("=") if b else 0)
        return "<%s %s, %s bytes>" % (type(self).__name__, self.mime_type, format(n, ","))


class Image(_Media):
    """An image a tool returned: ``.data`` (bytes), ``.mime_type``, ``.save(path)``."""

    __slots__ = ()
    _kind = "image"
    _default_ext = ".img"


class DroppedImage(Image):
    """An image the MCP client did not pass on (hybrid mode: it sends text only).

    ``.mime_type`` is known and ``.dropped`` is True; ``.data``, ``.base64``,
    ``.size`` and ``.save()`` raise ``OrchError`` saying why.
    """

    __slots__ = ("reason",)
    dropped = True

    def __init__(self, mime_type, reason):
        super().__init__(b"", mime_type)
        self.reason = reason

    def _refuse(self):
        raise OrchError("%s image: %s" % (self.mime_type, self.reason))

    data = property(lambda self: self._refuse())
    base64 = property(lambda self: self._refuse())
    size = property(lambda self: self._refuse())

    def save(self, path=None):
        self._refuse()

    def to_dict(self):
        return {"type": "image", "data": "", "mimeType": self.mime_type, "_meta": {"orch/dropped": self.reason}}

    def __eq__(self, other):
        return self is other

    __hash__ = object.__hash__

    def __repr__(self):
        return "<DroppedImage %s: %s>" % (self.mime_type, self.reason)


class Audio(_Media):
    """Audio a tool returned: ``.data`` (bytes), ``.mime_type``, ``.save(path)``."""

    __slots__ = ()
    _kind = "audio"
    _default_ext = ".audio"


# ---------------------------------------------------------------- settings


class _Settings(object):
    __slots__ = ("unix_path", "host", "port", "auth", "timeout", "where", "call_line", "list_line")


_settings = None
_settings_lock = threading.Lock()
_aborted = None  # the PolicyAborted message once the run is over
_local = threading.local()  # .conn: this thread's connection


def _load_settings():
    global _settings
    with _settings_lock:
        if _settings is not None:
            return _settings
        env = os.environ
        s = _Settings()
        s.unix_path = env.get("ORCH_IPC_SOCKET") or None
        s.host, s.port, prefix = None, None, b""
        if s.unix_path:
            s.where = s.unix_path
        else:
            url = env.get("ORCH_IPC_URL")
            if not url:
                raise OrchError("neither ORCH_IPC_SOCKET nor ORCH_IPC_URL is set: run this policy with `orch run`")
            s.host, s.port, prefix = _parse_url(url)
            s.where = url
        token = env.get("ORCH_RUN_TOKEN", "")
        s.auth = ("Authorization: Bearer %s\r\n" % token).encode("latin-1") if token else b""
        s.timeout = _parse_timeout(env.get("ORCH_CALL_TIMEOUT"))
        s.call_line = b"POST " + prefix + b"/call_tool HTTP/1.1\r\n"
        s.list_line = b"GET " + prefix + b"/list_tools HTTP/1.1\r\n"
        _settings = s
        return s


def _parse_url(url):
    rest = url.strip()
    if not rest.lower().startswith("http://"):
        raise OrchError("ORCH_IPC_URL must look like http://127.0.0.1:PORT, got %r" % url)
    hostport, slash, path = rest[7:].partition("/")
    if hostport.startswith("["):
        host, _, port = hostport[1:].partition("]")
        port = port.lstrip(":")
    else:
        host, _, port = hostport.rpartition(":")
    try:
        port = int(port)
    except ValueError:
        raise OrchError("ORCH_IPC_URL has no port: %r" % url) from None
    prefix = ("/" + path).rstrip("/") if slash else ""
    return host or "127.0.0.1", port, prefix.encode("latin-1")


def _parse_timeout(value):
    if value is None or str(value).strip() == "":
        return None
    try:
        t = float(value)
    except ValueError:
        raise OrchError("ORCH_CALL_TIMEOUT must be a number of seconds, got %r" % value) from None
    return t if t > 0 else None


def _reset():
    """Forget settings, connections and a past abort (tests)."""
    global _settings, _aborted, _local
    orch_http._close_all()
    _settings = None
    _aborted = None
    _local = threading.local()


def _after_fork():
    # A forked child must not talk on its parent's sockets (nor wait on a
    # lock some other parent thread held): start from nothing.
    global _local, _idle, _idle_lock, _settings_lock
    orch_http._after_fork()
    _local = threading.local()
    _idle = []
    _idle_lock = threading.Lock()
    _settings_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


# ---------------------------------------------------------------- HTTP/1.1 (the connection: orch_http.py)


def _exchange(s, line, body, timeout, server, tool):
    """One request on this thread's connection; returns ``(status, body)``."""
    if body is None:
        request = b"".join((line, b"Host: localhost\r\n", s.auth, b"\r\n"))
    else:
        request = b"".join((
            line,
            b"Host: localhost\r\n",
            s.auth,
            b"Content-Type: application/json\r\nContent-Length: ",
            str(len(body)).encode("ascii"),
            b"\r\n\r\n",
            body,
        ))
    if timeout is None:
        timeout = s.timeout
    elif timeout <= 0:
        timeout = None
    loc = _local
    conn = getattr(loc, "conn", None)
    if conn is not None and not conn.idle_ok():
        # Closed by the server while idle (or it sent something unasked):
        # nothing was sent on it yet, so a new connection is safe.
        conn.close()
        conn = None
    reused = conn is not None
    while True:
        if conn is None:
            try:
                conn = _Conn(s)
            except OSError as e:
                loc.conn = None
                _went_away(s, e)
        loc.conn = conn
        try:
            status, answer, keep = conn.exchange(request, timeout)
        except _SendFailed as e:
            conn.close()
            conn = loc.conn = None
            if reused:
                reused = False  # the server never got it: send once more, on a new connection
                continue
            _probe(s)
            raise OrchError(
                "%s: orch closed the connection while the request was being sent (%s); it did not run"
                % (_what(server, tool), e.err.strerror or e.err),
                server, tool,
            ) from None
        except _Closed as e:
            conn.close()
            loc.conn = None
            _broken_mid_call(s, e.got, server, tool)
        except socket.timeout:
            conn.close()
            loc.conn = None
            raise OrchError(
                "%s: no answer from orch within %gs (the call may still be running)" % (_what(server, tool), timeout),
                server, tool,
            ) from None
        except _ProtocolError as e:
            conn.close()
            loc.conn = None
            raise OrchError("%s: bad answer from orch: %s" % (_what(server, tool), e), server, tool) from None
        except OSError as e:
            conn.close()
            loc.conn = None
            _probe(s)
            raise OrchError(
                "%s: connection to orch failed mid-call (%s); the call may have run and was not retried"
                % (_what(server, tool), e.strerror or e),
                server, tool,
            ) from None
        except BaseException:
            # e.g. KeyboardInterrupt mid-call: the answer is unread, the
            # connection unusable.
            conn.close()
            loc.conn = None
            raise
        if not keep:
            conn.close()
            loc.conn = None
        return status, answer


def _what(server, tool):
    return "%s.%s" % (server, tool) if server is not None else tool


_GONE = frozenset(getattr(errno, name) for name in (
    "ENOENT", "ECONNREFUSED", "ECONNRESET", "ECONNABORTED", "EPIPE", "ENOTCONN") if hasattr(errno, name))


def _went_away(s, err):
    """Raise PolicyAborted when orch is gone, else OrchError (e.g. out of file descriptors)."""
    global _aborted
    reason = getattr(err, "strerror", None) or err
    if getattr(err, "errno", None) not in _GONE:
        raise OrchError("cannot connect to orch at %s (%s)" % (s.where, reason)) from None
    msg = "[ABORTED] orch went away: cannot reach %s (%s)" % (s.where, reason)
    _aborted = msg
    raise PolicyAborted(msg) from None


def _probe(s):
    """Raise PolicyAborted if orch no longer accepts connections."""
    try:
        probe = _Conn(s)
    except OSError as e:
        _went_away(s, e)
    probe.close()


def _broken_mid_call(s, got, server, tool):
    # The request went out, then the connection closed without a full
    # answer: the tool may have run, so it is not sent again. If orch is
    # gone altogether, the run is over.
    _probe(s)
    raise OrchError(
        "%s: orch closed the connection %s; the call may have run and was not retried"
        % (_what(server, tool), "in the middle of its answer" if got else "before answering"),
        server, tool,
    ) from None


# ---------------------------------------------------------------- results


def _json_default(obj):
    tolist = getattr(obj, "tolist", None)  # numpy arrays and scalars
    if tolist is not None and callable(tolist):
        return tolist()
    if isinstance(obj, (set, frozenset)):
        return list(obj)
    if isinstance(obj, _Media):
        return obj.to_dict()
    if hasattr(obj, "__fspath__"):
        return os.fspath(obj)
    fields = getattr(obj, "__dataclass_fields__", None)
    if fields is not None and not isinstance(obj, type):
        return {name: getattr(obj, name) for name in fields}
    raise TypeError("Object of type %s is not JSON serializable" % type(obj).__name__)


_encoder = json.JSONEncoder(default=_json_default, allow_nan=False)


def _no_constant(name):
    raise ValueError(name)  # NaN and Infinity are not JSON: such a text stays a string


def _decode_text(text):
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text, parse_constant=_no_constant)
    except ValueError:
        return text


def _convert_item(item):
    if not isinstance(item, dict):
        return item
    kind = item.get("type")
    if kind == "text":
        return _decode_text(item.get("text"))
    if kind == "image":
        dropped = (item.get("_meta") or {}).get("orch/dropped")
        if dropped:
            return DroppedImage(item.get("mimeType") or "image/png", dropped)
        return Image.from_base64(item.get("data"), item.get("mimeType") or "image/png")
    if kind == "audio":
        return Audio.from_base64(item.get("data"), item.get("mimeType") or "audio/wav")
    return item  # resource, resource_link, anything newer: as sent


def _result(payload, unwrap):
    sc = payload.get("structuredContent")
    if isinstance(sc, dict):
        if unwrap and len(sc) == 1 and "result" in sc:
            return sc["result"]
        return sc
    content = payload.get("content")
    if not content or not isinstance(content, list):
        return None
    if len(content) == 1:
        return _convert_item(content[0])
    return [_convert_item(item) for item in content]


def _answer(status, body, server, tool):
    """The decoded JSON answer, or the matching exception raised."""
    global _aborted
    try:
        payload = json.loads(body)
    except ValueError:
        text = bytes(body[:300]).decode("utf-8", "replace")
        raise OrchError(
            "%s: orch answered HTTP %d with a body that is not JSON: %r" % (_what(server, tool), status, text),
            server, tool, status,
        ) from None
    if not isinstance(payload, dict):
        raise OrchError("%s: orch answered HTTP %d with %s" % (_what(server, tool), status, type(payload).__name__),
                        server, tool, status)
    if 200 <= status < 300 and payload.get("success") is True:
        return payload
    error = payload.get("error")
    if error is None:
        texts = [item.get("text") for item in payload.get("content") or () if isinstance(item, dict)
                 and item.get("type") == "text" and isinstance(item.get("text"), str)]
        error = "\n".join(texts) or "HTTP %d" % status
    elif not isinstance(error, str):
        error = json.dumps(error)
    # A tool's own error text may start with "[ABORTED]" (an e-stop message): only orch's word ends the run.
    if payload.get("aborted") or (error.startswith("[ABORTED]") and not payload.get("isError")):
        e = PolicyAborted(error)
        _aborted = e.message
        raise e
    if status == 403 or payload.get("denied"):
        denied = ToolDenied(server, tool, error)
        denied.status = status
        raise denied
    # A server that crashed, hung or went away (502 "upstream") failed the call as surely as a tool error.
    if payload.get("isError") or payload.get("upstream") or (status == 200 and server is not None):
        raise ToolError(server, tool, error, payload.get("content"))
    what = _what(server, tool)
    if server is not None and what not in error:
        error = "%s: %s" % (what, error)
    raise OrchError(error, server, tool, status)


# ---------------------------------------------------------------- public API


def call_tool(server, tool, arguments=None, *, unwrap=False, timeout=None):
    """Call ``tool`` of MCP ``server`` through orch and return its result.

    The result is the tool's ``structuredContent`` dict when it has one
    (with ``unwrap=True``, ``{"result": X}`` gives ``X``); for one text item
    its JSON value or the string; for one image or audio item an ``Image``
    or ``Audio``; for several items a list of those; for no content None.

    Raises ``ToolError`` (the tool reported an error), ``ToolDenied`` (the
    run's scope refused), ``OrchError`` (anything else orch refused) and
    ``PolicyAborted`` (the run is over). ``timeout`` (seconds) overrides
    ``$ORCH_CALL_TIMEOUT`` for this call.
    """
    if _aborted is not None:
        raise PolicyAborted(_aborted)
    try:
        body = _encoder.encode({"server": server, "tool": tool, "arguments": {} if arguments is None else arguments})
    except (TypeError, ValueError) as e:
        raise type(e)("%s.%s: arguments are not JSON: %s" % (server, tool, e)) from None
    s = _settings or _load_settings()
    status, answer = _exchange(s, s.call_line, body.encode("utf-8"), timeout, server, tool)
    return _result(_answer(status, answer, server, tool), unwrap)


def list_tools():
    """The tools this run may call: ``{server: [{name, description, input_schema}]}``."""
    if _aborted is not None:
        raise PolicyAborted(_aborted)
    s = _settings or _load_settings()
    status, answer = _exchange(s, s.list_line, None, None, None, "list_tools")
    return _answer(status, answer, None, "list_tools").get("servers", {})


# ---------------------------------------------------------------- parallel

# Worker threads are kept and reused, so each keeps its own connection warm
# across parallel() calls. Every call gets workers of its own (reused or new),
# so a parallel() nested inside another cannot starve.

_MAX_WORKERS = 32
_idle = []
_idle_lock = threading.Lock()


def _worker_loop(inbox):
    while True:
        job = inbox.get()
        if job is None:
            return
        fns, results, counter, done = job
        job = None
        n = len(fns)
        while True:
            i = next(counter)
            if i >= n:
                break
            try:
                results[i] = (True, fns[i]())
            except BaseException as e:  # handed to the caller, which re-raises
                results[i] = (False, e)
        fns = results = None
        with _idle_lock:
            _idle.append(inbox)
        done.put(None)


def _worker():
    with _idle_lock:
        if _idle:
            return _idle.pop()
    inbox = SimpleQueue()
    t = threading.Thread(target=_worker_loop, args=(inbox,), name="orch-parallel", daemon=True)
    t.start()
    return inbox


def parallel(*fns):
    """Run zero-argument callables concurrently; return their results in order.

    ``parallel(lambda: a(), lambda: b())`` or ``parallel([fa, fb])``. All
    of them finish before it returns or raises. If any raised, the first in
    argument order is raised again, except that a ``PolicyAborted`` or
    ``KeyboardInterrupt`` in any of them wins.
    """
    if len(fns) == 1 and not callable(fns[0]) and not isinstance(fns[0], (str, bytes)):
        try:
            fns = tuple(fns[0])
        except TypeError:
            pass
    for i, fn in enumerate(fns):
        if not callable(fn):
            raise TypeError(
                "parallel() takes zero-argument callables (e.g. lambda: tool(...)); argument %d is %s"
                % (i + 1, type(fn).__name__)
            )
    n = len(fns)
    if n == 0:
        return []
    results = [None] * n
    done = SimpleQueue()
    counter = itertools.count()
    workers = min(n, _MAX_WORKERS)
    job = (fns, results, counter, done)
    for _ in range(workers):
        _worker().put(job)
    for _ in range(workers):
        done.get()
    first = None
    for ok, value in results:
        if ok:
            continue
        if isinstance(value, (PolicyAborted, KeyboardInterrupt)):
            first = value
            break
        if first is None:
            first = value
    if first is not None:
        try:
            raise first
        finally:
            first = None
    return [value for _, value in results]


gather = parallel
