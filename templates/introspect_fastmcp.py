#!/usr/bin/env python3
"""Lists the tools of a Python FastMCP server by reading its source, never running it.

Usage: python3 -I introspect_fastmcp.py SERVER.py [--server-name NAME]

Prints one JSON object on stdout:
    {"tools": [{"name", "description", "inputSchema", ...}], "warnings": [...], "files": [...]}
with the tools in the shape of MCP tools/list, so orch reads one format. The
server and the local modules it imports are parsed with `ast`, so a server
whose dependencies (ROS, CUDA, ...) are missing here is still read.
`files` lists every local file read (orch keys its cache on them).

Exit status: 0 on success; 2 when the server file is missing or does not parse
(then stderr says `file:line:col: SyntaxError: msg`).

Stdlib only, Python 3.8+, runs under `python3 -I`. It is one file on purpose:
orch copies it next to nothing and runs it in a sandbox. So its concerns are classes
under banners instead of modules: the Introspector is one mixin per concern (ModuleFiles,
NameResolver, Registrations, Values, ClassSchemas, TypeSchemas, ToolBuilder) over shared state.
"""

import ast
import json
import os
import re
import sys

PY38 = sys.version_info < (3, 9)
FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)
BLOCKS = tuple(
    getattr(ast, n)
    for n in ("If", "For", "AsyncFor", "While", "With", "AsyncWith", "Try", "TryStar")
    if hasattr(ast, n)
)
TYPE_ALIAS = getattr(ast, "TypeAlias", None)  # `type X = ...`, Python 3.12+
MAX_FILES = 200
MISSING = object()  # no default: the parameter is required
FACTORY = object()  # default_factory: optional, and the schema has no default
NULL = {"type": "null"}

SIMPLE = {
    "str": {"type": "string"},
    "int": {"type": "integer"},
    "float": {"type": "number"},
    "bool": {"type": "boolean"},
    "bytes": {"type": "string", "format": "binary"},
    "bytearray": {"type": "string", "format": "binary"},
    "None": {"type": "null"},
    "NoneType": {"type": "null"},
    "Any": {},
    "object": {},
    "list": {"type": "array", "items": {}},
    "tuple": {"type": "array", "items": {}},
    "set": {"type": "array", "items": {}, "uniqueItems": True},
    "frozenset": {"type": "array", "items": {}, "uniqueItems": True},
    "dict": {"type": "object", "additionalProperties": True},
    "datetime": {"type": "string", "format": "date-time"},
    "date": {"type": "string", "format": "date"},
    "time": {"type": "string", "format": "time"},
    "timedelta": {"type": "string", "format": "duration"},
    "UUID": {"type": "string", "format": "uuid"},
    "Path": {"type": "string", "format": "path"},
    "PurePath": {"type": "string", "format": "path"},
    "PosixPath": {"type": "string", "format": "path"},
    "Decimal": {"anyOf": [{"type": "number"}, {"type": "string"}]},
    "EmailStr": {"type": "string", "format": "email"},
    "AnyUrl": {"type": "string", "format": "uri"},
    "HttpUrl": {"type": "string", "format": "uri"},
    "AnyHttpUrl": {"type": "string", "format": "uri"},
    "SecretStr": {"type": "string", "format": "password", "writeOnly": True},
    "StrictStr": {"type": "string"},
    "StrictInt": {"type": "integer"},
    "StrictFloat": {"type": "number"},
    "StrictBool": {"type": "boolean"},
    "PositiveInt": {"type": "integer", "exclusiveMinimum": 0},
    "NegativeInt": {"type": "integer", "exclusiveMaximum": 0},
    "NonNegativeInt": {"type": "integer", "minimum": 0},
    "NonPositiveInt": {"type": "integer", "maximum": 0},
    "PositiveFloat": {"type": "number", "exclusiveMinimum": 0},
    "NegativeFloat": {"type": "number", "exclusiveMaximum": 0},
    "NonNegativeFloat": {"type": "number", "minimum": 0},
    "NonPositiveFloat": {"type": "number", "maximum": 0},
}
for _alias, _to in (("List", "list"), ("Tuple", "tuple"), ("Set", "set"), ("FrozenSet", "frozenset"),
                    ("Dict", "dict"), ("Sequence", "list"), ("MutableSequence", "list"),
                    ("Iterable", "list"), ("Collection", "list"), ("deque", "list"),
                    ("AbstractSet", "set"), ("MutableSet", "set"), ("Mapping", "dict"),
                    ("MutableMapping", "dict"), ("OrderedDict", "dict"), ("DefaultDict", "dict"),
                    ("defaultdict", "dict"), ("Counter", "dict"), ("WindowsPath", "Path")):
    SIMPLE[_alias] = SIMPLE[_to]
ARRAYS = {"list", "List", "Sequence", "MutableSequence", "Iterable", "Collection", "deque", "Deque"}
SETS = {"set", "Set", "frozenset", "FrozenSet", "AbstractSet", "MutableSet"}
TUPLES = {"tuple", "Tuple"}
DICTS = {"dict", "Dict", "Mapping", "MutableMapping", "OrderedDict", "DefaultDict", "defaultdict"}
WRAPPERS = {"Required", "NotRequired", "ReadOnly", "Final", "ClassVar", "InitVar"}
MODEL_BASES = {"BaseModel", "BaseSettings"}
ENUM_BASES = {"Enum", "IntEnum", "StrEnum", "Flag", "IntFlag", "ReprEnum"}
CONSTRAINED = {"constr": "string", "conint": "integer", "confloat": "number", "conlist": "array",
               "conset": "array", "conbytes": "string"}
FIELD_KEYS = {"description", "title", "examples", "alias", "ge", "le", "gt", "lt", "multiple_of",
              "min_length", "max_length", "min_items", "max_items", "pattern", "regex",
              "json_schema_extra", "item_type"}
NUMERIC = (("ge", "minimum"), ("le", "maximum"), ("gt", "exclusiveMinimum"),
           ("lt", "exclusiveMaximum"), ("multiple_of", "multipleOf"))
LENGTH = {"array": ("minItems", "maxItems"), "object": ("minProperties", "maxProperties")}
KIND_WORDS = {"model": "model", "dataclass": "dataclass", "typeddict": "TypedDict"}

# Docstring sections. The tool description is the text before the first one.
GOOGLE_PARAMS = {"args", "arguments", "parameters", "params", "keyword args", "keyword arguments",
                 "kwargs", "other parameters"}
GOOGLE_HEADERS = GOOGLE_PARAMS | {
    "returns", "return", "yields", "yield", "raises", "raise", "exceptions", "examples",
    "example", "notes", "note", "attributes", "see also", "warnings", "warning", "warns", "todo",
    "references", "methods"}
NUMPY_PARAMS = {"parameters", "other parameters", "keyword arguments"}
SPHINX_FIELD = re.compile(
    r"[:@](param|parameter|arg|argument|key|keyword|type|returns?|rtype|raises?|except|exception"
    r"|var|ivar|cvar|vartype|meta)\b")
SPHINX_PARAM = re.compile(
    r"[:@](?:param|parameter|arg|argument|key|keyword)\s+(?:[^:]*\s)?\*{0,2}([A-Za-z_]\w*)\s*:\s*(.*)$")
DASHES = re.compile(r"\s*-{3,}\s*$")
GOOGLE_ENTRY = re.compile(r"\*{0,2}([A-Za-z_]\w*)\s*(?:\([^)]*\))?\s*:\s*(.*)$")
NUMPY_ENTRY = re.compile(r"(\*{0,2}[A-Za-z_]\w*(?:\s*,\s*\*{0,2}[A-Za-z_]\w*)*)\s*(?::.*)?$")


# ==================================================================================================
# AST helpers
# ==================================================================================================


class Unknown(Exception):
    """A value or type the source does not pin down."""


def last(dotted):
    return dotted.rsplit(".", 1)[-1]


def deep(value):
    if isinstance(value, dict):
        return {k: deep(v) for k, v in value.items()}
    if isinstance(value, list):
        return [deep(v) for v in value]
    return value


def text(node):
    """Source-like text of an expression, for warnings."""
    if isinstance(node, str):
        s = node
    elif hasattr(ast, "unparse"):
        try:
            s = ast.unparse(node)
        except Exception:  # noqa: BLE001 - only used for messages
            s = type(node).__name__
    elif isinstance(node, ast.Name):
        s = node.id
    elif isinstance(node, ast.Attribute):
        s = text(node.value) + "." + node.attr
    elif isinstance(node, ast.Subscript):
        s = text(node.value) + "[...]"
    elif isinstance(node, ast.Call):
        s = text(node.func) + "(...)"
    elif isinstance(node, ast.Constant):
        s = repr(node.value)
    else:
        s = type(node).__name__
    return s if len(s) <= 80 else s[:77] + "..."


def sub_args(node):
    s = node.slice
    if PY38 and isinstance(s, ast.Index):
        s = s.value
    return list(s.elts) if isinstance(s, ast.Tuple) and s.elts else [s]  # never empty


def is_ellipsis(node):
    return isinstance(node, ast.Constant) and node.value is Ellipsis


_parsed_annotations = {}


def string_annotation(node):
    """The expression inside a string (forward-reference) annotation, else the node itself."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        key = node.value
        if key not in _parsed_annotations:
            try:
                _parsed_annotations[key] = ast.parse(key.strip(), mode="eval").body
            except SyntaxError:
                _parsed_annotations[key] = None
        return _parsed_annotations[key]
    return node


def docstring(node):
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        value = body[0].value.value
        if isinstance(value, str):
            return value
    return None


# ==================================================================================================
# Docstrings
# ==================================================================================================


class Docstrings(object):
    """Google, NumPy and Sphinx docstrings -> a description and per-parameter text."""

    @staticmethod
    def clean(doc):
        """inspect.cleandoc without importing inspect (it is slow to import)."""
        lines = doc.expandtabs().split("\n")
        margin = None
        for line in lines[1:]:
            content = len(line.lstrip())
            if content:
                indent = len(line) - content
                margin = indent if margin is None else min(margin, indent)
        out = [lines[0].strip()] + [line[margin or 0:].rstrip() for line in lines[1:]]
        while out and not out[0]:
            out.pop(0)
        while out and not out[-1]:
            out.pop()
        return "\n".join(out)

    @staticmethod
    def indent_of(line):
        return len(line) - len(line.lstrip())

    @staticmethod
    def parse(doc):
        """(text before the first section, {parameter: description}) of a cleaned docstring.

        Reads Google (`Args:`), NumPy (`Parameters` + dashes) and Sphinx (`:param x:`) styles.
        """
        lines = doc.split("\n")
        n = len(lines)
        cut = n
        params = {}
        i = 0
        while i < n:
            line = lines[i]
            stripped = line.strip()
            indent = Docstrings.indent_of(line)
            key = stripped[:-1].strip().lower() if stripped.endswith(":") else None
            if key in GOOGLE_HEADERS:
                cut = min(cut, i)
                i = Docstrings.read_google(lines, i + 1, indent, params if key in GOOGLE_PARAMS else None)
            elif stripped and i + 1 < n and DASHES.match(lines[i + 1]) and not DASHES.match(line):
                cut = min(cut, i)
                wanted = params if stripped.lower() in NUMPY_PARAMS else None
                i = Docstrings.read_numpy(lines, i + 2, indent, wanted)
            elif SPHINX_FIELD.match(stripped):
                cut = min(cut, i)
                match = SPHINX_PARAM.match(stripped)
                parts = [match.group(2)] if match else []
                i += 1
                while i < n and lines[i].strip() and Docstrings.indent_of(lines[i]) > indent \
                        and not SPHINX_FIELD.match(lines[i].strip()):
                    parts.append(lines[i].strip())
                    i += 1
                if match:
                    params.setdefault(match.group(1), " ".join(parts).strip())
            else:
                i += 1
        return "\n".join(lines[:cut]).strip(), params

    @staticmethod
    def read_google(lines, i, header_indent, params):
        entry_indent = None
        name, parts = None, []
        while i < len(lines):
            line = lines[i]
            stripped = line.strip()
            if stripped:
                indent = Docstrings.indent_of(line)
                if indent <= header_indent:
                    break
                if entry_indent is None:
                    entry_indent = indent
                if indent <= entry_indent:
                    if name and params is not None:
                        params.setdefault(name, " ".join(parts).strip())
                    match = GOOGLE_ENTRY.match(stripped)
                    name, parts = (match.group(1), [match.group(2)]) if match else (None, [])
                else:
                    parts.append(stripped)
            i += 1
        if name and params is not None:
            params.setdefault(name, " ".join(parts).strip())
        return i

    @staticmethod
    def read_numpy(lines, i, header_indent, params):
        names, parts = [], []

        def flush():
            if params is not None:
                for name in names:
                    params.setdefault(name, " ".join(parts).strip())

        while i < len(lines):
            line = lines[i]
            stripped = line.strip()
            if stripped:
                indent = Docstrings.indent_of(line)
                if indent < header_indent:
                    break
                if indent == header_indent:
                    if i + 1 < len(lines) and DASHES.match(lines[i + 1]):
                        break  # the next section
                    flush()
                    match = NUMPY_ENTRY.match(stripped)
                    names = [x.strip().lstrip("*") for x in match.group(1).split(",")] if match else []
                    parts = []
                else:
                    parts.append(stripped)
            i += 1
        flush()
        return i


# ==================================================================================================
# Statements: what a block of statements binds and imports
# ==================================================================================================


def child_blocks(st):
    """The statement lists nested in a compound statement (if/try/with/for/while)."""
    blocks = [getattr(st, "body", []), getattr(st, "orelse", []), getattr(st, "finalbody", [])]
    blocks.extend(h.body for h in getattr(st, "handlers", []))
    return blocks


def bind(target, value, names):
    if isinstance(target, ast.Name):
        names[target.id] = ("value", value, None)
    elif isinstance(target, (ast.Tuple, ast.List)):
        values = value.elts if isinstance(value, (ast.Tuple, ast.List)) \
            and len(value.elts) == len(target.elts) else None
        for k, item in enumerate(target.elts):
            bind(item, values[k] if values else None, names)


def collect(stmts, names, imports):
    """Fills `names` with what `stmts` bind, looking inside if/try/with blocks."""
    for st in stmts:
        if isinstance(st, FUNCS):
            names[st.name] = ("func", st)
        elif isinstance(st, ast.ClassDef):
            names[st.name] = ("class", st)
        elif isinstance(st, ast.Assign):
            for target in st.targets:
                bind(target, st.value, names)
        elif isinstance(st, ast.AnnAssign):
            if isinstance(st.target, ast.Name):
                names[st.target.id] = ("value", st.value, st.annotation) \
                    if st.value is not None else ("typed", st.annotation)
        elif isinstance(st, ast.Import):
            for alias in st.names:
                top = alias.name.split(".")[0]
                names[alias.asname or top] = ("import", alias.name if alias.asname else top)
                if imports is not None:
                    imports.append((0, alias.name, None))
        elif isinstance(st, ast.ImportFrom):
            for alias in st.names:
                if alias.name != "*":
                    names[alias.asname or alias.name] = ("from", st.level, st.module, alias.name)
                elif "*" in names:
                    names["*"].append((st.level, st.module))
                else:
                    names["*"] = [(st.level, st.module)]
                if imports is not None:
                    imports.append((st.level, st.module, alias.name))
        elif TYPE_ALIAS is not None and isinstance(st, TYPE_ALIAS):
            names[st.name.id] = ("value", st.value, None)
        elif isinstance(st, BLOCKS):
            blocks = child_blocks(st)
            if hasattr(st, "handlers"):
                # try: import real  except ImportError: import fallback -- the try body wins,
                # as it does on a machine with the server's dependencies installed.
                blocks = blocks[3:] + blocks[:3]
            for block in blocks:
                collect(block, names, imports)


def parameters(args):
    """(arg, default node or None) of each named parameter, in order."""
    positional = list(getattr(args, "posonlyargs", [])) + list(args.args)
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    return list(zip(positional, defaults)) + list(zip(args.kwonlyargs, args.kw_defaults))


# ==================================================================================================
# JSON Schema helpers
# ==================================================================================================


def json_type(values):
    kinds = set()
    for v in values:
        if isinstance(v, bool):
            kinds.add("boolean")
        elif isinstance(v, int):
            kinds.add("integer")
        elif isinstance(v, float):
            kinds.add("number")
        elif isinstance(v, str):
            kinds.add("string")
        else:
            return None
    if kinds == {"integer", "number"}:
        return "number"
    return kinds.pop() if len(kinds) == 1 else None


def binop(op, left, right):
    def num(x):
        return isinstance(x, (int, float)) and not isinstance(x, bool)

    result = None
    if isinstance(op, ast.Add) and (num(left) and num(right) or (
            type(left) is type(right) and isinstance(left, (str, list)))):
        result = left + right
    elif num(left) and num(right):
        if isinstance(op, ast.Sub):
            result = left - right
        elif isinstance(op, ast.Mult):
            result = left * right
        elif isinstance(op, (ast.Div, ast.FloorDiv, ast.Mod)) and right != 0:
            result = left / right if isinstance(op, ast.Div) else \
                left // right if isinstance(op, ast.FloorDiv) else left % right
        elif isinstance(op, ast.Pow) and abs(right) <= 64 and not (left == 0 and right < 0):
            result = left ** right
    elif isinstance(op, ast.Mult) and isinstance(left, (str, list)) and num(right) \
            and isinstance(right, int) and len(left) * right <= 10000:
        result = left * right
    if result is None or isinstance(result, complex) or (
            isinstance(result, float) and (result != result or result in (float("inf"), float("-inf")))):
        raise Unknown()
    return result


def apply_info(schema, info):
    """Puts pydantic Field(...) metadata and constraints into a schema."""
    targets = [s for s in schema["anyOf"] if s != NULL] if "anyOf" in schema else [schema]
    for target in targets:
        for key, word in NUMERIC:
            if key in info:
                target[word] = info[key]
        low, high = LENGTH.get(target.get("type"), ("minLength", "maxLength"))
        for key, word in (("min_length", low), ("min_items", low), ("max_length", high),
                          ("max_items", high)):
            if key in info:
                target[word] = info[key]
        for key in ("pattern", "regex"):
            if key in info:
                target["pattern"] = info[key]
    for key in ("title", "description", "examples"):
        if key in info:
            schema[key] = info[key]
    extra = info.get("json_schema_extra")
    if isinstance(extra, dict):
        schema.update(extra)


# ==================================================================================================
# Scopes and modules
# ==================================================================================================


class Scope(object):
    """Names visible at one level: a module, or a function body (read on first use)."""

    __slots__ = ("module", "parent", "fn", "_names")

    def __init__(self, module, parent=None, fn=None):
        self.module = module
        self.parent = parent
        self.fn = fn
        self._names = {} if fn is None else None

    @property
    def names(self):
        if self._names is None:
            names = {}
            a = self.fn.args
            for arg in list(getattr(a, "posonlyargs", [])) + a.args + a.kwonlyargs:
                names[arg.arg] = ("typed", arg.annotation)
            collect(self.fn.body, names, None)
            self._names = names
        return self._names


class Module(object):
    __slots__ = ("path", "tree", "scope", "imports")

    def __init__(self, path, tree):
        self.path = path
        self.tree = tree
        self.scope = Scope(self)
        self.imports = []


class Ctx(object):
    """What one tool's schema build collects: $defs, and where a warning points."""

    __slots__ = ("defs", "keys", "subject", "path", "line", "quiet", "expanding")

    def __init__(self, subject, path, line, quiet=False):
        self.defs = {}
        self.keys = {}
        self.subject = subject
        self.path = path
        self.line = line
        self.quiet = quiet
        self.expanding = set()


def walk_parts(base, parts):
    """(files, module file or None) of dotted `parts` under `base`, or None when absent."""
    files = []
    d = base
    if not parts:
        init = os.path.join(base, "__init__.py")
        return ([init], init) if os.path.isfile(init) else ([], None)
    for k, part in enumerate(parts):
        pkg = os.path.join(d, part)
        init = os.path.join(pkg, "__init__.py")
        if os.path.isfile(init):
            files.append(init)
        elif k == len(parts) - 1 and os.path.isfile(pkg + ".py"):
            files.append(pkg + ".py")
            return files, pkg + ".py"
        elif not os.path.isdir(pkg):
            return None
        d = pkg
    final = os.path.join(d, "__init__.py")
    return files, final if os.path.isfile(final) else None


# ==================================================================================================
# ModuleFiles: the server file and the local modules it imports
# ==================================================================================================


class ModuleFiles(object):
    """The server file and the local modules it imports: finding, parsing, warning.

    Its state, set in Introspector.__init__: entry, base, roots, modules, order, files, warnings,
    _warned, _locate.
    """

    def warn(self, path, line, message):
        rel = os.path.relpath(path, self.base)
        where = "%s:%d" % (path if rel.startswith(".." + os.sep + "..") else rel, line)
        msg = "%s: %s" % (where, message)
        if msg not in self._warned:
            self._warned.add(msg)
            self.warnings.append(msg)

    def load(self, path, entry=False):
        if path in self.modules:
            return self.modules[path]
        if len(self.modules) >= MAX_FILES:
            self.warn(self.entry, 1, "stopped reading local modules after %d files" % MAX_FILES)
            return None
        self.modules[path] = None
        self.files.append(path)
        try:
            with open(path, "rb") as f:
                tree = ast.parse(f.read(), filename=path)
        except (SyntaxError, ValueError, OSError) as e:
            if entry:
                raise
            line = getattr(e, "lineno", None) or 1
            self.warn(path, line, "cannot parse this imported module (%s); names from it are unknown"
                      % (getattr(e, "msg", None) or e))
            return None
        module = Module(path, tree)
        self.modules[path] = module
        self.order.append(module)
        collect(tree.body, module.scope.names, module.imports)
        return module

    def locate(self, module, level, dotted):
        """(files, module file) of a local module, or None when it is not local."""
        if level:
            base = os.path.dirname(module.path)
            for _ in range(level - 1):
                base = os.path.dirname(base)
            bases = (base,)
        elif dotted:
            bases = self.roots
        else:
            return None
        key = (bases, dotted)
        if key not in self._locate:
            parts = dotted.split(".") if dotted else []
            found = None
            for base in bases:
                found = walk_parts(base, parts)
                if found is not None:
                    break
            self._locate[key] = found
        return self._locate[key]

    def module_for(self, module, level, dotted):
        found = self.locate(module, level, dotted)
        if found is None:
            return None
        for path in found[0]:
            self.load(path)
        return self.modules.get(found[1]) if found[1] else None

    def load_imports(self, module):
        for level, dotted, attr in module.imports:
            self.module_for(module, level, dotted)
            if attr and attr != "*":
                self.module_for(module, level, "%s.%s" % (dotted, attr) if dotted else attr)


# ==================================================================================================
# NameResolver: what a name refers to
# ==================================================================================================


class NameResolver(object):
    """What a name or attribute refers to, across modules and star imports."""

    def lookup(self, scope, name, depth):
        s = scope
        while s is not None:
            if name in s.names:
                return s, s.names[name]
            s = s.parent
        for level, dotted in scope.module.scope.names.get("*", ()):
            other = self.module_for(scope.module, level, dotted)
            if other is not None and other is not scope.module and depth < 10:
                if name in other.scope.names:
                    return other.scope, other.scope.names[name]
        return None, None

    def resolve(self, scope, node, depth=0):
        """What a Name/Attribute refers to: a ("class"|"func"|"value"|"typed"|"pkg"|"ext"|"member", ...) tuple."""
        if depth > 25:
            return None
        if isinstance(node, ast.Name):
            found, binding = self.lookup(scope, node.id, depth)
            if binding is None:
                return ("ext", node.id)  # a builtin, or star-imported from a package
            return self.binding(found, binding, depth + 1)
        if isinstance(node, ast.Attribute):
            return self.attribute(self.resolve(scope, node.value, depth + 1), node.attr, depth + 1)
        return None

    def binding(self, scope, b, depth):
        kind = b[0]
        if kind in ("class", "func", "typed"):
            return (kind, scope, b[1])
        if kind == "value":
            if isinstance(b[1], (ast.Name, ast.Attribute)):
                target = self.resolve(scope, b[1], depth + 1)  # an alias: X = Y
                if target is not None:
                    return target
            return ("value", scope, b[1], b[2])
        if kind == "import":
            if self.locate(scope.module, 0, b[1]) is not None:
                return ("pkg", scope.module, 0, b[1])
            return ("ext", b[1])
        level, dotted, attr = b[1], b[2], b[3]
        if self.locate(scope.module, level, dotted) is None:
            return None if level else ("ext", "%s.%s" % (dotted, attr))
        return self.attribute(("pkg", scope.module, level, dotted), attr, depth + 1)

    def attribute(self, base, attr, depth):
        if base is None or depth > 25:
            return None
        kind = base[0]
        if kind == "ext":
            return ("ext", base[1] + "." + attr)
        if kind == "class":
            return ("member", base[1], base[2], attr)
        if kind == "pkg":
            _, module, level, dotted = base
            other = self.module_for(module, level, dotted)
            if other is not None:
                names = other.scope.names
                if attr in names:
                    return self.binding(other.scope, names[attr], depth + 1)
                for star_level, star in names.get("*", ()):
                    starred = self.module_for(other, star_level, star)
                    if starred is not None and starred is not other and attr in starred.scope.names:
                        return self.binding(starred.scope, starred.scope.names[attr], depth + 1)
            sub = "%s.%s" % (dotted, attr) if dotted else attr
            if self.locate(module, level, sub) is not None:
                return ("pkg", module, level, sub)
        return None

    def ext_name(self, scope, node):
        """The last part of an imported/builtin name `node` refers to, else None."""
        sym = self.resolve(scope, node)
        return last(sym[1]) if sym is not None and sym[0] == "ext" else None


# ==================================================================================================
# Registrations: FastMCP instances and their tools
# ==================================================================================================


class Registrations(object):
    """FastMCP instances and the functions registered on them (@mcp.tool, mcp.add_tool, ...).

    Its state, set in Introspector.__init__: instances, regs, candidates, lowlevel.
    """

    def fastmcp_class(self, sym, depth=0):
        if sym is None or depth > 10:
            return False
        if sym[0] == "ext":
            return last(sym[1]) == "FastMCP"
        if sym[0] == "class":  # a subclass, or a local stand-in named FastMCP
            return sym[2].name == "FastMCP" or any(
                self.fastmcp_class(self.resolve(sym[1], b), depth + 1) for b in sym[2].bases)
        return False

    def returned_instance(self, scope, fn, depth):
        """The instance a factory function returns by name (`return mcp`), if any."""
        inner = Scope(scope.module, scope, fn)
        for st in fn.body:
            if isinstance(st, ast.Return) and isinstance(st.value, ast.Name):
                return self.instance_of(inner, st.value, depth + 1)
        return None

    def instance_of(self, scope, node, depth=0):
        """A key naming the FastMCP instance `node` refers to, or None."""
        sym = self.resolve(scope, node)
        if sym is None:
            return None
        if sym[0] == "typed":  # def register(mcp: FastMCP): ...
            ann = string_annotation(sym[2]) if sym[2] is not None else None
            return "param" if ann is not None and self.fastmcp_class(self.resolve(sym[1], ann)) else None
        if sym[0] != "value":
            return None
        where, value, ann = sym[1], sym[2], sym[3]
        found = False
        if isinstance(value, ast.Call):
            func = self.resolve(where, value.func)
            if func is not None and func[0] == "func" and depth < 5:
                returned = self.returned_instance(func[1], func[2], depth)  # app = create_server()
                if returned is not None:
                    return returned
            found = self.fastmcp_class(func) or (
                func is not None and func[0] == "func" and func[2].returns is not None
                and self.fastmcp_class(self.resolve(func[1], string_annotation(func[2].returns))))
            if not found and isinstance(value.func, ast.Attribute):  # FastMCP.from_openapi(...)
                found = self.fastmcp_class(self.resolve(where, value.func.value))
        if not found and ann is not None:
            found = self.fastmcp_class(self.resolve(where, string_annotation(ann)))
        if not found:
            return None
        key = (where.module.path, value.lineno, value.col_offset) if value is not None else id(ann)
        if key not in self.instances:
            name = instructions = None
            if isinstance(value, ast.Call):
                name_node = value.args[0] if value.args else None
                for k in value.keywords:
                    if k.arg == "name":
                        name_node = k.value
                    elif k.arg == "instructions":
                        instructions = self.try_evaluate(where, k.value)
                name = self.try_evaluate(where, name_node) if name_node is not None else None
            self.instances[key] = {"var": text(node), "path": where.module.path,
                                   "line": getattr(value, "lineno", 1), "name": name,
                                   "instructions": instructions}
        return key

    def scan(self, stmts, scope):
        """Finds tool registrations in `stmts`, inside blocks and function bodies too."""
        for st in stmts:
            if isinstance(st, FUNCS):
                for dec in st.decorator_list:
                    self.decorator(dec, st, scope)
                self.scan(st.body, Scope(scope.module, scope, st))
            elif isinstance(st, ast.Expr) and isinstance(st.value, ast.Call):
                self.call(st.value, scope)
            elif isinstance(st, (ast.Import, ast.ImportFrom)) and scope.fn is not None:
                collect([st], {}, scope.module.imports)
            elif isinstance(st, BLOCKS):
                for block in child_blocks(st):
                    self.scan(block, scope)

    def register(self, owner, fn, fn_scope, keywords, name_node, scope, line):
        reg = (fn, fn_scope, {k.arg: k.value for k in keywords if k.arg}, name_node, scope,
               line)
        key = self.instance_of(scope, owner)
        if key is None:
            self.candidates.append((text(owner), reg))
        else:
            self.regs.append((key, reg))

    def decorator(self, dec, fn, scope):
        call = dec if isinstance(dec, ast.Call) else None
        target = dec.func if call is not None else dec
        if not isinstance(target, ast.Attribute):
            return
        if target.attr == "tool":
            self.register(target.value, fn, scope, call.keywords if call else [],
                          call.args[0] if call is not None and call.args else None, scope, dec.lineno)
        elif target.attr in ("list_tools", "call_tool") and call is not None and self.lowlevel is None:
            self.lowlevel = (scope.module.path, dec.lineno, text(target))

    def call(self, c, scope):
        f = c.func
        if isinstance(f, ast.Attribute) and f.attr in ("tool", "add_tool") and c.args:
            fn_node, keywords = c.args[0], c.keywords
            if f.attr == "add_tool" and isinstance(fn_node, ast.Call) and fn_node.args \
                    and isinstance(fn_node.func, ast.Attribute) and fn_node.func.attr == "from_function":
                fn_node, keywords = fn_node.args[0], fn_node.keywords  # add_tool(Tool.from_function(fn))
            sym = self.resolve(scope, fn_node)
            if sym is not None and sym[0] == "func":
                self.register(f.value, sym[2], sym[1], keywords, None, scope, c.lineno)
            elif f.attr == "add_tool" and self.instance_of(scope, f.value) is not None:
                self.warn(scope.module.path, c.lineno, "%s(%s) is not given a function defined in "
                          "local source; that tool is left out" % (text(f), text(fn_node)))
        elif isinstance(f, ast.Call) and isinstance(f.func, ast.Attribute) and f.func.attr == "tool" \
                and len(c.args) == 1:  # mcp.tool(name="x")(fn)
            sym = self.resolve(scope, c.args[0])
            if sym is not None and sym[0] == "func":
                self.register(f.func.value, sym[2], sym[1], f.keywords,
                              f.args[0] if f.args else None, scope, c.lineno)


# ==================================================================================================
# Values: literal-ish expressions
# ==================================================================================================


class Values(object):
    """The JSON value of a literal-ish expression (constants, enum members, simple math)."""

    def try_evaluate(self, scope, node, default=None):
        try:
            return self.evaluate(scope, node)
        except Unknown:
            return default

    def evaluate(self, scope, node, depth=0):
        """The JSON value of a literal-ish expression (constants, enum members, simple math)."""
        if depth > 30 or node is None:
            raise Unknown()
        if isinstance(node, ast.Constant):
            v = node.value
            if v is None or isinstance(v, (str, int)):
                return v
            if isinstance(v, float) and v == v and v not in (float("inf"), float("-inf")):
                return v
            if isinstance(v, bytes):
                try:
                    return v.decode("utf-8")
                except UnicodeDecodeError:
                    pass
            raise Unknown()
        if isinstance(node, ast.UnaryOp):
            v = self.evaluate(scope, node.operand, depth + 1)
            if isinstance(node.op, ast.Not):
                return not v
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                if isinstance(node.op, ast.USub):
                    return -v
                if isinstance(node.op, ast.UAdd):
                    return v
            raise Unknown()
        if isinstance(node, ast.BinOp):
            return binop(node.op, self.evaluate(scope, node.left, depth + 1),
                         self.evaluate(scope, node.right, depth + 1))
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            return [self.evaluate(scope, e, depth + 1) for e in node.elts]
        if isinstance(node, ast.Dict):
            out = {}
            for k, v in zip(node.keys, node.values):
                key = self.evaluate(scope, k, depth + 1)
                if isinstance(key, (list, dict)):
                    raise Unknown()
                out[key] = self.evaluate(scope, v, depth + 1)
            return out
        if isinstance(node, (ast.Name, ast.Attribute)):
            sym = self.resolve(scope, node)
            if sym is not None and sym[0] == "value":
                return self.evaluate(sym[1], sym[2], depth + 1)
            if sym is not None and sym[0] == "member":
                return self.member_value(sym[1], sym[2], sym[3], depth + 1)
            raise Unknown()
        if isinstance(node, ast.Call):
            name = self.ext_name(scope, node.func)
            if name in ("list", "tuple", "set", "frozenset") and not node.keywords and len(node.args) <= 1:
                return self.evaluate(scope, node.args[0], depth + 1) if node.args else []
            if name == "dict" and not node.args and all(k.arg for k in node.keywords):
                return {k.arg: self.evaluate(scope, k.value, depth + 1) for k in node.keywords}
        raise Unknown()

    def member_value(self, scope, cls, attr, depth):
        if self.class_kind(scope, cls) == "enum":
            for name, value in self.enum_members(scope, cls):
                if name == attr:
                    if value is MISSING:
                        raise Unknown()
                    return value
            raise Unknown()
        for st in cls.body:  # a constant on a plain class: Defaults.SPEED
            if isinstance(st, ast.Assign) and len(st.targets) == 1 \
                    and isinstance(st.targets[0], ast.Name) and st.targets[0].id == attr:
                return self.evaluate(scope, st.value, depth + 1)
        raise Unknown()


# ==================================================================================================
# ClassSchemas: models, dataclasses, TypedDicts, enums
# ==================================================================================================


class ClassSchemas(object):
    """Pydantic models, dataclasses, TypedDicts and enums -> JSON Schema ($defs).

    Its state, set in Introspector.__init__: the cache _members.
    """

    def class_kind(self, scope, cls, depth=0):
        """"model", "dataclass", "typeddict", "enum" or None."""
        for dec in cls.decorator_list:
            if self.ext_name(scope, dec.func if isinstance(dec, ast.Call) else dec) == "dataclass":
                return "dataclass"
        for base in cls.bases:
            sym = self.resolve(scope, base.value if isinstance(base, ast.Subscript) else base)
            if sym is None:
                continue
            if sym[0] == "ext":
                name = last(sym[1])
                if name in MODEL_BASES:
                    return "model"
                if name == "TypedDict":
                    return "typeddict"
                if name in ENUM_BASES:
                    return "enum"
            elif sym[0] == "class" and depth < 10:
                kind = self.class_kind(sym[1], sym[2], depth + 1)
                if kind:
                    return kind
        return None

    def enum_members(self, scope, cls):
        """[(name, value or MISSING)] of an Enum class."""
        key = id(cls)
        if key not in self._members:
            members = []
            text_auto = any(self.ext_name(scope, b) == "StrEnum" for b in cls.bases)
            counter = 0
            for st in cls.body:
                if not (isinstance(st, ast.Assign) and len(st.targets) == 1
                        and isinstance(st.targets[0], ast.Name)):
                    continue
                name = st.targets[0].id
                if name.startswith("_") and name.endswith("_"):
                    continue
                value = st.value
                if isinstance(value, ast.Call) and self.ext_name(scope, value.func) == "auto":
                    v = name.lower() if text_auto else counter + 1
                else:
                    v = self.try_evaluate(scope, value, MISSING)
                if isinstance(v, int) and not isinstance(v, bool):
                    counter = v
                members.append((name, v))
            self._members[key] = members
        return self._members[key]

    def class_fields(self, scope, cls, kind, depth=0):
        out = []
        if depth < 10:
            for base in cls.bases:
                sym = self.resolve(scope, base)
                if sym is not None and sym[0] == "class" and self.class_kind(sym[1], sym[2]) == kind:
                    out.extend(self.class_fields(sym[1], sym[2], kind, depth + 1))
        total = True
        for k in cls.keywords:
            if k.arg == "total":
                total = bool(self.try_evaluate(scope, k.value, True))
        for st in cls.body:
            if isinstance(st, ast.AnnAssign) and isinstance(st.target, ast.Name):
                name = st.target.id
                ann = string_annotation(st.annotation)
                if name.startswith("_") or name == "model_config" or (
                        isinstance(ann, (ast.Subscript, ast.Name, ast.Attribute)) and self.ext_name(
                            scope, ann.value if isinstance(ann, ast.Subscript) else ann) == "ClassVar"):
                    continue
                out.append((scope, cls, st, total))
        return out

    def class_ref(self, scope, cls, ctx, depth):
        kind = self.class_kind(scope, cls)
        if kind is None:
            self.note(ctx, 'class "%s" is not a pydantic model, dataclass, TypedDict or Enum, so its fields '
                      "are unknown; any value is accepted" % cls.name)
            return {}
        ident = (scope.module.path, cls.lineno, cls.col_offset)
        key = ctx.keys.get(ident)
        if key is None:
            key, n = cls.name, 1
            while key in ctx.defs:
                n += 1
                key = "%s%d" % (cls.name, n)
            ctx.keys[ident] = key
            ctx.defs[key] = {}
            saved = ctx.subject, ctx.path, ctx.line
            ctx.defs[key] = self.class_schema(kind, scope, cls, ctx, depth + 1)
            ctx.subject, ctx.path, ctx.line = saved
        return {"$ref": "#/$defs/" + key}

    def class_schema(self, kind, scope, cls, ctx, depth):
        doc = docstring(cls)
        if kind == "enum":
            values = []
            for name, value in self.enum_members(scope, cls):
                if value is MISSING:
                    ctx.subject, ctx.path, ctx.line = 'enum "%s"' % cls.name, scope.module.path, cls.lineno
                    self.note(ctx, 'member "%s" has a value orch cannot evaluate; it is left out' % name)
                else:
                    values.append(value)
            out = {"enum": values, "title": cls.name}
            kind_of = json_type(values)
            if kind_of:
                out["type"] = kind_of
        else:
            props, required = {}, {}
            for fscope, fcls, st, total in self.class_fields(scope, cls, kind):
                name = st.target.id
                ctx.subject = '%s "%s" field "%s"' % (KIND_WORDS[kind], fcls.name, name)
                ctx.path, ctx.line = fscope.module.path, st.lineno
                ann, needed = st.annotation, None
                if kind == "typeddict":
                    ann = string_annotation(ann)
                    while isinstance(ann, ast.Subscript) and \
                            self.ext_name(fscope, ann.value) in ("Required", "NotRequired", "ReadOnly"):
                        word = self.ext_name(fscope, ann.value)
                        needed = (word == "Required") if word != "ReadOnly" else needed
                        ann = sub_args(ann)[0]
                value = st.value if kind != "typeddict" else None
                schema, req, alias = self.field(fscope, ann, value, ctx, None, depth)
                if kind == "typeddict":
                    req = total if needed is None else needed
                key = alias if isinstance(alias, str) else name
                props[key] = schema
                required[key] = req
            out = {"type": "object", "properties": props,
                   "required": [k for k in props if required[k]], "title": cls.name}
        if doc:
            out["description"] = Docstrings.clean(doc)
        return out


# ==================================================================================================
# TypeSchemas: type annotations
# ==================================================================================================


class TypeSchemas(object):
    """Type annotations -> JSON Schema (generics, unions, Literal, constrained types, Field)."""

    def note(self, ctx, message):
        if not ctx.quiet:
            self.warn(ctx.path, ctx.line, "%s: %s" % (ctx.subject, message))

    def unknown(self, ctx, node):
        self.note(ctx, 'type "%s" cannot be read statically; any value is accepted' % text(node))
        return {}

    def type_schema(self, scope, node, ctx, depth=0):
        """JSON Schema of a type annotation, pydantic style ($defs for classes)."""
        if depth > 40:
            return {}
        if isinstance(node, ast.Constant):
            if node.value is None:
                return dict(NULL)
            expr = string_annotation(node) if isinstance(node.value, str) else None
            return self.type_schema(scope, expr, ctx, depth + 1) if expr is not None \
                else self.unknown(ctx, node)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            return self.union(scope, [node.left, node.right], ctx, depth)
        if isinstance(node, ast.Subscript):
            return self.generic(scope, node, ctx, depth)
        if isinstance(node, ast.Call):
            return self.constrained(scope, node, ctx)
        sym = self.resolve(scope, node) if isinstance(node, (ast.Name, ast.Attribute)) else None
        if sym is None:
            return self.unknown(ctx, node)
        if sym[0] == "ext":
            found = SIMPLE.get(last(sym[1]))
            return deep(found) if found is not None else self.unknown(ctx, node)
        if sym[0] == "class":
            return self.class_ref(sym[1], sym[2], ctx, depth)
        if sym[0] == "value" and sym[2] is not None:  # a type alias: Vector = list[float]
            value = sym[2]
            if id(value) in ctx.expanding:
                return {}  # a recursive alias
            if isinstance(value, ast.Call):
                name = self.ext_name(sym[1], value.func)
                if name == "NewType" and len(value.args) == 2:
                    value = value.args[1]
                elif name == "TypeVar":
                    bound = [k.value for k in value.keywords if k.arg == "bound"]
                    if not bound:
                        return {}
                    value = bound[0]
                elif name not in CONSTRAINED:
                    return self.unknown(ctx, node)
            ctx.expanding.add(id(sym[2]))
            try:
                return self.type_schema(sym[1], value, ctx, depth + 1)
            finally:
                ctx.expanding.discard(id(sym[2]))
        return self.unknown(ctx, node)

    def generic(self, scope, node, ctx, depth):
        origin = self.resolve(scope, node.value)
        if origin is not None and origin[0] == "class":
            return self.class_ref(origin[1], origin[2], ctx, depth)  # a generic model: Page[int]
        name = last(origin[1]) if origin is not None and origin[0] == "ext" else None
        args = sub_args(node)
        if name == "Optional":
            return self.union(scope, args + [ast.Constant(value=None)], ctx, depth)
        if name == "Union":
            return self.union(scope, args, ctx, depth)
        if name == "Literal":
            return self.literal(scope, args, ctx)
        if name == "Annotated":
            schema = self.type_schema(scope, args[0], ctx, depth + 1)
            for meta in args[1:]:
                if self.is_field(scope, meta):
                    apply_info(schema, self.field_info(scope, meta))
            return schema
        if name in WRAPPERS:
            return self.type_schema(scope, args[0], ctx, depth + 1)
        if name in ARRAYS or name in SETS:
            schema = {"type": "array", "items": self.type_schema(scope, args[0], ctx, depth + 1)}
            if name in SETS:
                schema["uniqueItems"] = True
            return schema
        if name in TUPLES:
            if len(args) == 2 and is_ellipsis(args[1]):
                return {"type": "array", "items": self.type_schema(scope, args[0], ctx, depth + 1)}
            if len(args) == 1 and isinstance(args[0], ast.Tuple) and not args[0].elts:
                return {"type": "array", "maxItems": 0}
            items = [self.type_schema(scope, a, ctx, depth + 1) for a in args]
            return {"type": "array", "prefixItems": items, "minItems": len(items), "maxItems": len(items)}
        if name in DICTS:
            values = self.type_schema(scope, args[1], ctx, depth + 1) if len(args) == 2 else {}
            return {"type": "object", "additionalProperties": values or True}
        return self.unknown(ctx, node)

    def union(self, scope, members, ctx, depth):
        out, nullable, anything = [], False, False
        for member in members:
            schema = self.type_schema(scope, member, ctx, depth + 1)
            for part in schema["anyOf"] if list(schema) == ["anyOf"] else [schema]:
                if part == NULL:
                    nullable = True
                elif not part:
                    anything = True
                elif part not in out:
                    out.append(part)
        if anything:
            return {}
        if nullable:
            out.append(dict(NULL))
        return out[0] if len(out) == 1 else {"anyOf": out}

    def literal(self, scope, args, ctx):
        values = []
        for arg in args:
            where, expr = scope, arg
            if isinstance(arg, (ast.Name, ast.Attribute)):  # Literal[Unit, "km"] with Unit = Literal[...]
                sym = self.resolve(scope, arg)
                if sym is not None and sym[0] == "value" and isinstance(sym[2], ast.Subscript):
                    where, expr = sym[1], sym[2]
            if isinstance(expr, ast.Subscript) and self.ext_name(where, expr.value) == "Literal":
                inner = self.literal(where, sub_args(expr), ctx)
                values.extend(inner.get("enum", []) or [None])
                continue
            try:
                values.append(self.evaluate(scope, arg))
            except Unknown:
                self.note(ctx, "Literal value %s cannot be evaluated; it is left out" % text(arg))
        nullable = None in values
        values = [v for v in values if v is not None]
        schema = {"enum": values}
        kind = json_type(values)
        if kind:
            schema["type"] = kind
        if nullable:
            return {"anyOf": [schema, dict(NULL)]} if values else dict(NULL)
        return schema

    def constrained(self, scope, call, ctx):
        name = self.ext_name(scope, call.func)
        if name not in CONSTRAINED:
            return self.unknown(ctx, call)
        schema = {"type": CONSTRAINED[name]}
        if schema["type"] == "array":
            item = call.args[0] if call.args else None
            for k in call.keywords:
                if k.arg == "item_type":
                    item = k.value
            schema["items"] = self.type_schema(scope, item, ctx) if item is not None else {}
            if name == "conset":
                schema["uniqueItems"] = True
        apply_info(schema, self.field_info(scope, call, positional=False))
        return schema

    def is_field(self, scope, node):
        return isinstance(node, ast.Call) and self.ext_name(scope, node.func) in ("Field", "field")

    def field_info(self, scope, call, positional=True):
        info = {"default": call.args[0] if positional and call.args else MISSING}
        for k in call.keywords:
            if k.arg == "default":
                info["default"] = k.value
            elif k.arg == "default_factory":
                info["default"] = FACTORY
            elif k.arg in FIELD_KEYS:
                value = self.try_evaluate(scope, k.value, MISSING)
                if value is not MISSING:
                    info[k.arg] = value
        return info

    def field(self, scope, ann, default, ctx, doc, depth=0):
        """(schema, required, alias) of a parameter or class field."""
        infos = []
        inner = string_annotation(ann) if ann is not None else None
        while isinstance(inner, ast.Subscript) and self.ext_name(scope, inner.value) == "Annotated":
            args = sub_args(inner)
            infos.extend(self.field_info(scope, a) for a in args[1:] if self.is_field(scope, a))
            inner = string_annotation(args[0])
        if default is not None and self.is_field(scope, default):
            infos.append(self.field_info(scope, default))
            default = None
        if inner is None and ann is not None:
            schema = self.unknown(ctx, ann)
        else:
            schema = self.type_schema(scope, inner, ctx, depth) if inner is not None else {}
        value = MISSING if default is None else default
        alias = None
        for info in infos:
            apply_info(schema, info)
            if info["default"] is not MISSING:
                value = info["default"]
            alias = info.get("alias", alias)
        if doc and "description" not in schema:
            schema["description"] = doc
        if value is MISSING or (value is not FACTORY and is_ellipsis(value)):
            return schema, True, alias
        if value is not FACTORY:
            try:
                schema["default"] = self.evaluate(scope, value)
            except Unknown:
                self.note(ctx, "default %s cannot be evaluated statically; the parameter is optional "
                          "with no default shown" % text(value))
        return schema, False, alias

    def is_context(self, scope, node, depth=0):
        """Whether an annotation is FastMCP's Context (injected by the server, not an argument)."""
        node = string_annotation(node)
        if node is None or depth > 10:
            return False
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            return self.is_context(scope, node.left, depth + 1) or self.is_context(scope, node.right, depth + 1)
        if isinstance(node, ast.Subscript):
            name = self.ext_name(scope, node.value)
            if name in ("Optional", "Union"):
                return any(self.is_context(scope, a, depth + 1) for a in sub_args(node))
            if name == "Annotated":
                return self.is_context(scope, sub_args(node)[0], depth + 1)
            return name == "Context"
        return isinstance(node, (ast.Name, ast.Attribute)) and self.ext_name(scope, node) == "Context"


# ==================================================================================================
# ToolBuilder: one tools/list entry
# ==================================================================================================


class ToolBuilder(object):
    """One registration -> its tools/list entry (name, description, schemas, annotations)."""

    def tool(self, reg):
        """The tools/list entry of one registration, or None when it is disabled."""
        fn, scope, kw, name_node, reg_scope, line = reg
        path = scope.module.path
        name = fn.name
        if "name" in kw or name_node is not None:
            node = kw.get("name", name_node)
            value = self.try_evaluate(reg_scope, node)
            if isinstance(value, str):
                name = value
            elif value is not None or not (isinstance(node, ast.Constant) and node.value is None):
                self.warn(path, line, 'tool "%s": its name %s is not a string orch can evaluate '
                          'statically; using the function name' % (fn.name, text(node)))
        if "enabled" in kw and self.try_evaluate(reg_scope, kw["enabled"], True) is False:
            return None
        raw = docstring(fn)
        summary, param_docs = Docstrings.parse(Docstrings.clean(raw)) if raw else ("", {})
        description = summary
        if "description" in kw:
            value = self.try_evaluate(reg_scope, kw["description"])
            if isinstance(value, str):
                description = value
            elif not (isinstance(kw["description"], ast.Constant) and kw["description"].value is None):
                self.warn(path, line, 'tool "%s": its description %s is not a string orch can evaluate '
                          'statically; using the docstring' % (name, text(kw["description"])))
        excluded = self.try_evaluate(reg_scope, kw["exclude_args"], []) if "exclude_args" in kw else []
        excluded = excluded if isinstance(excluded, list) else []
        ctx = Ctx("", path, fn.lineno)
        props, required = {}, []
        for arg, default in parameters(fn.args):
            if arg.arg in excluded or (arg.annotation is not None and self.is_context(scope, arg.annotation)):
                continue
            ctx.subject, ctx.path, ctx.line = 'tool "%s" parameter "%s"' % (name, arg.arg), path, arg.lineno
            schema, req, _ = self.field(scope, arg.annotation, default, ctx, param_docs.get(arg.arg))
            props[arg.arg] = schema
            if req:
                required.append(arg.arg)
        for star, arg in (("*", fn.args.vararg), ("**", fn.args.kwarg)):
            if arg is not None:
                self.warn(path, arg.lineno, 'tool "%s": %s%s is left out (tools take named arguments only)'
                          % (name, star, arg.arg))
        schema = {"type": "object", "properties": props, "required": required}
        if ctx.defs:
            schema["$defs"] = ctx.defs
        tool = {"name": name}
        title = self.try_evaluate(reg_scope, kw["title"]) if "title" in kw else None
        if isinstance(title, str):
            tool["title"] = title
        tool["description"] = description
        tool["inputSchema"] = schema
        if fn.returns is not None and self.try_evaluate(reg_scope, kw.get("structured_output"), True) is not False:
            output = self.output_schema(scope, fn.returns)
            if output is not None:
                tool["outputSchema"] = output
        annotations = self.annotations(reg_scope, kw.get("annotations"))
        if annotations:
            tool["annotations"] = annotations
        return tool

    def annotations(self, scope, node):
        if isinstance(node, ast.Call):
            out = {}
            for k in node.keywords:
                value = self.try_evaluate(scope, k.value, MISSING) if k.arg else MISSING
                if value is not MISSING:
                    out[k.arg] = value
            return out
        value = self.try_evaluate(scope, node) if node is not None else None
        return value if isinstance(value, dict) else None

    def output_schema(self, scope, node):
        """An object schema for a dict / model / TypedDict / dataclass return type, else None."""
        node = string_annotation(node)
        while isinstance(node, ast.Subscript) and self.ext_name(scope, node.value) == "Annotated":
            node = string_annotation(sub_args(node)[0])
        if node is None:
            return None
        ctx = Ctx("", scope.module.path, 1, quiet=True)
        schema = self.type_schema(scope, node, ctx)
        if list(schema) == ["$ref"]:
            key = schema["$ref"].rsplit("/", 1)[-1]
            schema = ctx.defs[key]
            others = {k: v for k, v in ctx.defs.items() if k != key}
            if '"#/$defs/%s"' % key in json.dumps([schema, others]):
                others = ctx.defs  # recursive: the model refers to itself
            ctx.defs = others
        if schema.get("type") != "object" or ("properties" not in schema and schema.get(
                "additionalProperties", True) is True):
            return None  # not an object, or one that says nothing about its keys
        if ctx.defs:
            schema = dict(schema)
            schema["$defs"] = ctx.defs
        return schema


# ==================================================================================================
# Introspector: the state the concerns above share, and the whole run
# ==================================================================================================


class Introspector(ModuleFiles, NameResolver, Registrations, Values, ClassSchemas, TypeSchemas, ToolBuilder):
    """Reads a FastMCP server and the local modules it imports: the state, and the whole run."""

    def __init__(self, entry, server_name=None):
        self.entry = os.path.abspath(entry)
        self.base = os.path.dirname(self.entry)
        self.server_name = server_name
        roots = [self.base]
        top = self.base
        while os.path.isfile(os.path.join(top, "__init__.py")):
            parent = os.path.dirname(top)
            if parent == top:
                break
            top = parent
        if top != self.base:
            roots.append(top)  # the entry sits in a package: absolute imports start above it
        self.roots = tuple(roots)
        self.modules = {}
        self.order = []
        self.files = []
        self.warnings = []
        self._warned = set()
        self.instances = {}
        self.regs = []  # (instance key, registration)
        self.candidates = []  # registrations on a name that is not a known FastMCP instance
        self.kept = []
        self.lowlevel = None
        self._locate = {}
        self._members = {}

    def run(self):
        entry = self.load(self.entry, entry=True)
        i = 0
        while i < len(self.order):
            module = self.order[i]
            i += 1
            self.scan(module.tree.body, module.scope)
            self.load_imports(module)
        regs = self.chosen(entry)
        tools, seen = [], {}
        for reg in regs:
            tool = self.tool(reg)
            if tool is None:
                continue
            name = tool["name"]
            if name in seen:
                first_path, first_line = seen[name]
                self.warn(reg[4].module.path, reg[5], 'tool "%s" is registered again (first at %s:%d); '
                          'the first one is kept' % (name, os.path.relpath(first_path, self.base), first_line))
                continue
            seen[name] = (reg[4].module.path, reg[5])
            tools.append(tool)
        if not tools:
            if self.lowlevel is not None:
                path, line, what = self.lowlevel
                self.warn(path, line, "the server uses the low-level MCP Server API (@%s); its tools are "
                          "built at run time, so static introspection cannot list them; "
                          'set "introspect": "mcp"' % what)
            else:
                self.warn(self.entry, 1, "no FastMCP tools found")
        result = {"tools": tools, "warnings": self.warnings, "files": self.files}
        server = self.server_info()
        if server:
            result["server"] = server
        return result

    def chosen(self, entry):
        """The registrations of the instance(s) this server runs."""
        keys = []
        for key, _ in self.regs:
            if key != "param" and key not in keys:
                keys.append(key)
        keep, why = keys, "the server file does not use it"
        if self.server_name and any(self.instances[k]["name"] == self.server_name for k in keys):
            keep = [k for k in keys if self.instances[k]["name"] == self.server_name]
            why = 'its name is not "%s"' % self.server_name
        elif len(keys) > 1:
            own = set()
            for name, binding in entry.scope.names.items():
                if binding[0] in ("value", "from", "typed") and name != "*":
                    own.add(self.instance_of(entry.scope, ast.Name(id=name, ctx=ast.Load())))
            if own.intersection(keys):
                keep = [k for k in keys if k in own]
        for key in keys:
            if key not in keep:
                info = self.instances[key]
                self.warn(info["path"], info["line"], 'the tools of FastMCP instance "%s" are left out: %s'
                          % (info["var"], why))
        if len(keep) > 1:
            self.warn(self.entry, 1, "the tools of %d FastMCP instances are listed together (%s)"
                      % (len(keep), ", ".join(self.instances[k]["var"] for k in keep)))
        self.kept = keep
        regs = [reg for key, reg in self.regs if key == "param" or key in keep]
        if not regs and self.candidates:
            owners = sorted(set(owner for owner, _ in self.candidates))
            self.warn(self.entry, 1, "no FastMCP(...) instance found; treating %s as FastMCP tools"
                      % ", ".join("@%s.tool" % owner for owner in owners))
            regs = [reg for _, reg in self.candidates]
        return regs

    def server_info(self):
        for key in self.kept:
            info = self.instances[key]
            out = {k: info[k] for k in ("name", "instructions") if isinstance(info[k], str)}
            if out:
                return out
        return None


# ==================================================================================================
# Command line
# ==================================================================================================


USAGE = "usage: introspect_fastmcp.py SERVER.py [--server-name NAME]\n"


def main(argv):
    path, name = None, None
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in ("-h", "--help"):
            sys.stdout.write(USAGE + __doc__.split("\n\n", 1)[1])
            return 0
        if arg == "--server-name" and i + 1 < len(argv):
            name = argv[i + 1]
            i += 2
            continue
        if arg.startswith("--server-name="):
            name = arg.split("=", 1)[1]
        elif arg.startswith("-") and arg != "-" or path is not None:
            sys.stderr.write("introspect_fastmcp.py: unexpected argument %r\n%s" % (arg, USAGE))
            return 2
        else:
            path = arg
        i += 1
    if path is None:
        sys.stderr.write(USAGE)
        return 2
    if not os.path.isfile(path):
        why = "it is a directory" if os.path.isdir(path) else "no such file"
        sys.stderr.write('introspect_fastmcp.py: cannot read the server file "%s": %s\n' % (path, why))
        return 2
    try:
        result = Introspector(path, name).run()
    except SyntaxError as e:
        sys.stderr.write("%s:%s:%s: SyntaxError: %s\n" % (e.filename or path, e.lineno or 1,
                                                        e.offset or 1, e.msg))
        return 2
    except (ValueError, OSError, RecursionError) as e:
        sys.stderr.write('introspect_fastmcp.py: cannot parse the server file "%s": %s\n' % (path, e))
        return 2
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
