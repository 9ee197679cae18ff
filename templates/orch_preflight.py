"""orch preflight: checks a policy against the tool catalog before it runs.

    python3 -I orch_preflight.py [--json] CATALOG_JSON POLICY_PATH

Reads the policy with ``ast`` (nothing of it runs) and checks every call of a
generated function (``ros_mcp_server__move_home(...)``, also through
``import unified_api as api``) and every ``call_tool("server", "tool", {...})``
whose server and tool are literal strings:

- the function, server or tool exists (with a "did you mean");
- a hyphenated spelling (``ros-mcp-server__move_home()``, which Python reads
  as subtractions) is reported with the name to write;
- keyword names exist; required arguments are given; no more positional
  arguments than parameters; no argument given twice;
- literal argument values (constants, lists, dicts of constants) match the
  parameter's JSON Schema (type, enum/const, bounds, lengths, pattern, items,
  properties) and the config's guards for that tool.

Never errors (no false alarms): values that are not literals, calls through
``*args`` / ``**kwargs`` (only what is visible is checked), names the policy
binds itself (an assignment, ``def``, import, loop variable or parameter of
the same name anywhere hides the tool), aliases (``f = ros__x; f(...)``),
``getattr``, and JSON Schema keywords it does not model (``format``,
``multipleOf``, ``uniqueItems``, ``not``, ``if``/``then``, ``oneOf``
exclusivity). Whether a run's scope allows a tool is checked when it is called.

The catalog is the ``orch_catalog.json`` codegen writes beside
``unified_api.py``. Standard library only, Python >= 3.8.
"""

import ast
import builtins
import difflib
import json
import re
import sys

_RUNTIME_NAMES = frozenset((
    "call_tool", "list_tools", "parallel", "gather", "Image", "Audio",
    "OrchError", "ToolError", "ToolDenied", "PolicyAborted",
))
_API_MODULES = ("unified_api", "orch_runtime")
_NOT_LITERAL = object()
_MAX_DEPTH = 32
_CALL_WIDTH = 72


class Problem(object):
    """One finding: where, which call, why."""

    __slots__ = ("line", "col", "call", "message", "kind")

    def __init__(self, node, call, message, kind):
        self.line = getattr(node, "lineno", 1)
        self.col = getattr(node, "col_offset", 0) + 1
        self.call = call
        self.message = message
        self.kind = kind

    def format(self, path):
        return "%s:%d:%d: %s: %s" % (path, self.line, self.col, self.call, self.message)

    def to_dict(self, path):
        return {"file": path, "line": self.line, "col": self.col, "call": self.call,
                "message": self.message, "kind": self.kind}


# ---- JSON Schema, the subset that can be judged on a literal -------------

def _json_type(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return "?"


def _is_type(v, t):
    jt = _json_type(v)
    if t == jt:
        return True
    if t == "number":
        return jt == "integer"
    if t == "integer":
        return jt == "number" and v == v and v not in (float("inf"), float("-inf")) and float(v).is_integer()
    return False


def _json_eq(a, b):
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_json_eq(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return set(a) == set(b) and all(_json_eq(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def _show(v):
    try:
        text = json.dumps(v, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(v)
    return text if len(text) <= 60 else text[:57] + "..."


def _resolve(root, ref):
    if not isinstance(ref, str) or not ref.startswith("#"):
        return None
    node = root
    pointer = ref[1:]
    if pointer == "":
        return root
    for raw in pointer.lstrip("/").split("/"):
        key = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list):
            try:
                node = node[int(key)]
            except (ValueError, IndexError):
                return None
        elif isinstance(node, dict) and key in node:
            node = node[key]
        else:
            return None
    return node


def _num(v):
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def _where(path):
    return "argument " + path if path else "arguments"


def validate(value, schema, root, path, depth=0):
    """Why ``value`` fails ``schema`` in words, or None (also when the schema cannot be judged)."""
    if schema is False:
        return "%s is not allowed" % _where(path)
    if not isinstance(schema, dict) or depth > _MAX_DEPTH:
        return None
    ref = schema.get("$ref")
    if isinstance(ref, str):
        target = _resolve(root, ref)
        if target is not None:
            why = validate(value, target, root, path, depth + 1)
            if why:
                return why
    if value is None and schema.get("nullable") is True:
        return None
    for sub in schema.get("allOf") or ():
        why = validate(value, sub, root, path, depth + 1)
        if why:
            return why
    for key in ("anyOf", "oneOf"):
        alts = schema.get(key)
        if isinstance(alts, list) and alts:
            reasons = [validate(value, s, root, path, depth + 1) for s in alts]
            if all(reasons):
                distinct = []
                for r in reasons:
                    if r not in distinct:
                        distinct.append(r)
                return distinct[0] if len(distinct) == 1 else "%s matches none of the allowed forms (%s)" % (
                    _where(path), "; or ".join(distinct[:3]))
    t = schema.get("type")
    types = t if isinstance(t, list) else [t] if isinstance(t, str) else None
    if types and not any(_is_type(value, x) for x in types):
        return "%s must be %s (got %s)" % (_where(path), " or ".join(_article(x) for x in types), _show(value))
    if "const" in schema and not _json_eq(value, schema["const"]):
        return "%s must be %s (got %s)" % (_where(path), _show(schema["const"]), _show(value))
    enum = schema.get("enum")
    if isinstance(enum, list) and enum and not any(_json_eq(value, e) for e in enum):
        return "%s must be one of %s (got %s)" % (_where(path), ", ".join(_show(e) for e in enum), _show(value))
    jt = _json_type(value)
    if jt in ("integer", "number"):
        return _check_number(value, schema, path)
    if jt == "string":
        return _check_string(value, schema, path)
    if jt == "array":
        return _check_array(value, schema, root, path, depth)
    if jt == "object":
        return _check_object(value, schema, root, path, depth)
    return None


def _article(t):
    return {"integer": "an integer", "array": "an array (list)", "object": "an object (dict)",
            "null": "None", "boolean": "a boolean", "number": "a number", "string": "a string"}.get(t, t)


def _check_number(v, s, path):
    lo, hi = _num(s.get("minimum")), _num(s.get("maximum"))
    xlo, xhi = s.get("exclusiveMinimum"), s.get("exclusiveMaximum")
    if lo is not None and (v < lo or (xlo is True and v == lo)):
        return "%s must be %s %s (got %s)" % (_where(path), "greater than" if xlo is True else ">=", lo, _show(v))
    if hi is not None and (v > hi or (xhi is True and v == hi)):
        return "%s must be %s %s (got %s)" % (_where(path), "less than" if xhi is True else "<=", hi, _show(v))
    if _num(xlo) is not None and v <= xlo:
        return "%s must be > %s (got %s)" % (_where(path), xlo, _show(v))
    if _num(xhi) is not None and v >= xhi:
        return "%s must be < %s (got %s)" % (_where(path), xhi, _show(v))
    return None


def _check_string(v, s, path):
    lo, hi = _num(s.get("minLength")), _num(s.get("maxLength"))
    if lo is not None and len(v) < lo:
        return "%s must be at least %s characters long (got %s)" % (_where(path), lo, _show(v))
    if hi is not None and len(v) > hi:
        return "%s must be at most %s characters long (got %s)" % (_where(path), hi, _show(v))
    pattern = s.get("pattern")
    if isinstance(pattern, str):
        try:
            rx = re.compile(pattern)
        except (re.error, RecursionError, OverflowError):  # an ECMA-only pattern: cannot judge
            return None
        if rx.search(v) is None:
            return "%s must match the pattern %s (got %s)" % (_where(path), pattern, _show(v))
    return None


def _check_array(v, s, root, path, depth):
    lo, hi = _num(s.get("minItems")), _num(s.get("maxItems"))
    if lo is not None and len(v) < lo:
        return "%s must have at least %s items (got %d)" % (_where(path), lo, len(v))
    if hi is not None and len(v) > hi:
        return "%s must have at most %s items (got %d)" % (_where(path), hi, len(v))
    items, prefix = s.get("items"), s.get("prefixItems")
    if isinstance(prefix, list) or isinstance(items, list):
        tuple_form = prefix if isinstance(prefix, list) else items
        for i, (x, sub) in enumerate(zip(v, tuple_form)):
            why = validate(x, sub, root, "%s[%d]" % (path, i), depth + 1)
            if why:
                return why
        return None
    if isinstance(items, (dict, bool)):
        for i, x in enumerate(v):
            why = validate(x, items, root, "%s[%d]" % (path, i), depth + 1)
            if why:
                return why
    return None


def _check_object(v, s, root, path, depth):
    props = s.get("properties") if isinstance(s.get("properties"), dict) else {}
    for key in s.get("required") or ():
        if isinstance(key, str) and key not in v:
            return "%s is required" % _where(_join(path, key))
    extra = s.get("additionalProperties")
    patterns = s.get("patternProperties") if isinstance(s.get("patternProperties"), dict) else {}
    for key, x in v.items():
        if key in props:
            why = validate(x, props[key], root, _join(path, key), depth + 1)
            if why:
                return why
            continue
        if any(_safe_search(p, key) for p in patterns):
            continue
        if extra is False:
            known = ", ".join(sorted(props)) or "none"
            return "%s is not allowed (known keys: %s)" % (_where(_join(path, key)), known)
        if isinstance(extra, dict):
            why = validate(x, extra, root, _join(path, key), depth + 1)
            if why:
                return why
    return None


def _safe_search(pattern, key):
    try:
        return re.search(pattern, key) is not None
    except (re.error, TypeError):
        return True  # cannot judge: assume it matches


def _join(path, key):
    return "%s.%s" % (path, key) if path else key


# ---- the policy ------------------------------------------------------------

_CONTAINERS = (ast.List, ast.Tuple, ast.Dict, ast.UnaryOp, ast.BinOp, ast.Set)


def _literal(node):
    """The JSON value of a literal expression, or _NOT_LITERAL."""
    t = type(node)
    if t is ast.Constant:
        return _jsonable(node.value)
    if t not in _CONTAINERS:
        return _NOT_LITERAL  # names, calls, f-strings, comprehensions...
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _NOT_LITERAL
    return _jsonable(value)


def _jsonable(v):
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, (list, tuple)):
        out = [_jsonable(x) for x in v]
        return _NOT_LITERAL if any(x is _NOT_LITERAL for x in out) else out
    if isinstance(v, dict):
        if not all(isinstance(k, str) for k in v):
            return _NOT_LITERAL
        out = {k: _jsonable(x) for k, x in v.items()}
        return _NOT_LITERAL if any(x is _NOT_LITERAL for x in out.values()) else out
    return _NOT_LITERAL  # bytes, sets, complex: not JSON


_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_MATCH_BINDERS = tuple(getattr(ast, n) for n in ("MatchAs", "MatchStar", "MatchMapping") if hasattr(ast, n))


class _Scan(object):
    """One walk over the tree: every name the policy binds anywhere, how it imports the API, its calls."""

    def __init__(self, tree):
        self.bound = set()
        self.api_aliases = {}  # name -> times bound by `import unified_api [as x]`
        self.foreign_star = False
        self.calls = []
        self.subtractions = []
        bind = self.bound.add
        for node in ast.walk(tree):
            t = type(node)
            if t is ast.Call:
                self.calls.append(node)
            elif t is ast.Name:
                if type(node.ctx) is not ast.Load:
                    bind(node.id)
            elif t is ast.BinOp:
                if type(node.op) is ast.Sub:
                    self.subtractions.append(node)
            elif t is ast.arg:
                bind(node.arg)
            elif t in _DEFS:
                bind(node.name)
            elif t is ast.Import:
                for a in node.names:
                    name = a.asname or a.name.split(".")[0]
                    bind(name)
                    if a.name in _API_MODULES:
                        self.api_aliases[name] = self.api_aliases.get(name, 0) + 1
            elif t is ast.ImportFrom:
                for a in node.names:
                    if a.name == "*":
                        if node.module not in _API_MODULES or node.level:
                            self.foreign_star = True
                    else:
                        bind(a.asname or a.name)
            elif t is ast.ExceptHandler:
                if node.name:
                    bind(node.name)
            elif _MATCH_BINDERS and isinstance(node, _MATCH_BINDERS):  # match statements, 3.10+
                for attr in ("name", "rest"):
                    value = getattr(node, attr, None)
                    if isinstance(value, str):
                        bind(value)


class Checker(object):
    """Checks one parsed policy against one catalog."""

    def __init__(self, catalog, source_text, lenient=False):
        self.functions = catalog.get("functions") or {}
        self.servers = catalog.get("servers") or {}
        self.unavailable = catalog.get("unavailable") or {}
        self.source = source_text
        self.problems = []
        self._verdicts = {}
        self.lenient = lenient

    # -- entry

    def run(self, tree):
        b = _Scan(tree)
        self.bound = b.bound
        self.foreign_star = b.foreign_star or self.lenient
        self.api_modules = {n for n, c in b.api_aliases.items() if c == 1}
        self.call_tool_live = "call_tool" not in b.bound
        self._hyphen_calls = set()
        for node in b.subtractions:
            self._hyphenated(node)
        for node in b.calls:
            if id(node) not in self._hyphen_calls:
                self._call(node)
        self.problems.sort(key=lambda p: (p.line, p.col))
        return self.problems

    def _text(self, node):
        try:
            text = ast.get_source_segment(self.source, node) or ""
        except Exception:
            text = ""
        text = " ".join(text.split())
        if not text:
            text = "call"
        return text if len(text) <= _CALL_WIDTH else text[:_CALL_WIDTH - 5] + "...)"

    def _add(self, node, call_node, message, kind):
        self.problems.append(Problem(node, self._text(call_node), message, kind))

    # -- hyphenated names: `ros-mcp-server__move_home()` is `ros - mcp - server__move_home()`

    def _hyphenated(self, node):
        parts = []
        cur = node
        while isinstance(cur, ast.BinOp) and isinstance(cur.op, ast.Sub):
            parts.append(cur.right)
            cur = cur.left
        parts.append(cur)
        parts.reverse()
        call = parts[-1]
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)):
            return
        names = [p.id for p in parts[:-1] if isinstance(p, ast.Name)]
        if len(names) != len(parts) - 1:
            return
        # Only adjacent tokens with nothing between them are one hyphenated word.
        prev_end = None
        for p in parts[:-1] + [call.func]:
            if prev_end is not None and (p.lineno, p.col_offset) != (prev_end[0], prev_end[1] + 1):
                return
            prev_end = (getattr(p, "end_lineno", p.lineno), getattr(p, "end_col_offset", p.col_offset + len(p.id)))
        if len(names) and any(n in self.bound for n in names):
            return
        spelled = "-".join(names + [call.func.id])
        fixed = spelled.replace("-", "_")
        if fixed in self.functions:
            self._hyphen_calls.add(id(call))
            self.problems.append(Problem(
                parts[0], self._text(node),
                "%s is not a name: Python reads each '-' as a minus; write %s" % (spelled, fixed),
                "hyphenated-name"))
            self._check_args(fixed, call, node)
        elif "__" in fixed.strip("_") and call.func.id not in self.bound and not self.foreign_star:
            hint = self._suggest(fixed)
            self._hyphen_calls.add(id(call))
            self.problems.append(Problem(
                parts[0], self._text(node),
                "%s is not a name (Python reads each '-' as a minus) and no tool function %s exists%s" % (
                    spelled, fixed, "; did you mean %s?" % hint if hint else ""),
                "hyphenated-name"))

    # -- calls

    def _call(self, node):
        func = node.func
        if isinstance(func, ast.Name):
            name = func.id
            if name == "call_tool" and self.call_tool_live:
                self._call_tool(node)
                return
            if name in self.bound:
                return
            if name in self.functions:
                self._check_args(name, node, node)
                return
            self._unknown_name(name, node)
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            if func.value.id not in self.api_modules:
                return
            name = func.attr
            if name == "call_tool":
                self._call_tool(node)
            elif name in self.functions:
                self._check_args(name, node, node)
            elif name not in _RUNTIME_NAMES and not name.startswith("_"):
                self._unknown_function(name, node)

    def _unknown_name(self, name, node):
        if self.foreign_star or name in _RUNTIME_NAMES or hasattr(builtins, name):
            return
        stripped = name.strip("_")
        if "__" in stripped or self._suggest(name, cutoff=0.8):
            self._unknown_function(name, node)

    def _suggest(self, name, cutoff=0.6):
        names = list(self.functions)
        tail = name.split("__", 1)[1] if "__" in name.strip("_") else None
        if tail:
            same_tool = [n for n in names if n.endswith("__" + tail)]
            if len(same_tool) == 1:
                return same_tool[0]
        close = difflib.get_close_matches(name, names, n=1, cutoff=cutoff)
        return close[0] if close else None

    def _unknown_function(self, name, node):
        prefix = name.split("__", 1)[0]
        for server, why in self.unavailable.items():
            if _sanitize(server) == prefix:
                self._add(node, node, "%s is not defined: server %s was unavailable when tools were listed (%s)"
                          % (name, json.dumps(server), why), "unknown-function")
                return
        hint = self._suggest(name)
        more = "; did you mean %s?" % hint if hint else ""
        prefixes = sorted({_sanitize(s) for s in self.servers})
        if not hint and "__" in name.strip("_") and prefix not in prefixes:
            more = " (no server %s; servers: %s)" % (prefix, ", ".join(prefixes) or "none")
        self._add(node, node, "no tool function %s%s" % (name, more), "unknown-function")

    def _check_args(self, name, call, at):
        fn = self.functions[name]
        params = fn.get("params") or []
        by_py = {p["name"]: p for p in params}
        star_args = any(isinstance(a, ast.Starred) for a in call.args)
        star_kwargs = any(k.arg is None for k in call.keywords)
        given = {}
        positional = [a for a in call.args if not isinstance(a, ast.Starred)]
        if not star_args:
            if len(positional) > len(params):
                self._add(at, call, "takes at most %d positional argument%s (%d given)" % (
                    len(params), "" if len(params) == 1 else "s", len(positional)), "too-many-positional")
            for p, a in zip(params, positional):
                given[p["name"]] = a
        else:
            # Only the positionals before the first *args have known places.
            for p, a in zip(params, call.args):
                if isinstance(a, ast.Starred):
                    break
                given[p["name"]] = a
        for k in call.keywords:
            if k.arg is None:
                continue
            if k.arg not in by_py:
                hint = difflib.get_close_matches(k.arg, list(by_py), n=1, cutoff=0.5)
                wire = [p["name"] for p in params if p.get("wire") == k.arg]
                if wire:
                    hint = wire
                known = ", ".join(p["name"] for p in params) or "none"
                more = "did you mean %s? " % hint[0] if hint else ""
                self._add(at, call, "no parameter %s (%sparameters: %s)" % (k.arg, more, known), "unknown-keyword")
                continue
            if k.arg in given:
                self._add(at, call, "two values for %s" % k.arg, "duplicate-argument")
                continue
            given[k.arg] = k.value
        if not (star_args or star_kwargs):
            missing = [p["name"] for p in params if p.get("required") and p["name"] not in given]
            if missing:
                self._add(at, call, "missing required argument%s %s" % (
                    "" if len(missing) == 1 else "s", ", ".join(missing)), "missing-argument")
        wire_values = {}
        complete = not (star_args or star_kwargs)
        for p in params:
            node = given.get(p["name"])
            if node is None:
                continue
            value = _literal(node)
            if value is _NOT_LITERAL:
                complete = False
                continue
            if value is None and not p.get("required"):
                continue  # None means "not sent"
            wire_values[p.get("wire", p["name"])] = value
        self._check_values(fn, wire_values, complete, call, at)

    def _check_values(self, fn, values, complete, call, at):
        schema = fn.get("input") or {}
        props = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
        said = set()
        for wire, value in values.items():
            sub = props.get(wire)
            if sub is None:
                continue
            why = self._validate(value, sub, schema, wire)
            if why:
                said.add(why)
                self._add(at, call, why, "bad-value")
        for guard in fn.get("guards") or ():
            g = guard.get("schema")
            if not isinstance(g, dict):
                continue
            if complete:
                why = validate(values, g, g, "")
            else:
                gprops = g.get("properties") if isinstance(g.get("properties"), dict) else {}
                why = None
                for wire, value in values.items():
                    if wire in gprops:
                        why = self._validate(value, gprops[wire], g, wire)
                        if why:
                            break
            if why and why not in said:
                self._add(at, call, "refused by the config's guard %s: %s" % (
                    json.dumps(guard.get("pattern", "")), why), "guard")

    def _validate(self, value, schema, root, path):
        # Policies repeat the same literals ("close", [0, 0, 0]): judge each (schema, value) once.
        try:
            key = (id(schema), path, json.dumps(value, sort_keys=True))
        except (TypeError, ValueError):
            return validate(value, schema, root, path)
        if key not in self._verdicts:
            self._verdicts[key] = validate(value, schema, root, path)
        return self._verdicts[key]

    def _call_tool(self, node):
        args = {}
        names = ("server", "tool", "arguments")
        for i, a in enumerate(node.args[:3]):
            if isinstance(a, ast.Starred):
                return
            args[names[i]] = a
        for k in node.keywords:
            if k.arg is None:
                return
            if k.arg in names:
                args[k.arg] = k.value
        server_node, tool_node = args.get("server"), args.get("tool")
        server = _literal(server_node) if server_node is not None else _NOT_LITERAL
        tool = _literal(tool_node) if tool_node is not None else _NOT_LITERAL
        if not isinstance(server, str) or not isinstance(tool, str):
            return
        if server in self.unavailable:
            return  # its tools are unknown; it may be up by the time the call is made
        if server not in self.servers:
            hint = difflib.get_close_matches(server, list(self.servers), n=1, cutoff=0.5)
            by_name = [s for s in self.servers if _sanitize(s) == _sanitize(server)]
            hint = by_name or hint
            more = "; did you mean %s?" % json.dumps(hint[0]) if hint else ""
            known = ", ".join(json.dumps(s) for s in self.servers) or "none"
            self._add(node, node, "no server %s%s (servers: %s)" % (json.dumps(server), more, known),
                      "unknown-server")
            return
        tools = self.servers[server]
        if tool not in tools:
            hint = difflib.get_close_matches(tool, list(tools), n=1, cutoff=0.5)
            more = "; did you mean %s?" % json.dumps(hint[0]) if hint else ""
            self._add(node, node, "server %s has no tool %s%s" % (json.dumps(server), json.dumps(tool), more),
                      "unknown-tool")
            return
        fn = self.functions.get(tools[tool])
        if fn is None:
            return
        arg_node = args.get("arguments")
        schema = fn.get("input") or {}
        props = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
        required = [r for r in (schema.get("required") or []) if isinstance(r, str)]
        open_ended = schema.get("additionalProperties") not in (None, False)
        keys = {}
        opaque = False
        if arg_node is None or (isinstance(arg_node, ast.Constant) and arg_node.value is None):
            pass
        elif isinstance(arg_node, ast.Dict):
            for k, v in zip(arg_node.keys, arg_node.values):
                key = _literal(k) if k is not None else _NOT_LITERAL
                if not isinstance(key, str):
                    opaque = True
                    continue
                keys[key] = v
        elif isinstance(arg_node, ast.Call) and isinstance(arg_node.func, ast.Name) and arg_node.func.id == "dict" \
                and "dict" not in self.bound and not arg_node.args:
            for k in arg_node.keywords:
                if k.arg is None:
                    opaque = True
                else:
                    keys[k.arg] = k.value
        else:
            return
        for key in keys:
            if key not in props and not open_ended and props:
                hint = difflib.get_close_matches(key, list(props), n=1, cutoff=0.5)
                more = "did you mean %s? " % json.dumps(hint[0]) if hint else ""
                self._add(node, node, "%s.%s has no argument %s (%sarguments: %s)" % (
                    server, tool, json.dumps(key), more, ", ".join(props) or "none"), "unknown-keyword")
        if not opaque:
            missing = [r for r in required if r not in keys]
            if missing:
                self._add(node, node, "missing required argument%s %s" % (
                    "" if len(missing) == 1 else "s", ", ".join(missing)), "missing-argument")
        values = {}
        for key, v in keys.items():
            value = _literal(v)
            if value is not _NOT_LITERAL:
                values[key] = value
        complete = not opaque and len(values) == len(keys)
        self._check_values(fn, values, complete, node, node)


def _sanitize(s):
    out = re.sub(r"[^A-Za-z0-9_]", "_", s)
    return "_" + out if out[:1].isdigit() else out


def check_source(source, path, catalog, lenient=False):
    """The problems of policy ``source`` (text or bytes) against ``catalog``; a SyntaxError propagates.

    ``lenient``: the policy runs in a namespace holding names its source does not show (a restored session
    snapshot), so a call of a name it never binds is not reported as an unknown function.
    """
    if isinstance(source, bytes):
        source = source.decode("utf-8-sig")
    tree = ast.parse(source, path)
    return Checker(catalog, source, lenient).run(tree)


def load_catalog(path):
    with open(path, "rb") as f:
        return json.loads(f.read().decode("utf-8"))


def report(problems, path):
    """The text orch prints for a refused policy."""
    n = len(problems)
    lines = ["orch: preflight found %d problem%s in %s; the policy did not start and no tool was called:"
             % (n, "" if n == 1 else "s", path)]
    lines.extend(p.format(path) for p in problems)
    lines.append("orch: fix the policy, or skip this check with --no-preflight (config: orchestrator.preflight)")
    return "\n".join(lines) + "\n"


def main(argv):
    args = list(argv[1:])
    as_json = False
    if args and args[0] == "--json":
        as_json = True
        args.pop(0)
    if len(args) != 2:
        sys.stderr.write("usage: orch_preflight.py [--json] CATALOG_JSON POLICY_PATH\n")
        return 2
    catalog = load_catalog(args[0])
    path = args[1]
    with open(path, "rb") as f:
        source = f.read()
    problems = check_source(source, path, catalog)
    if as_json:
        sys.stdout.write(json.dumps({"ok": not problems, "problems": [p.to_dict(path) for p in problems]}) + "\n")
    elif problems:
        sys.stderr.write(report(problems, path))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
