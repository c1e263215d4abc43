"""An answers file read as YAML 1.2 (or JSON), keeping the line and column of every key and value.

Kept apart from the models so that reading a file costs no pydantic. The TUI refuses a file that
cannot be an answers file at all (``read_text``: no YAML parsed, so it costs nothing) before it
takes over the terminal; it parses the YAML and builds the models after its first paint, because
ruamel's import and parse (~18 ms) would otherwise delay that paint.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mabs_wizard.errors import InputError

MAX_ANSWERS_BYTES = 1_000_000  # an answers file is a few KB; anything huge is a mistake


@dataclass
class Document:
    """A parsed answers file: plain data plus the ruamel tree that knows positions."""

    path: Path
    data: Any
    tree: Any = None
    problems: list[str] = field(default_factory=list)

    @property
    def base_dir(self) -> Path:
        return self.path.resolve().parent

    def where(self, loc: tuple[Any, ...], at_key: bool = False) -> tuple[int, int, str]:
        """(line, col, dotted field path) for a pydantic error location, 1-based."""
        return _locate(self.tree, loc, at_key)

    def problem(self, loc: tuple[Any, ...], message: str, at_key: bool = False) -> str:
        line, col, dotted = self.where(loc, at_key)
        where = f"{dotted}: " if dotted else ""
        return f"{self.path}:{line}:{col}: {where}{message}"


def read_text(path: Path) -> str:
    """The file's text, or InputError if it cannot be an answers file at all (missing, a folder,
    huge, not UTF-8, binary, empty). No YAML is parsed: cheap enough to run before a TUI starts."""
    from mabs_wizard.fsutil import read_bounded

    raw = read_bounded(path, MAX_ANSWERS_BYTES, what="an answers file", missing=f"{path}: no such answers file",
                       too_large=f"{path}:1:1: file is larger than {MAX_ANSWERS_BYTES} bytes; not an answers file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}:1:1: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})") from None
    if "\x00" in text:
        raise InputError(f"{path}:1:1: contains NUL bytes; not a text answers file")
    if not text.strip():
        raise InputError(f"{path}:1:1: the file is empty; expected a mapping starting with 'version: 1'")
    return text


def read_document(path: Path) -> Document:
    """Parse the file; raise InputError (one problem, with position) if it is not a mapping."""
    tree = _parse(path, read_text(path))
    if not isinstance(tree, dict):
        kind = "a list" if isinstance(tree, list) else f"a {type(tree).__name__}"
        raise InputError(f"{path}:1:1: expected a mapping of sections (version, extraction, ...), found {kind}")
    return Document(path=path, data=_plain(tree), tree=tree)


def _parse(path: Path, text: str) -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    yaml = YAML(typ="rt")  # round-trip: keeps line/column of every node; YAML 1.2 semantics
    yaml.allow_duplicate_keys = False
    try:
        return yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = (exc.problem or exc.context or "invalid YAML").strip().replace("\n", " ")
        if "duplicate key" in str(exc):
            what = "duplicate key " + str(exc).split('found duplicate key "', 1)[-1].split('"', 1)[0].join("''")
        raise InputError(f"{path}:{line}:{col}: {what}") from None
    except YAMLError as exc:
        raise InputError(f"{path}:1:1: invalid YAML ({str(exc).splitlines()[0]})") from None
    except (ValueError, TypeError) as exc:  # ruamel raises these on some malformed scalars
        raise InputError(f"{path}:1:1: invalid YAML ({exc})") from None


def _plain(node: Any) -> Any:
    """ruamel's CommentedMap/Seq and scalar subclasses -> plain dict/list/str/int/... for pydantic."""
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, bool) or node is None:
        return node
    for kind in (int, float, str):
        if isinstance(node, kind):
            return kind(node)
    return str(node)  # dates, timestamps: let the models reject them as the wrong type


def _locate(tree: Any, loc: tuple[Any, ...], at_key: bool = False) -> tuple[int, int, str]:
    line, col = 0, 0  # ruamel positions are 0-based; converted on return
    node = tree
    shown: list[str] = []
    for i, key in enumerate(loc):
        lc = getattr(node, "lc", None)
        if isinstance(node, dict) and key in node:
            if lc is not None:
                child = node[key]
                # A non-empty nested mapping/list "starts" at its first item: point at the key.
                nested = isinstance(child, (dict, list)) and bool(child)
                line, col = lc.key(key) if nested or (at_key and i == len(loc) - 1) else lc.value(key)
            shown.append(str(key))
            node = node[key]
        elif isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
            if lc is not None:
                line, col = lc.item(key)
            shown.append(str(key))
            node = node[key]
        elif i == len(loc) - 1:
            shown.append(str(key))  # a missing or unknown field: its parent's position
        # else: a union tag or model name in pydantic's location, not a key of the file
    return line + 1, col + 1, ".".join(shown)
