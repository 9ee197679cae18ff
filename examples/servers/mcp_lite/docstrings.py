"""Docstrings (Google style, with Sphinx ":param x:" as a fallback)."""

from __future__ import annotations

import inspect
import re
import typing

_SECTION_RE = re.compile(
    r"^(Args|Arguments|Parameters|Params|Keyword Args|Keyword Arguments|Other Parameters|Returns?|Yields?|"
    r"Raises|Examples?|Notes?|Attributes|See Also|Warnings?|Warns|Todo|References)\s*:\s*$",
    re.IGNORECASE,
)
_ARG_SECTIONS = ("args", "arguments", "parameters", "params", "keyword args", "keyword arguments", "other parameters")
_ARG_LINE_RE = re.compile(r"^\*{0,2}([A-Za-z_][A-Za-z0-9_]*)\s*(?:\(([^)]*)\))?\s*:(?:\s+(.*))?$")
_SPHINX_PARAM_RE = re.compile(r"^:param\s+(?:[^:]*\s)?([A-Za-z_][A-Za-z0-9_]*)\s*:\s*(.*)$")


def parse_docstring(doc: typing.Optional[str]) -> typing.Tuple[str, typing.Dict[str, str]]:
    """Splits a docstring into (summary, {parameter: description})."""
    if not doc:
        return "", {}
    lines = inspect.cleandoc(doc).splitlines()
    summary: typing.List[str] = []
    params: typing.Dict[str, str] = {}
    section = None
    current = None
    entry_indent = None
    for raw in lines:
        stripped = raw.strip()
        indent = len(raw) - len(raw.lstrip())
        if indent == 0 and _SECTION_RE.match(stripped):
            section = stripped[:-1].strip().lower()
            current = None
            entry_indent = None
            continue
        sphinx = _SPHINX_PARAM_RE.match(stripped)
        if sphinx:
            section = "sphinx"
            current = sphinx.group(1)
            params[current] = sphinx.group(2).strip()
            continue
        if section is None:
            summary.append(raw)
            continue
        if section == "sphinx":
            if stripped.startswith(":"):
                current = None
            elif current and stripped:
                params[current] = (params[current] + " " + stripped).strip()
            elif not stripped:
                current = None
            continue
        if section not in _ARG_SECTIONS or not stripped:
            continue
        if entry_indent is None or indent <= entry_indent:
            m = _ARG_LINE_RE.match(stripped)
            if m:
                entry_indent = indent
                current = m.group(1)
                params[current] = (m.group(3) or "").strip()
                continue
        if current:
            params[current] = (params[current] + " " + stripped).strip()
    text = "\n".join(summary).strip()
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text, params


def _title(name: str) -> str:
    return " ".join(w.capitalize() for w in name.split("_") if w) or name
