"""Helpers of the session-verb tests (test_cli_session*.py): running $PICKLEJAR_BIN, making
session files by docs/FORMAT.md alone ($PICKLEJAR_FORMAT_DOC) with python3's sqlite3,
planting and reading raw entries, and holding the lock file the way the doc's lock protocol
says. Everything the tests expect is computed here by CPython, never pasted."""
import contextlib
import fcntl
import hashlib
import hmac
import os
import pickle
import re
import sqlite3
import struct
import subprocess
import time

BIN = os.environ.get("PICKLEJAR_BIN")
APPLICATION_ID = 0x504A4152


def run(args, data=None, timeout=300, **kwargs):
    return subprocess.run([BIN] + list(args), input=data, capture_output=True, timeout=timeout,
                          **kwargs)


def doc(heading, language):
    """The first ```language block after the line `heading` in docs/FORMAT.md."""
    with open(os.environ["PICKLEJAR_FORMAT_DOC"], encoding="utf-8") as f:
        text = f.read()
    start = text.index("\n" + heading + "\n")
    match = re.compile(r"```" + language + r"\n(.*?)```", re.S).search(text, start)
    return match.group(1)


def digest(key, name, data, file_id=None):
    """An entry's digest by FORMAT.md's "Integrity" formulas: format 2's, signed with the key
    derived from `key` and `file_id` (the meta row's hex or the 16 bytes), or format 1's
    without a file id."""
    if key is None:
        return hashlib.sha256(data).digest()
    if file_id is not None:
        raw = bytes.fromhex(file_id) if isinstance(file_id, str) else bytes(file_id)
        key = hmac.new(key, b"picklejar file key" + raw, "sha256").digest()
    encoded = name.encode("utf-8")
    return hmac.new(key, struct.pack(">I", len(encoded)) + encoded + data, "sha256").digest()


def file_digest(path, key, name, data):
    """`name`'s digest in the session file `path`, bound to its file_id (format 2)."""
    return digest(key, name, data, meta(path).get("file_id"))


def key_id(key):
    return hmac.new(key, b"picklejar key id", "sha256").digest()[:8].hex()


def make_session(path, pickles, key=None, protocol=4, format_version=2, min_reader_version=None):
    """A session file made by FORMAT.md alone: its schema and meta rows (format 1: no file_id,
    digests signed with the key itself), then one write transaction of `pickles` ({key: pickle
    bytes}, or {key: (pickle bytes, protocol)})."""
    if min_reader_version is None:
        min_reader_version = min(format_version, 2)
    file_id = os.urandom(16) if format_version >= 2 else None
    now = time.time_ns() // 1000
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("BEGIN IMMEDIATE")
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    db.execute(f"PRAGMA user_version = {format_version}")
    for statement in doc("## Schema", "sql").split(";"):
        if statement.strip():
            db.execute(statement)
    meta = {"format_version": format_version, "min_reader_version": min_reader_version,
            "app_schema_version": 0, "default_protocol": protocol, "revision": 0,
            "purged_revision": 0, "created_us": now, "modified_us": now,
            "created_by": "cli-test 1", "writer_name": "cli-test", "writer_version": "1",
            "writer_app": "tests", "integrity_scheme": "sha256" if key is None else "hmac-sha256",
            "key_id": None if key is None else key_id(key)}
    if file_id is not None:
        meta["file_id"] = file_id.hex()
    db.executemany("INSERT INTO meta (name, value) VALUES (?, ?)", meta.items())
    db.execute("COMMIT")
    db.execute("BEGIN IMMEDIATE")
    rows = []
    for name, data in pickles.items():
        data, entry_protocol = data if isinstance(data, tuple) else (data, protocol)
        rows.append((name, data, entry_protocol, digest(key, name, data, file_id), 1, now))
    db.executemany("INSERT INTO entries (key, pickle, protocol, digest, revision, modified_us) "
                   "VALUES (?, ?, ?, ?, ?, ?)", rows)
    db.execute("UPDATE meta SET value = 1 WHERE name = 'revision'")
    db.execute("COMMIT")
    db.close()


def connect(path):
    return sqlite3.connect(path, isolation_level=None)


def plant(path, name, data, key=None, digest_bytes=None):
    """Writes an entry directly with SQLite (no lock, no revision bump: what a careless or
    hostile writer does), with a correct digest unless `digest_bytes` is given."""
    db = connect(path)
    with contextlib.closing(db):
        db.execute("INSERT OR REPLACE INTO entries (key, pickle, protocol, digest, revision, "
                   "modified_us) VALUES (?, ?, 4, ?, 1, 0)",
                   (name, data, digest_bytes or file_digest(path, key, name, data)))


def rows(path):
    """{key: (pickle, protocol, digest, revision, modified_us)} read with sqlite3."""
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        return {r[0]: r[1:] for r in db.execute(
            "SELECT key, pickle, protocol, digest, revision, modified_us FROM entries")}


def meta(path):
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        return dict(db.execute("SELECT name, value FROM meta"))


def values(path):
    """Every entry, unpickled by CPython (the tests' files hold only plain data)."""
    return {name: pickle.loads(row[0]) for name, row in rows(path).items()}


def file_state(path):
    """The bytes of a file and of its -wal, to check nothing was written. A missing -wal and
    an empty one are the same state (SQLite reads neither): SQLite's read-only connections
    leave an empty -wal (and -shm) behind when they close a WAL-mode file."""
    state = []
    for suffix in ("", "-wal"):
        try:
            with open(path + suffix, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            data = None
        state.append(hashlib.sha256(data).hexdigest() if data else None)
    return tuple(state)


@contextlib.contextmanager
def holding_lock(path, exclusive=True):
    """Holds the session's lock file as FORMAT.md's "Lock protocol" says (fcntl.lockf on
    path + ".lock", the whole file) in this process; picklejar runs in another."""
    fd = os.open(path + ".lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH, 0, 0, os.SEEK_SET)
        yield
    finally:
        os.close(fd)  # releases the lock


def one_line_error(test, result, status, *parts):
    """`status`, nothing on stdout, one stderr line starting "picklejar " holding every part."""
    test.assertEqual(result.returncode, status, result)
    test.assertEqual(result.stdout, b"", result)
    err = result.stderr.decode("utf-8")
    test.assertTrue(err.startswith("picklejar "), err)
    test.assertTrue(err.endswith("\n"), err)
    test.assertEqual(err.count("\n"), 1, err)
    for part in parts:
        test.assertIn(part, err)
    return err
