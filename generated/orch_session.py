"""orch sessions: state that carries from one policy call to the next.

Two forms, both started by ``orch_bootstrap.py``:

``serve(module, bootstrap)``: a session worker (``orch serve``,
``execute_composed_code(..., session_id=..., persistent=True)``). The
process lives across calls and keeps its namespace as it is: variables,
functions, classes, imported modules, open files, threads. Each call is one
JSON line on stdin::

    {"code": str, "path": str, "token": str, "run_id": str, "nonce": str}

The call runs with its own run token (its own scope, budget and abort in
orch). When it ends, the worker writes ``\\0orch-end:NONCE:{json}\\n`` on
stdout (``returncode``, ``session_vars``, ``rss_kb``) and
``\\0orch-end:NONCE\\n`` on stderr, after everything the call printed. The
control pipe is moved off fd 0 first, so ``input()`` in a policy reads
nothing, as in any run.

``run_with_snapshot(module, code, path, run)``: ``orch run --session NAME``,
where each call is a new orch process. Before the policy runs, the snapshot
``path`` (if any) is loaded into the namespace; after it, what can be kept
is written to ``path + ".out"``: data that pickles, modules (re-imported by
name), and functions defined by the policy (their code; not closures). What
cannot be kept is named on stderr.
"""

import json
import os
import sys

# ---------------------------------------------------------------- shared


def user_names(ns, baseline):
    """Names the policy defined: not dunders, not ``_private``, not the preamble or API."""
    return sorted(n for n in ns if not n.startswith("_") and (n not in baseline or ns[n] is not baseline[n]))


def _rss_kb():
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        return pages * (os.sysconf("SC_PAGE_SIZE") // 1024)
    except (OSError, ValueError, IndexError, AttributeError):
        return None


# ---------------------------------------------------------------- the worker


def _cache_source(path, text):
    import linecache

    linecache.cache[path] = (len(text), None, text.splitlines(True), path)


def _one_call(module, boot, baseline, req):
    import orch_runtime

    os.environ["ORCH_RUN_TOKEN"] = req.get("token", "")
    os.environ["ORCH_RUN_ID"] = req.get("run_id", "")
    orch_runtime._reset()  # a new token; no connection, settings or abort of the call before
    path = req.get("path") or "<session>"
    source = req.get("code", "").encode("utf-8")
    compiled = boot._compile_or_report(source, path)
    if not isinstance(compiled, tuple):
        return compiled
    code, source = compiled
    _cache_source(path, source.decode("utf-8-sig", "replace"))
    try:
        return boot._run(module, code)
    except SystemExit as e:  # sys.exit() ends the call, not the session
        if e.code is None:
            return 0
        if isinstance(e.code, int):
            return e.code & 0xFF
        boot._err(str(e.code))
        return 1


def serve(module, boot):
    """Run calls from the control pipe until it closes; return the exit status."""
    control = os.fdopen(os.dup(0), "rb", buffering=0)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    ns = module.__dict__
    baseline = dict(ns)
    reader = _LineReader(control)
    while True:
        try:
            line = reader.readline()
        except KeyboardInterrupt:  # orch interrupts only calls; between them it ends the session
            return 130
        if not line:
            return 0
        try:
            req = json.loads(line)
        except ValueError:
            boot._err("orch: session worker got a bad request line")
            return 2
        nonce = str(req.get("nonce", ""))
        try:
            status = _one_call(module, boot, baseline, req)
        except KeyboardInterrupt:
            boot._err("KeyboardInterrupt")
            status = 130
        try:
            end = {"returncode": status, "session_vars": user_names(ns, baseline), "rss_kb": _rss_kb()}
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except (OSError, ValueError):
                    pass
            _write_all(1, b"\0orch-end:" + nonce.encode("ascii", "replace") + b":" + json.dumps(end).encode() + b"\n")
            _write_all(2, b"\0orch-end:" + nonce.encode("ascii", "replace") + b"\n")
        except KeyboardInterrupt:
            return 130


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


class _LineReader(object):
    """Reads whole lines from an unbuffered pipe."""

    def __init__(self, f):
        self.f = f
        self.buf = b""

    def readline(self):
        while b"\n" not in self.buf:
            chunk = self.f.read(65536)
            if not chunk:
                line, self.buf = self.buf, b""
                return line
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        return line


# ---------------------------------------------------------------- snapshots (orch run --session)

_FORMAT = 1


def _load(ns, path):
    """Restore a snapshot into ``ns``; returns (restored names, [(name, why)] not restored)."""
    import importlib
    import marshal
    import pickle
    import types

    with open(path, "rb") as f:
        snap = pickle.load(f)
    if not isinstance(snap, dict) or snap.get("format") != _FORMAT:
        return [], [("*", "snapshot written by another orch version")]
    restored, failed = [], []
    for name, modname in snap.get("modules", {}).items():
        try:
            ns[name] = importlib.import_module(modname)
            restored.append(name)
        except Exception as e:
            failed.append((name, "import %s: %s" % (modname, e)))
    same_python = tuple(snap.get("python", ())) == tuple(sys.version_info[:2])
    for name, (code, defaults, kwdefaults, doc) in snap.get("functions", {}).items():
        if not same_python:
            failed.append((name, "function saved by Python %s" % ".".join(map(str, snap.get("python", ())))))
            continue
        try:
            fn = types.FunctionType(marshal.loads(code), ns, name, pickle.loads(defaults))
            fn.__kwdefaults__ = pickle.loads(kwdefaults)
            fn.__doc__ = doc
            ns[name] = fn
            restored.append(name)
        except Exception as e:
            failed.append((name, str(e)))
    for name, blob in snap.get("data", {}).items():
        try:
            ns[name] = pickle.loads(blob)
            restored.append(name)
        except Exception as e:
            failed.append((name, "%s: %s" % (type(e).__name__, e)))
    return restored, failed


def _dump(ns, baseline, path, limit):
    """Write what of ``ns`` can be kept; returns (kept names, [(name, why)] not kept)."""
    import marshal
    import pickle
    import types

    snap = {"format": _FORMAT, "python": list(sys.version_info[:2]), "modules": {}, "functions": {}, "data": {}}
    kept, dropped = [], []
    main_name = ns.get("__name__")
    for name in user_names(ns, baseline):
        value = ns[name]
        try:
            if isinstance(value, types.ModuleType):
                snap["modules"][name] = value.__name__
            elif isinstance(value, types.FunctionType) and value.__module__ == main_name:
                if value.__closure__:
                    raise TypeError("a closure (it uses variables of an enclosing function)")
                snap["functions"][name] = (marshal.dumps(value.__code__), pickle.dumps(value.__defaults__),
                                           pickle.dumps(value.__kwdefaults__), value.__doc__)
            elif isinstance(value, type) and value.__module__ == main_name:
                raise TypeError("a class defined in a policy (define it again in the next call)")
            else:
                snap["data"][name] = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
            kept.append(name)
        except Exception as e:
            why = str(e) if isinstance(e, TypeError) and str(e).startswith("a ") else "%s: %s" % (
                type(e).__name__, e)
            dropped.append((name, "%s (%s)" % (type(value).__name__, why)))
    blob = pickle.dumps(snap, protocol=pickle.HIGHEST_PROTOCOL)
    if limit and len(blob) > limit:
        return [], [("*", "snapshot of %d bytes is over the session limit of %d" % (len(blob), limit))]
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(blob)
    os.replace(tmp, path)
    return kept, dropped


def _describe(items):
    return ", ".join("%s: %s" % (name, why) if name != "*" else why for name, why in items)


def run_with_snapshot(module, code, path, run):
    """Load the snapshot at ``path``, run the policy, save a new one to ``path + '.out'``."""
    ns = module.__dict__
    baseline = dict(ns)
    name = os.environ.pop("ORCH_SESSION_NAME", "") or "session"
    limit = int(os.environ.pop("ORCH_SESSION_MAX_BYTES", "0") or 0)
    if os.path.exists(path):
        try:
            restored, failed = _load(ns, path)
        except Exception as e:
            restored, failed = [], [("*", "cannot read the snapshot: %s" % e)]
        sys.stderr.write("orch: session %s: restored %d name%s%s\n" % (
            name, len(restored), "" if len(restored) == 1 else "s",
            "; not restored: " + _describe(failed) if failed else ""))
        # Restored names are the policy's, not the baseline's.
        for n in restored:
            baseline.pop(n, None)
    try:
        status = run(module, code)
    except SystemExit:
        _save(ns, baseline, path, limit, name)
        raise
    if status == 130:  # interrupted: orch keeps the snapshot from before this run
        return status
    _save(ns, baseline, path, limit, name)
    return status


def _save(ns, baseline, path, limit, name):
    try:
        kept, dropped = _dump(ns, baseline, path + ".out", limit)
    except Exception as e:
        kept, dropped = [], [("*", "cannot save: %s" % e)]
    sys.stderr.write("orch: session %s: saved %d name%s%s\n" % (
        name, len(kept), "" if len(kept) == 1 else "s", "; not kept: " + _describe(dropped) if dropped else ""))
