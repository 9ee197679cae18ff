"""orch policy bootstrap: runs one policy script as orch's executor wants it.

    python3 -I orch_bootstrap.py [--check [--json]] [--source FILE] POLICY_PATH [ARGS...]

``--source FILE`` reads the policy's code from FILE (a copy orch made where a
sandboxed policy may read it) while it keeps the name POLICY_PATH everywhere
(``__file__``, ``sys.argv[0]``, tracebacks, its folder on ``sys.path``).

This file sits in the run's API directory beside ``orch_runtime.py`` and the
generated ``unified_api.py``; it puts that directory first on ``sys.path``
(``-I`` leaves it off), then the policy's own directory, so helper modules
beside the policy import as usual.

The policy runs as ``__main__`` (``__name__ == "__main__"``, ``__file__``
its path, ``sys.argv == [POLICY_PATH, *ARGS]``) in a namespace that already
holds ``from unified_api import *`` (or, without a generated API, the
runtime's names), so it works with or without that line, and the seed's
preamble: ``sys``, ``os``, ``math``, ``json``, ``datetime``, ``timedelta``,
``Dict``, ``Any``, ``List``, ``Optional``.

Hyphenated tool names (``ros-mcp-server__move_home()``) run as the
generated names (``ros_mcp_server__move_home()``), see ``orch_hyphen.py``;
``ORCH_HYPHEN_FIX=0`` or ``DISABLE_HYPHEN_FIX=1`` turns that off.

Sessions (``orch_session.py``): ``ORCH_SESSION_WORKER=1`` makes this a
session worker that runs code sent on stdin in one lasting namespace;
``ORCH_SESSION_STATE=FILE`` restores a snapshot into the namespace before
the policy runs and saves one after it.

Exit status and stderr:

- success: 0; ``sys.exit(n)``: n, as Python does it.
- syntax error: ``POLICY:LINE:COL: SyntaxError: message``, then the line
  and a caret; nothing runs; 1.
- uncaught exception: a traceback of the policy's own frames only (this
  file, the runtime and the generated API are left out; a ``ToolError``
  ends with its readable message); 1.
- ``PolicyAborted``: its ``[ABORTED] ...`` line; 130.
- ``KeyboardInterrupt`` (orch sends SIGINT on abort): ``KeyboardInterrupt``; 130.
- preflight (``orch_preflight.py`` against ``orch_catalog.json`` beside this
  file, after the hyphen fix, unless ``ORCH_PREFLIGHT=0``): every problem as
  ``POLICY:LINE:COL: call: reason``; nothing runs, no tool is called; 3
  (orch reports it as exit status 1 of a run it refused).
- ``--check``: only compiles and preflights the policy (nothing runs): 0 or 1;
  with ``--json`` (``orch check``: the hyphen fix applies as in a run),
  ``{"ok", "problems": [{file, line, col, call, message, kind}]}`` on stdout.
- bad usage or unreadable policy: 2.

stdout and stderr are line-buffered so output streams live to orch.

Containment (set up by orch through the environment, removed from it before
the policy runs):

- ``ORCH_RLIMITS``: ``name=soft[:hard]`` pairs (``as``, ``cpu``, ``fsize``,
  ``nofile``, ``nproc``, ``core``) applied with ``setrlimit`` first thing;
  a limit that cannot be set is reported on stderr.
- On Linux the bootstrap becomes a child subreaper and asks to be killed when
  orch dies; when the policy ends, every process it left behind (daemons
  included: orphans come back to a subreaper) is killed.
"""

import builtins
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
_INTERNAL_MODULES = ("orch_runtime", "orch_http", "unified_api", "orch_session", "orch_hyphen")
_USAGE = "usage: orch_bootstrap.py [--check [--json]] [--source FILE] POLICY_PATH [ARGS...]"

_policy_path = None
_policy_source = None


_RLIMITS = {
    "as": "RLIMIT_AS",
    "cpu": "RLIMIT_CPU",
    "fsize": "RLIMIT_FSIZE",
    "nofile": "RLIMIT_NOFILE",
    "nproc": "RLIMIT_NPROC",
    "core": "RLIMIT_CORE",
}


def _apply_limits():
    """Apply orch's ORCH_RLIMITS to this process (and so to everything it starts)."""
    spec = os.environ.pop("ORCH_RLIMITS", "")
    if not spec:
        return
    try:
        import resource
    except ImportError:  # not POSIX
        return
    for item in spec.split(","):
        key, _, value = item.partition("=")
        which = getattr(resource, _RLIMITS.get(key, ""), None)
        if which is None or not value:
            continue
        soft_text, _, hard_text = value.partition(":")
        soft = int(soft_text)
        hard = int(hard_text) if hard_text else soft
        _, cur_hard = resource.getrlimit(which)
        if cur_hard != resource.RLIM_INFINITY:
            hard = min(hard, cur_hard)
            soft = min(soft, hard)
        try:
            resource.setrlimit(which, (soft, hard))
        except (ValueError, OSError) as e:
            fallback = getattr(resource, "RLIMIT_DATA", None) if key == "as" else None
            try:
                if fallback is None:
                    raise
                resource.setrlimit(fallback, (soft, hard))  # macOS refuses RLIMIT_AS
            except (ValueError, OSError):
                _err("orch: cannot set the %s limit to %s: %s" % (key, value, e))


def _linux_prctl(option, arg):
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(option, arg, 0, 0, 0) == 0
    except (OSError, AttributeError, ImportError):
        return False


_SUBREAPER = [False]


def _contain_children():
    """Die with orch, and collect orphaned descendants so they can be killed at the end."""
    if not sys.platform.startswith("linux"):
        return
    import signal

    _linux_prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    _SUBREAPER[0] = _linux_prctl(36, 1)  # PR_SET_CHILD_SUBREAPER


def _children(pid):
    found = []
    try:
        tasks = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return found
    for tid in tasks:
        try:
            with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                found.extend(int(c) for c in f.read().split())
        except (OSError, ValueError):
            pass
    return found


def _kill_leftovers():
    """Kill every process the policy left behind (daemons included), then reap them."""
    if not _SUBREAPER[0]:
        return
    import signal
    import time

    me = os.getpid()
    for _ in range(100):
        kids = _children(me)
        if not kids:
            return
        for pid in kids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        deadline = time.monotonic() + 0.05
        while time.monotonic() < deadline:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                time.sleep(0.005)


def _line_buffered():
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(line_buffering=True, errors="backslashreplace")
            except (ValueError, OSError):  # pragma: no cover - closed or odd stream
                pass


def _err(text):
    try:
        sys.stderr.write(text if text.endswith("\n") else text + "\n")
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):  # stderr gone: nothing more to say
        pass


def _format_syntax_error(e, path):
    """``path:LINE:COL: SyntaxError: msg``, the offending line and a caret."""
    name = type(e).__name__
    msg = e.msg if getattr(e, "msg", None) else str(e)
    if e.lineno is None:
        return "%s: %s: %s\n" % (path, name, msg)
    offset = e.offset if e.offset and e.offset > 0 else 1
    out = ["%s:%d:%d: %s: %s\n" % (path, e.lineno, offset, name, msg)]
    text = e.text
    if text:
        text = text.rstrip("\r\n")
        stripped = text.lstrip()
        indent = len(text) - len(stripped)
        width = 1
        end = getattr(e, "end_offset", None)
        end_line = getattr(e, "end_lineno", None)
        if end and end_line == e.lineno and end > offset:
            width = end - offset
        col = max(0, offset - 1 - indent)
        width = max(1, min(width, len(stripped) - col))
        out.append("    %s\n" % stripped)
        out.append("    %s%s\n" % (" " * col, "^" * width))
    return "".join(out)


def _cache_policy_source():
    # Tracebacks read source lines through linecache; feed it the policy as
    # it was run, so lines show even if the policy changed directory or
    # rewrote its own file.
    if _policy_source is None:
        return
    import linecache

    try:
        text = _policy_source.decode("utf-8-sig")
    except UnicodeDecodeError:
        return
    linecache.cache[_policy_path] = (len(_policy_source), None, text.splitlines(True), _policy_path)


def _internal_files():
    files = {os.path.realpath(os.path.abspath(__file__))}
    for name in _INTERNAL_MODULES:
        mod = sys.modules.get(name)
        f = getattr(mod, "__file__", None)
        if f:
            files.add(os.path.realpath(f))
    return files


def format_policy_exception(exc):
    """The traceback of ``exc`` with only the policy's own frames."""
    import traceback

    _cache_policy_source()
    internal = _internal_files()
    real = {}

    def is_internal(filename):
        r = real.get(filename)
        if r is None:
            r = real[filename] = os.path.realpath(filename) if filename[:1] != "<" else filename
        return r in internal

    te = traceback.TracebackException(type(exc), exc, exc.__traceback__)
    todo, seen = [te], set()
    while todo:
        t = todo.pop()
        if t is None or id(t) in seen:
            continue
        seen.add(id(t))
        t.stack = traceback.StackSummary.from_list([f for f in t.stack if not is_internal(f.filename)])
        todo.extend((t.__cause__, t.__context__))
        todo.extend(getattr(t, "exceptions", None) or ())
    lines = []
    for line in te.format():
        for mod in _INTERNAL_MODULES:  # "orch_runtime.ToolError: x" reads better as "ToolError: x"
            if line.startswith(mod + "."):
                line = line[len(mod) + 1:]
                break
        lines.append(line)
    return "".join(lines)


def _is_abort(exc):
    return any(cls.__name__ == "PolicyAborted" for cls in type(exc).__mro__)


def _thread_excepthook(args):
    if args.exc_type is SystemExit:
        return
    name = args.thread.name if args.thread is not None else "?"
    if args.exc_value is not None and _is_abort(args.exc_value):
        _err("%s (in thread %s)" % (args.exc_value, name))
        return
    if args.exc_value is None:
        _err("Exception in thread %s: %s" % (name, args.exc_type.__name__))
        return
    _err("Exception in thread %s:\n%s" % (name, format_policy_exception(args.exc_value)))


def _preamble(ns):
    """The seed's preamble names (modules the runtime and API load anyway, or cheap to load)."""
    import json
    import math
    from typing import Any, Dict, List, Optional

    try:  # the C classes themselves (datetime.datetime is _datetime.datetime), without datetime.py's import cost
        from _datetime import datetime, timedelta
    except ImportError:  # pragma: no cover - Pythons without the C module
        from datetime import datetime, timedelta
    ns.update(sys=sys, os=os, math=math, json=json, datetime=datetime, timedelta=timedelta,
              Dict=Dict, Any=Any, List=List, Optional=Optional)


def _hyphen_fix_on():
    off = os.environ.pop("DISABLE_HYPHEN_FIX", "").strip().lower() in ("1", "true", "yes", "on")
    return os.environ.pop("ORCH_HYPHEN_FIX", "1") != "0" and not off


_HYPHEN_FIX = [True]


def _known_names():
    """The generated API's function names (``server__tool``), for the hyphen fix."""
    try:
        import unified_api
    except Exception:  # no API, or a broken one: _namespace reports it
        return frozenset()
    names = getattr(unified_api, "__all__", None) or vars(unified_api)
    return frozenset(n for n in names if "__" in n.strip("_"))


def compile_policy(source, path):
    """``source`` (bytes) compiled as ``path``, hyphenated tool names fixed; raises SyntaxError/ValueError."""
    if _HYPHEN_FIX[0] and b"-" in source:
        try:
            text = source.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = None
        try:
            import orch_hyphen
        except ImportError:  # an API folder from before the fix
            text = None
        if text is not None:
            if orch_hyphen.candidates(text):
                fixed, changes = orch_hyphen.fix(text, _known_names())
                if changes:
                    source = (b"\xef\xbb\xbf" if source.startswith(b"\xef\xbb\xbf") else b"") + fixed.encode("utf-8")
    return compile(source, path, "exec", dont_inherit=True), source


def _namespace(path):
    """A fresh ``__main__`` module holding the preamble and ``from unified_api import *``."""
    import types

    module = types.ModuleType("__main__")
    ns = module.__dict__
    ns["__file__"] = os.path.abspath(path)
    ns["__cached__"] = None
    ns["__builtins__"] = builtins
    _preamble(ns)
    import orch_runtime

    for name in orch_runtime.__all__:
        ns[name] = getattr(orch_runtime, name)
    try:
        import unified_api
    except ModuleNotFoundError as e:
        if e.name != "unified_api":
            raise
        return module
    names = getattr(unified_api, "__all__", None)
    if names is None:
        names = [n for n in vars(unified_api) if not n.startswith("_")]
    for name in names:
        ns[name] = getattr(unified_api, name)
    return module


PREFLIGHT_REFUSED = 3  # the exit status of a policy the preflight refused (src/executor/run.ts knows it)


def _preflight(source, path, as_json, lenient=False):
    """orch_preflight's verdict: (problem text or None, JSON findings); never blocks on its own bug.

    ``lenient``: the namespace holds names the source does not show (a restored session snapshot).
    """
    if os.environ.pop("ORCH_PREFLIGHT", "1") == "0" or not os.path.exists(os.path.join(_HERE, "orch_catalog.json")):
        return None, []
    try:
        import orch_preflight

        catalog = orch_preflight.load_catalog(os.path.join(_HERE, "orch_catalog.json"))
        problems = orch_preflight.check_source(source, path, catalog, lenient=lenient)
    except Exception as e:  # a checker bug must not stop a policy that compiles
        _err("orch: preflight skipped (internal error: %s: %s)" % (type(e).__name__, e))
        return None, []
    found = [p.to_dict(path) for p in problems]
    return (orch_preflight.report(problems, path) if problems and not as_json else None), found


def _json_verdict(found):
    import json

    sys.stdout.write(json.dumps({"ok": not found, "problems": found}) + "\n")
    return 1 if found else 0


def _check_json(source, path):
    """``--check --json``: compile (hyphen fix included) and preflight; the verdict on stdout."""
    try:
        _, source = compile_policy(source, path)
    except SyntaxError as e:
        return _json_verdict([{"file": path, "line": e.lineno or 1, "col": e.offset or 1, "call": "",
                               "message": "SyntaxError: %s" % (e.msg or e), "kind": "syntax"}])
    except ValueError as e:  # e.g. a NUL byte, before Python 3.12
        return _json_verdict([{"file": path, "line": 1, "col": 1, "call": "", "message": "SyntaxError: %s" % e,
                               "kind": "syntax"}])
    return _json_verdict(_preflight(source, path, True)[1])


def _run(module, code):
    """Run the policy; return the exit status (SystemExit goes through)."""
    try:
        exec(code, module.__dict__)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        _err("KeyboardInterrupt")
        return 130
    except BaseException as e:
        if _is_abort(e):
            text = str(e)
            _err(text if text.startswith("[ABORTED]") else "[ABORTED] " + text)
            return 130
        _err(format_policy_exception(e))
        return 1
    return 0


def main(argv):
    global _policy_path, _policy_source
    args = list(argv[1:])
    check = as_json = False
    if args and args[0] == "--check":
        check = True
        args.pop(0)
        if args and args[0] == "--json":
            as_json = True
            args.pop(0)
    source_file = None
    if len(args) > 1 and args[0] == "--source":
        source_file = args[1]
        del args[:2]
    if args and args[0] == "--":
        args.pop(0)
    if not args:
        _err(_USAGE)
        return 2
    path, policy_args = args[0], args[1:]
    _line_buffered()
    _apply_limits()
    if not check:
        _contain_children()
    _HYPHEN_FIX[0] = _hyphen_fix_on() and (as_json or not check)
    worker = os.environ.pop("ORCH_SESSION_WORKER", "") == "1"
    state_file = os.environ.pop("ORCH_SESSION_STATE", "")
    if not sys.path or sys.path[0] != _HERE:
        sys.path.insert(0, _HERE)
    if worker:
        return _serve_session(path)

    try:
        with open(source_file or path, "rb") as f:
            source = f.read()
    except OSError as e:
        _err("orch: cannot read policy %s: %s" % (path, e.strerror or e))
        return 2
    if as_json:
        return _check_json(source, path)
    code = _compile_or_report(source, path)
    if not isinstance(code, tuple):
        return code
    refusal, _ = _preflight(code[1], path, False, lenient=bool(state_file))
    if refusal:
        _err(refusal)
        return PREFLIGHT_REFUSED
    if check:
        return 0
    code, source = code

    _policy_path, _policy_source = path, source
    _signals()
    policy_dir = os.path.dirname(os.path.abspath(path))
    if policy_dir not in sys.path:
        sys.path.insert(1, policy_dir)
    module = _module_or_report(path)
    if not isinstance(module, type(sys)):
        return module
    sys.argv = [path] + policy_args
    if not state_file:
        return _run(module, code)
    import orch_session

    return orch_session.run_with_snapshot(module, code, state_file, _run)


def _compile_or_report(source, path):
    """``(code, source)``, or the exit status after saying why it does not compile."""
    try:
        return compile_policy(source, path)
    except SyntaxError as e:
        _err(_format_syntax_error(e, path))
        return 1
    except ValueError as e:  # e.g. a NUL byte, before Python 3.12
        _err("%s: SyntaxError: %s" % (path, e))
        return 1


def _signals():
    import signal
    import threading

    # orch aborts a run with SIGINT: make sure it raises KeyboardInterrupt
    # even if our parent left SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    threading.excepthook = _thread_excepthook


def _module_or_report(path):
    """The policy's ``__main__`` module (installed in sys.modules), or an exit status."""
    try:
        module = _namespace(path)
    except KeyboardInterrupt:
        _err("KeyboardInterrupt")
        return 130
    except Exception:
        import traceback

        _err("orch: the generated API could not be imported (regenerate it with `orch gen`):\n"
             + traceback.format_exc())
        return 1
    sys.modules["orch_bootstrap"] = sys.modules.get("__main__")
    sys.modules["__main__"] = module
    return module


def _serve_session(path):
    """A session worker: one namespace, code from stdin, one call after another (see orch_session.py)."""
    _signals()
    module = _module_or_report(path)
    if not isinstance(module, type(sys)):
        return module
    sys.argv = [path]
    import orch_session

    return orch_session.serve(module, sys.modules["orch_bootstrap"])


if __name__ == "__main__":
    try:
        try:
            status = main(sys.argv)
        except KeyboardInterrupt:  # a SIGINT between the policy's end and here
            _err("KeyboardInterrupt")
            status = 130
    finally:  # sys.exit() in the policy included
        try:
            _kill_leftovers()
        except KeyboardInterrupt:
            pass
    sys.exit(status)
