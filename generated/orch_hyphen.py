"""orch's hyphen fix: ``ros-mcp-server__move_home()`` runs as ``ros_mcp_server__move_home()``.

Agents copy MCP server names (``ros-mcp-server``) into Python, where the
hyphen is a minus. Before a policy is compiled, ``fix(source, known)``
turns ``-`` into ``_`` inside a run of adjacent name, number and ``-``
tokens (no spaces between them) when the result is a name in ``known``,
the generated API's function names. Everything else stays as written:
``a-b`` arithmetic, strings, comments, the text of f-strings. Only ``-``
characters change, one for one, so every line and column of a traceback
stays right.

Python's own ``tokenize`` finds the tokens. Python >= 3.12 tokenizes an
f-string into FSTRING_START/MIDDLE/END with the code of its replacement
fields as ordinary tokens; older versions give one STRING token, whose
replacement fields are found here and tokenized on their own.

Standard library only, Python >= 3.8. Imported by the bootstrap only when
the policy's source holds a ``-`` next to a name.
"""

import io
import re
import tokenize

__all__ = ["fix", "candidates"]

_JOIN = (tokenize.NAME, tokenize.NUMBER)
_FSTRING_START = getattr(tokenize, "FSTRING_START", None)  # Python >= 3.12
_STRING_PREFIX = re.compile(r"(?i)^([rbuf]*)('''|\"\"\"|'|\")")


def _chains(tokens):
    """Runs of adjacent NAME/NUMBER/'-' tokens holding a '-': lists of tokens."""
    run = []
    out = []
    for tok in tokens:
        joinable = tok.type in _JOIN or (tok.type == tokenize.OP and tok.string == "-")
        if joinable and run and run[-1].end == tok.start:
            run.append(tok)
            continue
        if len(run) > 2:
            out.append(run)
        run = [tok] if joinable else []
    if len(run) > 2:
        out.append(run)
    return out


def _segments(run):
    """Split a run at its '-' tokens: ``[(first_token_index, last_token_index), ...]``."""
    segs = []
    start = None
    for i, tok in enumerate(run):
        if tok.type == tokenize.OP:
            if start is not None:
                segs.append((start, i - 1))
            start = None
        elif start is None:
            start = i
    if start is not None:
        segs.append((start, len(run) - 1))
    return segs


def _fixes_in_run(run, known):
    """The '-' tokens of ``run`` to turn into '_': the longest known names, left to right."""
    segs = _segments(run)
    out = []
    i = 0
    while i < len(segs):
        for j in range(len(segs) - 1, i, -1):
            a, b = segs[i][0], segs[j][1]
            if "".join(t.string for t in run[a:b + 1]).replace("-", "_") in known:
                out.extend(t for t in run[a:b + 1] if t.type == tokenize.OP)
                i = j
                break
        i += 1
    return out


def _tokens(text):
    return tokenize.generate_tokens(io.StringIO(text).readline)


def _fstring_fields(literal):
    """(offset, code) of each replacement field of an f-string literal (Python < 3.12)."""
    m = _STRING_PREFIX.match(literal)
    if not m or "f" not in m.group(1).lower():
        return []
    quote = m.group(2)
    body_start = m.end()
    body = literal[body_start:len(literal) - len(quote)]
    fields = []
    i, n = 0, len(body)
    while i < n:
        c = body[i]
        if c == "{":
            if body.startswith("{{", i):
                i += 2
                continue
            start = i + 1
            depth, j, in_str = 0, start, None
            while j < n:
                ch = body[j]
                if in_str:
                    if ch == "\\":
                        j += 1
                    elif body.startswith(in_str, j):
                        j += len(in_str) - 1
                        in_str = None
                elif ch in "'\"":
                    in_str = body[j:j + 3] if body[j:j + 3] in ("'''", '"""') else ch
                    j += len(in_str) - 1
                elif ch in "([{":
                    depth += 1
                elif ch in ")]}":
                    if depth == 0:
                        break
                    depth -= 1
                elif depth == 0 and (ch == ":" or (ch == "!" and body[j + 1:j + 2] != "=")):
                    break
                j += 1
            fields.append((body_start + start, body[start:j]))
            if j < n and body[j] in ":!":  # a format spec may hold nested fields: {x:{width}}
                k, depth2 = j, 0
                while k < n:
                    if body[k] == "{":
                        depth2 += 1
                        end = body.find("}", k)
                        if end < 0:
                            break
                        fields.append((body_start + k + 1, body[k + 1:end]))
                        k = end
                    elif body[k] == "}":
                        if depth2 == 0:
                            break
                        depth2 -= 1
                    k += 1
                j = k
            i = j + 1
        else:
            i += 1
    return fields


def _offsets(text, known):
    """Character offsets in ``text`` of each '-' to turn into '_'."""
    line_starts = [0]
    for line in text.splitlines(True):
        line_starts.append(line_starts[-1] + len(line))

    def at(pos):
        return line_starts[pos[0] - 1] + pos[1]

    tokens = list(_tokens(text))
    if any(t.type == tokenize.ERRORTOKEN and not t.string.isspace() for t in tokens):
        return []  # Python < 3.12 tokenizes on past an unterminated string: do not trust the rest
    found = [at(t.start) for run in _chains(tokens) for t in _fixes_in_run(run, known)]
    if _FSTRING_START is None:
        for tok in tokens:
            if tok.type == tokenize.STRING and "{" in tok.string:
                base = at(tok.start)
                for offset, code in _fstring_fields(tok.string):
                    if "-" not in code:
                        continue
                    try:
                        inner = _offsets("(" + code + ")", known)
                    except (tokenize.TokenError, SyntaxError):
                        continue
                    found.extend(base + offset + k - 1 for k in inner)
    return found


def candidates(text):
    """True when ``text`` may hold a hyphenated name (a cheap test before tokenizing)."""
    return re.search(r"[A-Za-z0-9_]-[A-Za-z_]", text) is not None


def fix(text, known):
    """``text`` with hyphenated names of ``known`` written with '_'; the same length, line for line.

    Returns ``(fixed_text, [(line_number, old_line, new_line), ...])``.
    Source that does not tokenize is returned as it is (compiling it will
    say why).
    """
    if not known or not candidates(text):
        return text, []
    try:
        offsets = sorted(set(_offsets(text, known)))
    except (tokenize.TokenError, SyntaxError):
        return text, []
    if not offsets:
        return text, []
    chars = list(text)
    for k in offsets:
        if chars[k] == "-":
            chars[k] = "_"
    fixed = "".join(chars)
    changes = []
    for lineno, (old, new) in enumerate(zip(text.splitlines(), fixed.splitlines()), 1):
        if old != new:
            changes.append((lineno, old, new))
    return fixed, changes
