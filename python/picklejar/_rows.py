"""Rows of the entries and tombstones tables as a session reads them (mirrors
lib/src/store/entry_rows.cpp): every column's type, and the range the session relies on, is
checked before it is converted, so a wrong-typed column is a FormatError naming the key and
the file — never a TypeError, and never ``bytes(2500000000)`` from an INTEGER "pickle"."""

from __future__ import annotations

from typing import Any, Tuple

from ._format import MAX_REVISION, MAX_TIME_US
from .errors import FormatError, printable

_SQL_TYPES = {int: "INTEGER", float: "REAL", str: "TEXT", bytes: "BLOB", type(None): "NULL"}


def _describe(value: Any) -> str:
    """A value that is not TEXT, as SQL would write it (a BLOB's first 16 bytes)."""
    if type(value) is int:
        return f"the INTEGER {value}"
    if type(value) is bytes:
        return f"the BLOB x'{value[:16].hex()}'{'...' if len(value) > 16 else ''}"
    return f"a {_SQL_TYPES.get(type(value), type(value).__name__)}"


def row_key(value: Any, table: str, path: str) -> str:
    """A key column's value: TEXT."""
    if type(value) is not str:
        raise FormatError(f"malformed row in table '{table}' of '{path}': its key is "
                          f"{_describe(value)}, not TEXT", path)
    return value


def _malformed(path: str, key: str, why: str) -> FormatError:
    return FormatError(f"malformed entry '{printable(key)}' in '{path}': {why}", path, key)


def _require(row: Tuple[Any, ...], column: int, kind: type, name: str, key: str,
             path: str) -> None:
    if type(row[column]) is not kind:
        raise _malformed(path, key, f"its {name} is {_SQL_TYPES.get(type(row[column]), '?')}, "
                                    f"not {_SQL_TYPES[kind]}")


def well_formed_entry(row: Tuple[Any, ...]) -> bool:
    """Whether an entries row (selected as entry_columns says) passes every check of
    row_key and entry_columns: one test for the common case, the precise error after it."""
    key, data, protocol, digest, revision, modified_us = row
    return (type(key) is str and type(data) is bytes and type(protocol) is int
            and type(digest) is bytes and type(revision) is int and type(modified_us) is int
            and 0 <= protocol <= 5 and 1 <= revision <= MAX_REVISION
            and -MAX_TIME_US <= modified_us <= MAX_TIME_US)


def entry_columns(row: Tuple[Any, ...], key: str, path: str) -> Tuple[bytes, bytes, int, int, int]:
    """(pickle, digest, protocol, revision, modified_us) of an entries row selected as "key,
    pickle, protocol, digest, revision, modified_us" whose key is ``key``."""
    _require(row, 1, bytes, "pickle", key, path)
    _require(row, 2, int, "protocol", key, path)
    _require(row, 3, bytes, "digest", key, path)
    _require(row, 4, int, "revision", key, path)
    _require(row, 5, int, "modified_us", key, path)
    _, data, protocol, digest, revision, modified_us = row
    if not 0 <= protocol <= 5:
        raise _malformed(path, key, f"its protocol {protocol} is not 0-5")
    if not 1 <= revision <= MAX_REVISION:
        raise _malformed(path, key, f"its revision {revision} is out of range (1 to "
                                    f"{MAX_REVISION})")
    if not -MAX_TIME_US <= modified_us <= MAX_TIME_US:
        raise _malformed(path, key, f"its modified_us {modified_us} is out of range "
                                    f"({-MAX_TIME_US} to {MAX_TIME_US})")
    return data, digest, protocol, revision, modified_us
