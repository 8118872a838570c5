"""What a session file's schema may hold (docs/FORMAT.md "Schema" and "Hardening"; mirrors
lib/src/store/schema_check.cpp): the objects of its format version, exactly, plus tables the
format does not know; never a trigger, a view, a virtual table, a generated column or an index
over an expression. The check reads only sqlite_master and the schema PRAGMAs, so nothing a
hostile file defines runs before it has passed."""

from __future__ import annotations

import re
import sqlite3
from typing import Dict, List, NamedTuple, Optional, Set, Tuple

from .errors import FormatError


class SchemaObject(NamedTuple):
    """One object of a file format's schema, as sqlite_master lists it."""

    type: str  # "table" or "index"
    name: str
    table: str  # the table an index belongs to; a table's own name
    sql: Optional[str]  # the CREATE statement; None for an index SQLite makes itself


# docs/FORMAT.md "Schema" holds the same statements (tests compare the two). A new format
# version adds its list here.
_FORMAT_1 = (
    SchemaObject("table", "meta", "meta", """CREATE TABLE meta (
  name TEXT PRIMARY KEY NOT NULL,
  value
) WITHOUT ROWID"""),
    SchemaObject("table", "entries", "entries", """CREATE TABLE entries (
  key TEXT PRIMARY KEY NOT NULL CHECK (typeof(key) = 'text'),
  pickle BLOB NOT NULL CHECK (typeof(pickle) = 'blob'),
  protocol INTEGER NOT NULL CHECK (typeof(protocol) = 'integer'),
  digest BLOB NOT NULL CHECK (typeof(digest) = 'blob' AND length(digest) = 32),
  revision INTEGER NOT NULL CHECK (typeof(revision) = 'integer' AND revision >= 1),
  modified_us INTEGER NOT NULL
)"""),
    SchemaObject("index", "sqlite_autoindex_entries_1", "entries", None),  # its PRIMARY KEY
    SchemaObject("index", "entries_revision", "entries",
                 "CREATE INDEX entries_revision ON entries (revision)"),
    SchemaObject("table", "tombstones", "tombstones", """CREATE TABLE tombstones (
  key TEXT PRIMARY KEY NOT NULL,
  revision INTEGER NOT NULL
) WITHOUT ROWID"""),
    SchemaObject("index", "tombstones_revision", "tombstones",
                 "CREATE INDEX tombstones_revision ON tombstones (revision)"),
)
# Format 2 changed the digests and added a meta row, not the schema.
_FORMATS: Dict[int, Tuple[SchemaObject, ...]] = {1: _FORMAT_1, 2: _FORMAT_1}


def format_objects(version: int) -> Tuple[SchemaObject, ...]:
    """The objects of file format ``version`` in the order a new file creates them; empty for
    a version this module does not know."""
    return _FORMATS.get(version, ())


# Quoted text (kept as is; an unterminated quote runs to the end), as split() separators.
_QUOTED = re.compile(r"""('[^']*(?:'|$)|"[^"]*(?:"|$)|`[^`]*(?:`|$)|\[[^\]]*(?:\]|$))""")
_SPACES = re.compile(r"[ \t\n\r\f]+")
_TIGHT = re.compile(r" ?([(),]) ?")


def normalize_sql(sql: str) -> str:
    """The form in which SQL texts are compared (docs/FORMAT.md "Hardening"): outside quotes
    ('...', "...", `...`, [...]), each run of whitespace becomes one space, and whitespace
    next to '(', ')' or ',' and at either end is dropped. Nothing else changes."""
    parts = _QUOTED.split(sql)  # text, quoted, text, quoted, ..., text
    for i in range(0, len(parts), 2):
        parts[i] = _TIGHT.sub(r"\1", _SPACES.sub(" ", parts[i]))
    parts[0] = parts[0].lstrip(" ")
    parts[-1] = parts[-1].rstrip(" ")
    return "".join(parts)


# The format's SQL, normalized once.
_NORMALIZED = {id(o): None if o.sql is None else normalize_sql(o.sql)
               for objects in _FORMATS.values() for o in objects}


# How bad a problem is: what may run or cost is named first (in FormatError's message too).
_HOSTILE, _FOREIGN, _MISSING = 0, 1, 2


class _Problems:
    """The problems found so far, one per object, most severe first."""

    def __init__(self) -> None:
        self._reported: Set[Tuple[str, str]] = set()
        self._lines: List[Tuple[int, str]] = []

    def add(self, severity: int, type_: str, name: str, table: str, why: str) -> None:
        if (type_, name) in self._reported:
            return
        self._reported.add((type_, name))
        on = f" on table '{table}'" if type_ not in ("table", "view") and table else ""
        self._lines.append((severity, f"{type_} '{name}'{on}: {why}"))

    def has(self, type_: str, name: str) -> bool:
        return (type_, name) in self._reported

    def has_name(self, name: str) -> bool:
        return any(_same_name(seen, name) for _, seen in self._reported)

    def lines(self) -> List[str]:
        return [line for _, line in sorted(self._lines, key=lambda item: item[0])]


def _same_name(a: str, b: str) -> bool:
    """SQLite compares identifiers ignoring ASCII case."""
    return a.encode().lower() == b.encode().lower()


def _is_utf8(data: bytes) -> bool:
    try:
        bytes(data).decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def _starts_with(sql: str, prefix: str) -> bool:
    return _same_name(sql[:len(prefix)], prefix)


class _Row(NamedTuple):
    type: str
    name: str
    table: str
    sql: Optional[str]  # normalized


def _forbidden_kind(row: _Row) -> str:
    """What no format ever holds, judged from the row alone; "" when the row may stay."""
    sql = row.sql or ""
    if row.type == "trigger":
        return "triggers are never part of a session file"
    if row.type == "view":
        return "views are never part of a session file"
    if row.type == "table":
        if _starts_with(sql, "CREATE TABLE "):
            return ""
        if _starts_with(sql, "CREATE VIRTUAL TABLE "):
            return "virtual tables are never part of a session file"
        return "its SQL is not a CREATE TABLE statement"
    if row.type == "index":
        if row.sql is None:
            return "" if row.name.startswith("sqlite_autoindex_") else "an index without SQL"
        if _starts_with(sql, "CREATE INDEX ") or _starts_with(sql, "CREATE UNIQUE INDEX "):
            return ""
        return "its SQL is not a CREATE INDEX statement"
    return "an unknown kind of schema object"


def _find(objects: Tuple[SchemaObject, ...], name: str) -> Optional[SchemaObject]:
    return next((o for o in objects if _same_name(o.name, name)), None)


def _matches(row: _Row, known: SchemaObject) -> bool:
    sql = _NORMALIZED[id(known)]
    return (row.type, row.name, row.table, row.sql) == (known.type, known.name, known.table, sql)


def _check_table(db: sqlite3.Connection, table: str, objects: Tuple[SchemaObject, ...],
                 out: _Problems) -> None:
    """Generated columns of a table, and its indexes: over expressions or partial anywhere,
    and on a table of the format only the format's own."""
    for name, hidden in db.execute("SELECT name, hidden FROM pragma_table_xinfo(?)", (table,)):
        if hidden in (2, 3):
            out.add(_HOSTILE, "table", table, "",
                    f"column '{name}' is a generated column, which no session file has")
            break
    ours = _find(objects, table) is not None
    indexes = db.execute("SELECT name, partial, origin FROM pragma_index_list(?)",
                         (table,)).fetchall()
    for index, partial, origin in indexes:
        known = _find(objects, index)
        if ours and origin == "c" and (known is None or known.table != table):
            out.add(_FOREIGN, "index", index, table,
                    "no index but the format's may be on its tables")
        if partial:
            out.add(_HOSTILE, "index", index, table,
                    "a partial index (WHERE), which no session file has")
        (expressions,) = db.execute("SELECT count(*) FROM pragma_index_xinfo(?) "
                                    "WHERE key AND cid = -2", (index,)).fetchone()
        if expressions:
            out.add(_HOSTILE, "index", index, table,
                    "it indexes an expression, which no session file does")


def problems(db: sqlite3.Connection, version: int) -> List[str]:
    """Every object of ``db``'s schema the format does not allow, and every object of the
    format the schema lacks: one line each, "<type> '<name>'[ on table '<table>']: <why>".
    Exact for a format version format_objects() knows; for a newer one only the rules every
    format keeps. Runs inside the caller's transaction; sqlite3.Error when SQLite fails."""
    objects = format_objects(version)
    out = _Problems()
    rows = []
    found: Set[str] = set()
    tables = []  # of the format, as created
    # As bytes: a damaged or hostile schema's text need not be UTF-8.
    for fields in db.execute("SELECT CAST(type AS BLOB), CAST(name AS BLOB), "
                             "CAST(tbl_name AS BLOB), CAST(sql AS BLOB) FROM sqlite_master"):
        t, n, tbl, text = (None if f is None else bytes(f).decode("utf-8", "backslashreplace")
                           for f in fields)
        known = _find(objects, n or "")
        if known is not None and (t, n, tbl, text) == tuple(known):  # as created: the usual
            found.add(known.name)
            tables += [known.name] if known.type == "table" else []
            continue
        row = _Row(t or "", n or "", tbl or "", None if text is None else normalize_sql(text))
        if any(f is not None and not _is_utf8(f) for f in fields[:3]):
            out.add(_HOSTILE, row.type, row.name, row.table, "its name is not UTF-8")
        else:
            rows.append(row)
    for row in rows:
        why = _forbidden_kind(row)
        if why:
            out.add(_HOSTILE, row.type, row.name, row.table, why)
            continue
        known = _find(objects, row.name)
        if known is not None:
            found.add(known.name)
            if not _matches(row, known):
                out.add(_FOREIGN, row.type, row.name, row.table,
                        "it differs from its definition in docs/FORMAT.md (or has a format "
                        "object's name)")
    tables += [row.name for row in rows if row.type == "table" and not out.has("table", row.name)]
    for table in tables:
        _check_table(db, table, objects, out)
    for known in objects:
        if known.name not in found and not out.has_name(known.name):
            out.add(_MISSING, known.type, known.name, known.table, "missing")
    return out.lines()


def check(db: sqlite3.Connection, path: str, version: int) -> None:
    """FormatError naming ``path`` and the first problem problems() finds, if any."""
    found = problems(db, version)
    if found:
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise FormatError(f"cannot open '{path}': its schema is not a session file's: "
                          f"{found[0]}{more}", path)
