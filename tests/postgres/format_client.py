"""A minimal client of docs/FORMAT-POSTGRES.md, with psycopg2 alone: every statement it sends
is one of the page's ```sql blocks, taken from the page itself, so the page cannot drift from
what the tests run. The decisions around the statements (which to run when, what to refuse)
follow the page's prose."""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import struct
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterable, List, Optional, Tuple

import psycopg2

READER_LAYOUT = 1  # the layout version this client implements
READER_FORMAT = 2  # the store (file) format version this client implements
HERE = os.path.dirname(os.path.abspath(__file__))
DOC = os.environ.get("PICKLEJAR_FORMAT_POSTGRES_DOC",
                     os.path.join(HERE, "..", "..", "docs", "FORMAT-POSTGRES.md"))

_BLOCK = re.compile(r"^ *```sql (\w+)\n(.*?)^ *```", re.S | re.M)
_PARAM = re.compile(r"\$(\d+)")


def doc_blocks(path: str = DOC) -> Dict[str, str]:
    """The page's named SQL blocks, name -> SQL text."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    blocks: Dict[str, str] = {}
    for name, sql in _BLOCK.findall(text):
        if name in blocks:
            raise AssertionError(f"FORMAT-POSTGRES.md: two sql blocks named {name}")
        blocks[name] = sql
    return blocks


BLOCKS = doc_blocks()
USED: set = set()


def run(cur, name: str, *params):
    """Runs the page's block `name` with $1, $2, ... bound to params (psycopg2 binds them
    client-side, escaping each value; the SQL text itself is never built from data)."""
    USED.add(name)
    sql = BLOCKS[name]
    if "%" in sql:
        raise AssertionError(f"block {name} has a literal %: psycopg2 would misread it")
    wanted = {int(n) for n in _PARAM.findall(sql)}
    if wanted != set(range(1, len(params) + 1)):
        raise AssertionError(f"block {name} takes ${sorted(wanted)}, given {len(params)}")
    if not params:
        cur.execute(sql)
    else:
        cur.execute(_PARAM.sub(lambda m: f"%(p{m.group(1)})s", sql),
                    {f"p{i}": p for i, p in enumerate(params, 1)})
    return cur


class FormatError(Exception):
    pass


class IntegrityError(Exception):
    pass


class LockTimeout(Exception):
    pass


def now_us() -> int:
    return time.time_ns() // 1000


def key_id(key: bytes) -> str:
    return hmac.new(key, b"picklejar key id", "sha256").digest()[:8].hex()


def digest(name: bytes, pickle: bytes, key: Optional[bytes],
           file_id: Optional[bytes] = None) -> bytes:
    """FORMAT.md's digest of an entry (name = the key's UTF-8 bytes): format 2's with the
    store's `file_id`, format 1's (signed with the key itself) without one."""
    if key is None:
        return hashlib.sha256(pickle).digest()
    if file_id is not None:
        key = hmac.new(key, b"picklejar file key" + bytes(file_id), "sha256").digest()
    return hmac.new(key, struct.pack(">I", len(name)) + name + pickle, "sha256").digest()


def connect(idle_timeout: str = "60s", **settings):
    """A connection set up as "Connecting" says (libpq's PG* variables fill in the rest), in
    autocommit mode: transactions are begun and ended by the page's own statements."""
    conn = psycopg2.connect(**settings)
    conn.autocommit = True
    run(conn.cursor(), "connection_settings", idle_timeout)
    return conn


def ensure_tables(conn, writable: bool = True) -> Tuple[int, int]:
    """Creates the tables when missing (under the advisory lock), then checks the layout."""
    cur = conn.cursor()
    if not run(cur, "layout_exists").fetchone()[0]:
        run(cur, "begin_write")
        try:
            run(cur, "layout_lock")
            if not run(cur, "layout_exists").fetchone()[0]:
                run(cur, "create_tables")
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
    version, min_reader = run(cur, "read_layout").fetchone()
    if version > READER_LAYOUT and READER_LAYOUT < min_reader:
        raise FormatError(f"tables of layout {version} need a reader of layout {min_reader}, "
                          f"this one reads {READER_LAYOUT}")
    if version > READER_LAYOUT and writable:
        raise FormatError(f"tables of layout {version}: this program writes layout "
                          f"{READER_LAYOUT}, and may only read them")
    return version, min_reader


STORE_COLUMNS = ("store_id", "file_id", "format_version", "min_reader_version",
                 "app_schema_version", "default_protocol", "revision", "purged_revision",
                 "created_us", "modified_us", "created_by", "writer_name", "writer_version",
                 "writer_app", "integrity_scheme", "key_id")
MAX_REVISION = 2**63 - 2
MAX_TIME = 9_223_372_036_854_775


@dataclass
class Store:
    name: str
    row: dict
    key: Optional[bytes] = None
    writable: bool = True

    @property
    def store_id(self) -> int:
        return self.row["store_id"]

    @property
    def file_id(self) -> bytes:
        return bytes(self.row["file_id"])


def check_row(name: str, values, key: Optional[bytes], writable: bool) -> dict:
    """The store row, checked as "Opening a store" says."""
    if values is None:
        raise FormatError(f"no store {name!r}")
    row = dict(zip(STORE_COLUMNS, values))
    if row["format_version"] > READER_FORMAT:
        if writable:
            raise FormatError(f"store {name!r} has format {row['format_version']}, this "
                              f"program writes format {READER_FORMAT}")
        if row["min_reader_version"] > READER_FORMAT:
            raise FormatError(f"store {name!r} has format {row['format_version']} and needs a "
                              f"reader of format {row['min_reader_version']}")
    if row["format_version"] < READER_FORMAT and not writable:
        raise FormatError(f"store {name!r} has format {row['format_version']}: it must first "
                          f"be upgraded to {READER_FORMAT} (open it writable)")
    ranges = [(row["format_version"] >= 1), (row["min_reader_version"] >= 1),
              (0 <= row["default_protocol"] <= 5), (0 <= row["revision"] <= MAX_REVISION),
              (0 <= row["purged_revision"] <= row["revision"]),
              all(abs(row[t]) <= MAX_TIME for t in ("created_us", "modified_us")),
              len(bytes(row["file_id"])) == 16]
    if not all(ranges):
        raise FormatError(f"store {name!r}: a value out of range in {row}")
    scheme, kid = row["integrity_scheme"], row["key_id"]
    if scheme == "sha256" and kid is None:
        if key is not None:
            raise IntegrityError(f"store {name!r} was written without an integrity key")
    elif scheme == "hmac-sha256" and kid is not None and re.fullmatch(r"[0-9a-f]{16}", kid):
        if key is None:
            raise IntegrityError(f"store {name!r} needs its integrity key {kid}")
        if key_id(key) != kid:
            raise IntegrityError(f"store {name!r} was written with key {kid}, not {key_id(key)}")
    else:
        raise FormatError(f"store {name!r}: integrity scheme {scheme!r} with key id {kid!r}")
    return row


def create_store(conn, name: str, key: Optional[bytes] = None, app_schema_version: int = 0,
                 file_id: Optional[bytes] = None) -> Optional[int]:
    """The new store's id, or None when the name was taken."""
    t = now_us()
    scheme, kid = ("sha256", None) if key is None else ("hmac-sha256", key_id(key))
    got = run(conn.cursor(), "create_store", name, file_id or os.urandom(16), app_schema_version,
              4, t, "format-test 1", "format-test", "1", "test_format_postgres", scheme,
              kid).fetchone()
    return None if got is None else got[0]


def open_store(conn, name: str, key: Optional[bytes] = None, writable: bool = True) -> Store:
    values = run(conn.cursor(), "read_store", name).fetchone()
    store = Store(name, check_row(name, values, key, writable), key, writable)
    if store.row["format_version"] < READER_FORMAT:
        upgrade(conn, store)
        store.row = check_row(name, run(conn.cursor(), "read_store", name).fetchone(), key,
                              writable)
    return store


def upgrade(conn, store: Store) -> None:
    """"Format 1 -> 2" of the page, under the row lock: entries that verify by format 1's
    rule are written again with their format-2 digest; the others keep theirs."""
    cur = conn.cursor()
    run(cur, "begin_write")
    try:
        run(cur, "write_settings", "5000ms", "on")
        row = check_row(store.name, run(cur, "lock_store", store.name).fetchone(), store.key,
                        True)
        if row["format_version"] != 1:  # another client upgraded it meanwhile
            cur.execute("ROLLBACK")
            return
        r, t, sid = row["revision"] + 1, now_us(), row["store_id"]
        signed = []
        for k, p, proto, d, _, _ in run(cur, "entries_since", sid, 0).fetchall():
            k, p, d = bytes(k), bytes(p), bytes(d)
            if store.key is not None and hmac.compare_digest(digest(k, p, store.key), d):
                signed.append((k, p, proto, digest(k, p, store.key, bytes(row["file_id"]))))
        if signed:
            run(cur, "put_entries", sid, [k for k, *_ in signed], [p for _, p, _, _ in signed],
                [proto for _, _, proto, _ in signed], [d for *_, d in signed], r, t)
        run(cur, "update_store", sid, r, row["purged_revision"], t, "format-test", "1",
            "upgrade", row["app_schema_version"], row["default_protocol"],
            row["integrity_scheme"], row["key_id"], 2, 2)
        run(cur, "notify", f"{sid}:{r}")
        cur.execute("COMMIT")
    except BaseException:
        cur.execute("ROLLBACK")
        raise


@dataclass
class Snapshot:
    revision: int
    entries: Dict[str, Tuple[bytes, int, bytes, int]] = field(default_factory=dict)
    erased: List[str] = field(default_factory=list)
    all_keys: Optional[List[str]] = None


def strict_key(store: str, raw) -> str:
    try:
        return bytes(raw).decode("utf-8")  # strict: no lone surrogates
    except UnicodeDecodeError as e:
        raise FormatError(f"store {store!r}: key {bytes(raw)!r} is not UTF-8 ({e})") from None


def verified(store: Store, name: str, pickle: bytes, stored: bytes) -> bytes:
    expected = digest(name.encode("utf-8"), pickle, store.key, store.file_id)
    if not hmac.compare_digest(expected, stored):
        raise IntegrityError(f"store {store.name!r}: entry {name!r} does not verify")
    return pickle


def read_changes(conn, store: Store, since: int) -> Snapshot:
    """One REPEATABLE READ READ ONLY snapshot: the entries and erasures since `since`."""
    cur = conn.cursor()
    run(cur, "begin_read")
    try:
        row = check_row(store.name, run(cur, "read_store", store.name).fetchone(), store.key,
                        store.writable)
        if row["format_version"] != store.row["format_version"]:
            raise FormatError(f"store {store.name!r} changed format while open")
        if bytes(row["file_id"]) != store.file_id:
            raise IntegrityError(f"store {store.name!r}: its file id changed while open")
        snap = Snapshot(row["revision"])
        if row["revision"] != since:
            for k, p, proto, d, rev, _ in run(cur, "entries_since", store.store_id, since):
                snap.entries[strict_key(store.name, k)] = (bytes(p), proto, bytes(d), rev)
            if since >= row["purged_revision"]:
                snap.erased = [strict_key(store.name, k) for k, _ in
                               run(cur, "tombstones_since", store.store_id, since)]
            else:
                snap.all_keys = [strict_key(store.name, k) for (k,) in
                                 run(cur, "all_keys", store.store_id)]
        cur.execute("COMMIT")
    except BaseException:
        cur.execute("ROLLBACK")
        raise
    return snap


Change = Dict[str, Optional[Tuple[bytes, int]]]  # key -> (pickle, protocol), None erases


def write(conn, store: Store, change: Optional[Change] = None, *, lock_timeout: str = "5000ms",
          durable: bool = True, under_lock: Optional[Callable[[object, dict], Change]] = None,
          row_changes: Optional[dict] = None) -> Optional[int]:
    """One write transaction as "Writing" says; the revision written, or None when nothing
    changed. `under_lock(cursor, row)` runs after the lock is taken (transact, migrations)
    and returns more changes."""
    cur = conn.cursor()
    run(cur, "begin_write")
    try:
        run(cur, "write_settings", lock_timeout, "on" if durable else "off")
        try:
            values = run(cur, "lock_store", store.name).fetchone()
        except psycopg2.errors.LockNotAvailable:
            raise LockTimeout(f"timed out waiting for the lock of store {store.name!r}") from None
        row = check_row(store.name, values, store.key, True)
        change = dict(change or {})
        if under_lock:
            change.update(under_lock(cur, row))
        r, t, sid = row["revision"] + 1, now_us(), row["store_id"]
        sets = [(name.encode("utf-8"), value) for name, value in change.items()
                if value is not None]
        gone = [name.encode("utf-8") for name, value in change.items() if value is None]
        wrote = False
        if sets:
            run(cur, "put_entries", sid, [k for k, _ in sets], [p for _, (p, _) in sets],
                [protocol for _, (_, protocol) in sets],
                [digest(k, p, store.key, bytes(row["file_id"])) for k, (p, _) in sets], r, t)
            run(cur, "drop_tombstones", sid, [k for k, _ in sets])
            wrote = True
        if gone and run(cur, "erase_entries", sid, gone, r).rowcount > 0:
            wrote = True
        updated = dict(row, **(row_changes or {}))
        if not wrote and not row_changes:
            cur.execute("ROLLBACK")
            return None
        purged = row["purged_revision"]
        if r - 10000 > purged and run(cur, "purge_tombstones", sid, r - 10000).rowcount > 0:
            purged = r - 10000
        run(cur, "update_store", sid, r, purged, t, "format-test", "1", "test_format_postgres",
            updated["app_schema_version"], updated["default_protocol"],
            updated["integrity_scheme"], updated["key_id"], updated["format_version"],
            updated["min_reader_version"])
        run(cur, "notify", f"{sid}:{r}")
        cur.execute("COMMIT")
        return r
    except BaseException:
        if not conn.closed:
            cur.execute("ROLLBACK")
        raise


def copy_entries(conn, store: Store, rows: Iterable[Tuple[str, bytes, int, bytes]],
                 file_id: bytes) -> int:
    """Writes (key, pickle, protocol, digest) rows as they are, digests included, and the
    source's `file_id` they are bound to, in one write transaction: how entries move from a
    file to a store."""
    cur = conn.cursor()
    run(cur, "begin_write")
    run(cur, "write_settings", "5000ms", "on")
    row = check_row(store.name, run(cur, "lock_store", store.name).fetchone(), store.key, True)
    r, t, sid = row["revision"] + 1, now_us(), row["store_id"]
    rows = [(name.encode("utf-8"), pickle, protocol, d) for name, pickle, protocol, d in rows]
    keys = [k for k, _, _, _ in rows]
    run(cur, "put_entries", sid, keys, [p for _, p, _, _ in rows],
        [protocol for _, _, protocol, _ in rows], [d for _, _, _, d in rows], r, t)
    run(cur, "drop_tombstones", sid, keys)
    run(cur, "update_store", sid, r, row["purged_revision"], t, "format-test", "1", "copy",
        row["app_schema_version"], row["default_protocol"], row["integrity_scheme"],
        row["key_id"], row["format_version"], row["min_reader_version"])
    run(cur, "set_file_id", sid, file_id)
    run(cur, "notify", f"{sid}:{r}")
    cur.execute("COMMIT")
    store.row = dict(row, file_id=file_id)
    return r
