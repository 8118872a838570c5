"""File format 2 across the languages (docs/FORMAT.md "Integrity" and "Versions"; issue 15
item 6): a file C++ writes is format 2 with a file id, and its HMACs follow the formula, so
Python reads it; a format-1 file (made here with sqlite3) upgraded by either language is read
by the other, damaged entries still failing in both; the test vector's digest comes out of
C++ too. These pass once both languages write format 2."""

from __future__ import annotations

import hashlib
import os
import unittest

from picklejar import IntegrityError, Session

from cpp import run_tool, tool_lines
from support import ScratchTest, meta, raw, snapshot, sql
from test_file_id import (VECTOR_DIGEST, VECTOR_FILE_ID, VECTOR_KEY, derived_key,
                          hmac_digest, make_format_1)

KEY = b"shared secret \x00\xff"


def cpp_error(*args: str) -> str:
    result = run_tool(*args, check=False)
    if result.returncode != 1:
        raise AssertionError(f"session_tool {args} did not fail: {result.stdout}")
    return result.stderr.strip()


class Format2AcrossTest(ScratchTest):
    def test_python_reads_a_format_2_file_cpp_wrote(self) -> None:
        run_tool("save", self.path(), "k", "7", "--key", KEY.hex())
        run_tool("save", self.path(), "n", "8", "--key", KEY.hex())
        rows = meta(self.path())
        self.assertEqual((rows["format_version"], rows["min_reader_version"]), (2, 2))
        self.assertRegex(rows["file_id"], "^[0-9a-f]{32}$")
        self.assertEqual(sql(self.path(), "PRAGMA user_version"), [(2,)])
        for name, data, digest in sql(self.path(), "SELECT key, pickle, digest FROM entries"):
            self.assertEqual(digest, hmac_digest(derived_key(KEY, rows["file_id"]), name, data))
        with Session(self.path(), integrity_key=KEY, mode="read_only") as s:
            self.assertEqual(dict(s), {"k": 7, "n": 8})
            self.assertEqual(s.info.file_id, rows["file_id"])

    def test_cpp_reads_a_format_2_file_python_wrote_and_refuses_moved_rows(self) -> None:
        for name in ("a.pj", "b.pj"):
            with Session(self.path(name), integrity_key=KEY) as s:
                s["role"] = 1 if name == "a.pj" else 2
                s["other"] = 3
        self.assertEqual(tool_lines("dump", self.path("a.pj"), "--key", KEY.hex(),
                                    "--read-only"), ["other\t3", "role\t1"])
        ((data, digest),) = sql(self.path("b.pj"),
                                "SELECT pickle, digest FROM entries WHERE key = 'role'")
        sql(self.path("a.pj"), "UPDATE entries SET pickle = ?, digest = ? WHERE key = 'role'",
            (data, digest))
        self.assertRegex(cpp_error("dump", self.path("a.pj"), "--key", KEY.hex(), "--read-only"),
                         "^IntegrityError: integrity check failed for key 'role'")

    def test_the_vector_from_cpp(self) -> None:
        with Session(self.path(), integrity_key=VECTOR_KEY):
            pass
        sql(self.path(), "UPDATE meta SET value = ? WHERE name = 'file_id'",
            (VECTOR_FILE_ID.hex(),))
        run_tool("save", self.path(), "greeting", "1", "--key", VECTOR_KEY.hex())
        ((name, data, digest),) = sql(self.path(), "SELECT key, pickle, digest FROM entries")
        file_key = derived_key(VECTOR_KEY, VECTOR_FILE_ID.hex())
        self.assertEqual(digest, hmac_digest(file_key, name, data))
        # the vector's own entry ("hello", protocol 4), signed by Python, verifies in C++
        db = raw(self.path())
        db.execute("UPDATE entries SET pickle = ?, digest = ?, protocol = 4",
                   (bytes.fromhex("80049509000000000000008c0568656c6c6f942e"),
                    bytes.fromhex(VECTOR_DIGEST)))
        db.close()
        self.assertEqual(tool_lines("dump", self.path(), "--key", VECTOR_KEY.hex(),
                                    "--read-only"), ["greeting\t'hello'"])


class UpgradeAcrossTest(ScratchTest):
    VALUES = {"good": [1, 2], "damaged": "x", "also good": {"a": None}}

    def assert_upgraded(self, key: bytes, old: dict) -> None:
        rows = meta(self.path())
        self.assertEqual((rows["format_version"], rows["min_reader_version"], rows["revision"]),
                         (2, 2, 4))
        new = {k: (d, g, r) for k, d, g, r in
               sql(self.path(), "SELECT key, pickle, digest, revision FROM entries")}
        for name in ("good", "also good"):
            data = old[name][0]
            expected = (hmac_digest(derived_key(key, rows["file_id"]), name, data) if key
                        else hashlib.sha256(data).digest())
            self.assertEqual(new[name], (data, expected, 4 if key else old[name][2]))
        self.assertEqual(new["damaged"], old["damaged"])

    def old_rows(self) -> dict:
        return {k: (d, g, r) for k, d, g, r in
                sql(self.path(), "SELECT key, pickle, digest, revision FROM entries")}

    def test_cpp_upgrades_and_python_reads(self) -> None:
        for key in (KEY, None):
            with self.subTest(hmac=key is not None):
                if os.path.exists(self.path()):
                    os.remove(self.path())
                make_format_1(self.path(), self.VALUES, key, damaged=["damaged"])
                old = self.old_rows()
                args = ("--key", key.hex()) if key else ()
                before = snapshot(self.path())
                self.assertRegex(cpp_error("dump", self.path(), "--read-only", *args),
                                 "^FormatError: .*must first be upgraded")
                self.assertEqual(snapshot(self.path()), before)
                self.assertRegex(cpp_error("dump", self.path(), *args),  # upgrades, then reads
                                 "^IntegrityError: integrity check failed for key 'damaged'")
                self.assert_upgraded(key, old)
                with Session(self.path(), integrity_key=key, mode="read_only") as s:
                    self.assertEqual((s["good"], s["also good"]), ([1, 2], {"a": None}))
                    with self.assertRaises(IntegrityError):
                        s["damaged"]

    def test_python_upgrades_and_cpp_reads(self) -> None:
        for key in (KEY, None):
            with self.subTest(hmac=key is not None):
                if os.path.exists(self.path()):
                    os.remove(self.path())
                make_format_1(self.path(), self.VALUES, key, damaged=["damaged"])
                old = self.old_rows()
                with Session(self.path(), integrity_key=key) as s:
                    self.assertEqual(s.info.format_version, 2)
                self.assert_upgraded(key, old)
                args = ("--key", key.hex()) if key else ()
                sql(self.path(), "DELETE FROM entries WHERE key = 'damaged'")
                self.assertEqual(tool_lines("dump", self.path(), "--read-only", *args),
                                 ["also good\t{'a': None}", "good\t[1, 2]"])


if __name__ == "__main__":
    unittest.main()
