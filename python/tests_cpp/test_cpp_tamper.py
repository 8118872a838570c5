"""Tampered and hostile files are refused by both languages: a flipped byte fails the digest,
a wrong or missing HMAC key is refused at open, an entry moved to another key fails its HMAC,
a planted os.system pickle runs nowhere (a marker file proves it), and files that are not
sessions (or too new to write) are left untouched by both."""

from __future__ import annotations

import hashlib
import os
import unittest

from picklejar import ForbiddenGlobal, FormatError, IntegrityError, Session
from picklejar._integrity import key_id

from cpp import run_tool, tool_lines
from support import ScratchTest, raw, snapshot

KEY = b"shared secret \x00\xff"


def flip_byte(path: str, key: str) -> None:
    db = raw(path)
    (data,) = db.execute("SELECT pickle FROM entries WHERE key = ?", (key,)).fetchone()
    db.execute("UPDATE entries SET pickle = ? WHERE key = ?",
               (data[:-2] + bytes([data[-2] ^ 1]) + data[-1:], key))
    db.close()


class TamperTest(ScratchTest):
    def cpp_error(self, *args: str) -> str:
        result = run_tool(*args, check=False)
        self.assertEqual(result.returncode, 1, result.stdout)
        return result.stderr.strip()

    def test_a_flipped_byte_fails_in_both(self) -> None:
        with Session(self.path()) as s:
            s["bad"], s["good"] = "value", "value"
            s.save()
        flip_byte(self.path(), "bad")
        with Session(self.path()) as s:
            self.assertEqual(s["good"], "value")
            with self.assertRaises(IntegrityError):
                s["bad"]
        self.assertRegex(self.cpp_error("dump", self.path()),
                         r"^IntegrityError: integrity check failed for key 'bad' in '.*s.pj': "
                         "its SHA-256 does not match its pickle$")

    def test_hmac_keys_agree_and_mismatches_are_refused_by_both(self) -> None:
        run_tool("save", self.path(), "k", "1", "--key", KEY.hex())
        with Session(self.path(), integrity_key=KEY) as s:
            self.assertEqual(s["k"], 1)
            self.assertEqual(s.info.key_id, key_id(KEY))
            s["p"] = 2
            s.save()
        self.assertEqual(tool_lines("dump", self.path(), "--key", KEY.hex()), ["k\t1", "p\t2"])
        before = snapshot(self.path())
        wrong = b"wrong"
        for options, cpp_args, message in (
            ({}, (), f"written with an integrity key .key id {key_id(KEY)}. and none was given"),
            ({"integrity_key": wrong}, ("--key", wrong.hex()),
             f"another integrity key .key id {key_id(KEY)}, the given key's is "
             f"{key_id(wrong)}"),
        ):
            with self.subTest(options):
                with self.assertRaisesRegex(IntegrityError, message):
                    Session(self.path(), **options)
                self.assertRegex(self.cpp_error("dump", self.path(), *cpp_args),
                                 "^IntegrityError: cannot open .*s.pj.: it was .*" + message)
                self.assertEqual(snapshot(self.path()), before)

    def test_an_entry_moved_to_another_key_fails_in_both(self) -> None:
        with Session(self.path(), integrity_key=KEY) as s:
            s["admin"], s["guest"] = False, True
            s.save()
        db = raw(self.path())
        db.execute("UPDATE entries SET pickle = (SELECT pickle FROM entries WHERE key = "
                   "'guest'), digest = (SELECT digest FROM entries WHERE key = 'guest') "
                   "WHERE key = 'admin'")
        db.close()
        with Session(self.path(), integrity_key=KEY) as s, self.assertRaises(IntegrityError):
            s["admin"]
        self.assertRegex(self.cpp_error("dump", self.path(), "--key", KEY.hex()),
                         "^IntegrityError: integrity check failed for key 'admin'")

    def test_a_planted_os_system_pickle_runs_nowhere(self) -> None:
        marker = self.path("marker")
        data = f"cos\nsystem\n(V touch {marker}\ntR.".encode()
        run_tool("save", self.path(), "evil", "0")
        db = raw(self.path())  # an attacker who can write the file writes a matching digest
        db.execute("UPDATE entries SET pickle = ?, digest = ?",
                   (data, hashlib.sha256(data).digest()))
        db.close()
        with Session(self.path()) as s:
            with self.assertRaises(ForbiddenGlobal) as caught:
                s["evil"]
            self.assertEqual(caught.exception.global_name, "os.system")
        self.assertRegex(self.cpp_error("dump", self.path(), "--allowlist"),
                         "^ForbiddenError: .*key 'evil' in '.*s.pj': global 'os.system' is not "
                         "in the allowlist")
        # Without the allowlist C++ decodes it to an inert value and runs nothing either.
        self.assertRegex(tool_lines("dump", self.path())[0], "^evil\t.*os.*system")
        self.assertFalse(os.path.exists(marker))

    def test_foreign_files_are_refused_untouched_by_both(self) -> None:
        with open(self.path(), "wb") as f:
            f.write(b"not a database " * 500)
        before = snapshot(self.path())
        with self.assertRaisesRegex(FormatError, "not a picklejar file"):
            Session(self.path())
        self.assertRegex(self.cpp_error("dump", self.path()), "^FormatError: not a picklejar "
                                                              "file '.*s.pj'")
        self.assertEqual(snapshot(self.path()), before)

    def test_a_newer_format_is_read_only_for_both(self) -> None:
        run_tool("save", self.path(), "k", "1")
        db = raw(self.path())
        db.execute("PRAGMA user_version = 3")
        db.execute("UPDATE meta SET value = 3 WHERE name = 'format_version'")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.close()
        before = snapshot(self.path())
        message = "its file format version 3 is newer than this picklejar's .2.; it may be " \
                  "opened read_only"
        with self.assertRaisesRegex(FormatError, message):
            Session(self.path())
        self.assertRegex(self.cpp_error("save", self.path(), "k", "2"), "^FormatError: .*"
                         + message)
        with Session(self.path(), mode="read_only") as s:
            self.assertEqual(s["k"], 1)
        self.assertEqual(tool_lines("dump", self.path(), "--read-only"), ["k\t1"])
        self.assertEqual(snapshot(self.path()), before)


if __name__ == "__main__":
    unittest.main()
