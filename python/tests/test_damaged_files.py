"""Damaged and hostile rows: every error the package raises is a PicklejarError — a column of
the wrong type, a meta integer out of range, SQLite's own words about a damaged schema (even
when they are not UTF-8), a corpus of byte-flipped files — and messages embedding keys show
control characters escaped, as the C++ command does."""

from __future__ import annotations

import hashlib
import os
import pickle
import random
import shutil
import sqlite3
import sys
import tempfile
import tracemalloc
import unittest
from typing import Any, Sequence

from picklejar import (ConflictError, DecodeError, EncodeError, FormatError, IntegrityError,
                       PicklejarError, Session)

from support import ScratchTest, raw, sql

_LOOSE_ENTRIES = ("CREATE TABLE entries (key PRIMARY KEY, pickle, protocol, digest, "
                  "revision, modified_us)")
_LOOSE_TOMBSTONES = "CREATE TABLE tombstones (key PRIMARY KEY NOT NULL, revision) WITHOUT ROWID"


def plant(path: str, table: str, values: Sequence[Any]) -> None:
    """Inserts a row of any types into `table`, as a damaged or hostile file holds one: the
    table's types and CHECK constraints are lifted for the insert and then put back, so the
    schema stays the format's."""
    loose = _LOOSE_ENTRIES if table == "entries" else _LOOSE_TOMBSTONES
    ((original,),) = sql(path, "SELECT sql FROM sqlite_master WHERE name = ?", (table,))
    for text in (loose, None):
        db = raw(path)
        if text is None:
            db.execute(f"INSERT INTO {table} VALUES ({', '.join('?' * len(values))})", values)
            text = original
        db.execute("PRAGMA writable_schema = ON")
        db.execute("UPDATE sqlite_master SET sql = ? WHERE name = ?", (text, table))
        db.close()


class DamagedRowsTest(ScratchTest):
    def setUp(self) -> None:
        super().setUp()
        with Session(self.path(), filesystem="network") as s:
            s.update({"a": [1, 2], "b": "text"})
            s.save()
        self.digest = sql(self.path(), "SELECT digest FROM entries WHERE key = 'a'")[0][0]

    def assert_format_error(self, *parts: str, key: Any = None) -> FormatError:
        with self.assertRaises(FormatError) as caught:
            Session(self.path(), mode="read_only")
        for part in (self.path(), *parts):
            self.assertIn(part, str(caught.exception))
        self.assertEqual(caught.exception.key, key)
        return caught.exception

    def test_wrong_typed_columns_name_key_and_file(self) -> None:
        good = pickle.dumps(1, 4)
        cases = [
            (("k", "a text pickle", 4, self.digest, 1, 0), "its pickle is TEXT, not BLOB"),
            (("k", None, 4, self.digest, 1, 0), "its pickle is NULL, not BLOB"),
            (("k", good, 4, "a text digest", 1, 0), "its digest is TEXT, not BLOB"),
            (("k", good, 4, None, 1, 0), "its digest is NULL, not BLOB"),
            (("k", good, "4", self.digest, 1, 0), "its protocol is TEXT, not INTEGER"),
            (("k", good, 99, self.digest, 1, 0), "its protocol 99 is not 0-5"),
            (("k", good, 4, self.digest, 2.5, 0), "its revision is REAL, not INTEGER"),
            (("k", good, 4, self.digest, 1, 1 << 62), "its modified_us 4611686018427387904 is "
                                                      "out of range"),
        ]
        for row, message in cases:
            with self.subTest(message):
                self.setUp()
                plant(self.path(), "entries", row)
                self.assert_format_error(f"malformed entry 'k' in '{self.path()}': {message}",
                                         key="k")

    def test_keys_that_are_not_text(self) -> None:
        for key, shown in ((42, "the INTEGER 42"), (b"k\x00", "the BLOB x'6b00'"),
                           (None, "a NULL"), (1.5, "a REAL")):
            with self.subTest(shown):
                self.setUp()
                plant(self.path(), "entries", (key, pickle.dumps(1, 4), 4, self.digest, 1, 0))
                self.assert_format_error(f"malformed row in table 'entries' of '{self.path()}': "
                                         f"its key is {shown}, not TEXT")

    def test_an_integer_pickle_of_2500000000_allocates_nothing(self) -> None:
        plant(self.path(), "entries", ("k", 2500000000, 4, self.digest, 1, 0))
        tracemalloc.start()
        try:
            self.assert_format_error("its pickle is INTEGER, not BLOB", key="k")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        self.assertLess(peak, 16 << 20)  # main: bytes(2500000000), 2.4 GB, then 10-20 s of SHA-256

    def test_a_bad_row_written_after_the_open_fails_load_alone(self) -> None:
        with Session(self.path()) as s:
            plant(self.path(), "tombstones", (b"gone", 5))
            plant(self.path(), "entries", ("k", "text", 4, self.digest, 5, 0))
            sql(self.path(), "UPDATE meta SET value = 5 WHERE name = 'revision'")
            with self.assertRaisesRegex(FormatError, "malformed"):
                s.load()
            self.assertEqual(s["a"], [1, 2])  # the session is as it was

    def test_meta_integers_out_of_range(self) -> None:
        cases = (
            ("revision", (1 << 63) - 1, "meta row 'revision' is out of range (allowed: 0 to "
                                        "9223372036854775806)"),
            ("revision", -1, "meta row 'revision' is out of range"),
            ("purged_revision", 5, "meta row 'purged_revision' (5) is above 'revision' (1)"),
            ("default_protocol", 99, "meta row 'default_protocol' is out of range (allowed: 0 "
                                     "to 5)"),
            ("created_us", 1 << 62, "meta row 'created_us' is out of range"),
            ("modified_us", -(1 << 62), "meta row 'modified_us' is out of range"),
        )
        for name, value, message in cases:
            with self.subTest(name=name, value=value):
                self.setUp()
                sql(self.path(), "UPDATE meta SET value = ? WHERE name = ?", (value, name))
                self.assert_format_error(message)
                with self.assertRaises(FormatError):  # writers too (main: OverflowError)
                    with Session(self.path()) as s:
                        s["x"] = 1
                        s.save()

    def test_sqlite_messages_that_are_not_utf8(self) -> None:
        # A schema whose text holds bytes that are not UTF-8: SQLite's message about it quotes
        # them, which Python's sqlite3 cannot decode (main: UnicodeDecodeError).
        db = raw(self.path())
        db.execute("PRAGMA writable_schema = ON")
        db.execute("UPDATE sqlite_master SET sql = CAST(x'435245415445205441424c45' || "
                   "CAST(name AS BLOB) || x'ff28' AS TEXT) WHERE name = 'tombstones_revision'")
        db.close()
        with self.assertRaises(PicklejarError) as caught:
            Session(self.path(), mode="read_only")
        self.assertIn(self.path(), str(caught.exception))
        if sys.version_info >= (3, 11):  # before, sqlite3 dropped such a message altogether
            self.assertIn("malformed database schema", str(caught.exception))
            self.assertIn("\\xff", str(caught.exception))


class ControlCharactersTest(ScratchTest):
    KEY = "\x1b]0;pwned\x07\n"
    SHOWN = "\\x1b]0;pwned\\x07\\x0a"

    def assert_escaped(self, error: BaseException) -> None:
        text = str(error)
        self.assertIn(f"'{self.SHOWN}'", text)
        self.assertFalse(any(ord(c) < 0x20 or ord(c) == 0x7F for c in text), repr(text))

    def test_messages_embedding_keys(self) -> None:
        with Session(self.path()) as s:
            s[self.KEY] = 1
            s.save()
            with self.assertRaises(EncodeError) as caught:
                s[self.KEY] = lambda: None
            self.assert_escaped(caught.exception)
        sql(self.path(), "UPDATE entries SET pickle = x'80044b022e'")  # digest no longer matches
        with Session(self.path()) as s:
            with self.assertRaises(IntegrityError) as caught:
                s[self.KEY]
            self.assert_escaped(caught.exception)
            self.assertEqual(caught.exception.key, self.KEY)  # the attribute keeps the key
        sql(self.path(), "UPDATE entries SET pickle = x'80', digest = ?",
            (hashlib.sha256(b"\x80").digest(),))
        with Session(self.path()) as s:
            with self.assertRaises(DecodeError) as caught:
                s[self.KEY]
            self.assert_escaped(caught.exception)
            other = Session(self.path())
            other[self.KEY] = 2
            other.save()
            other.close()
        with Session(self.path(), conflicts="strict") as s, Session(self.path()) as t:
            s[self.KEY] = 3
            t[self.KEY] = 4
            t.save()
            with self.assertRaises(ConflictError) as caught:
                s.save()
            self.assert_escaped(caught.exception)
            s.discard()  # (leaving the block would save again)


class ByteFlipTest(ScratchTest):
    FLIPS = 300

    def setUp(self) -> None:
        super().setUp()
        # 600 opens for writing cost an fsync each (~20 ms on a virtual disk): where a RAM
        # file system exists, the corpus lives there. The test is about errors, not durability.
        if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
            self.dir = tempfile.mkdtemp(prefix="picklejar-py-flips-", dir="/dev/shm")
            self.addCleanup(shutil.rmtree, self.dir, True)

    def test_byte_flipped_files_raise_only_picklejar_errors(self) -> None:
        original = self.path("original.pj")
        with Session(original, filesystem="network") as s:  # one file, no WAL
            s.update({f"key{i}": {"n": i, "text": "x" * (i * 40), "list": list(range(i))}
                      for i in range(12)})
            s.save()
            del s["key3"]
            s.save()
        with open(original, "rb") as f:
            data = f.read()
        rng = random.Random(14)
        outcomes = {"opened": 0}
        for flip in range(self.FLIPS):
            damaged = bytearray(data)
            offset = rng.randrange(len(damaged))
            damaged[offset] ^= 1 << rng.randrange(8)
            path = self.path(f"flip{flip}.pj")
            with open(path, "wb") as f:
                f.write(damaged)
            for mode in ("read_only", "read_write"):
                try:
                    self.exercise(path, mode)
                    outcomes["opened"] += 1
                except PicklejarError as e:
                    outcomes[type(e).__name__] = outcomes.get(type(e).__name__, 0) + 1
                except BaseException as e:  # noqa: B902 - the point of the test
                    self.fail(f"flip {flip} (offset {offset}), {mode}: {type(e).__name__}: {e}")
            for suffix in ("", "-journal", "-wal", "-shm", ".lock"):
                if os.path.exists(path + suffix):
                    os.remove(path + suffix)
        print(f"\n{self.FLIPS} byte flips x 2 modes: {outcomes}", file=sys.stderr)
        self.assertGreater(outcomes["opened"], 0)
        self.assertGreater(sum(outcomes.values()) - outcomes["opened"], 0)

    @staticmethod
    def exercise(path: str, mode: str) -> None:
        """Everything a reader does, and a save when writable; PicklejarError or success."""
        with Session(path, mode=mode, lock_timeout=5, durability="fast") as s:
            for key in s:
                try:
                    s[key]
                except (IntegrityError, DecodeError):
                    pass  # a damaged entry fails alone
                s.entry_info(key)
                s.find_pickle(key, verify=False)
            s.info
            s.check_database()
            s.load()
            if mode == "read_write":
                s["new"] = 1
                s.save()


if __name__ == "__main__":
    unittest.main()


class TornCheckpointTest(ScratchTest):
    def test_a_file_torn_by_a_checkpoint_its_wal_whole_opens_and_reads(self) -> None:
        # A writer killed while checkpointing leaves the file's own pages of two states; its
        # WAL is whole and readers read through it. The first look reads the file alone and
        # must not call it damaged.
        path = self.path()
        with Session(path) as s:
            for i in range(200):
                s[f"k{i:03}"] = chr(ord("a") + i % 26) * 500
        keeper = sqlite3.connect(path)  # open meanwhile: its WAL is not checkpointed away
        self.addCleanup(keeper.close)
        keeper.execute("PRAGMA journal_mode = WAL")
        keeper.execute("PRAGMA wal_autocheckpoint = 0")
        keeper.execute("VACUUM")  # every page of the file again, in the WAL
        size = os.path.getsize(path)
        self.assertGreater(size, 4096)
        with open(path, "r+b") as f:  # all but the header: a half-copied file
            f.seek(100)
            f.write(b"\xff" * (size - 100))
        for mode in ("read_only", "read_write"):
            with self.subTest(mode=mode), Session(path, mode=mode) as s:
                self.assertEqual(len(s), 200)
                self.assertEqual(s["k025"], "z" * 500)
