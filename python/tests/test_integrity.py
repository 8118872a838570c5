"""Entry digests: SHA-256 and HMAC-SHA256 exactly as docs/FORMAT.md defines them; a flipped
byte, an entry moved to another key, a wrong or missing key are refused before unpickling."""

from __future__ import annotations

import hashlib
import hmac
import pickle
import struct
import unittest

from picklejar import IntegrityError, Session
from picklejar._integrity import key_id

from support import ScratchTest, meta, raw, snapshot, sql

KEY = b"correct horse battery staple"


def flip_byte(path: str, key: str, offset: int = -2) -> None:
    db = raw(path)
    (data,) = db.execute("SELECT pickle FROM entries WHERE key = ?", (key,)).fetchone()
    data = bytearray(data)
    data[offset] ^= 0x01
    db.execute("UPDATE entries SET pickle = ? WHERE key = ?", (bytes(data), key))
    db.close()


class IntegrityTest(ScratchTest):
    def save(self, values, name: str = "s.pj", **options) -> None:
        with Session(self.path(name), **options) as s:
            s.update(values)
            s.save()

    def test_sha256_digests_by_the_formula(self) -> None:
        self.save({"k": [1, 2]})
        ((data, digest),) = sql(self.path(), "SELECT pickle, digest FROM entries")
        self.assertEqual(digest, hashlib.sha256(data).digest())

    def test_hmac_digests_and_key_id_by_the_formula(self) -> None:
        self.save({"ключ": [1, 2]}, integrity_key=KEY)
        ((name, data, digest),) = sql(self.path(), "SELECT key, pickle, digest FROM entries")
        encoded = name.encode("utf-8")
        rows = meta(self.path())
        file_key = hmac.new(KEY, b"picklejar file key" + bytes.fromhex(rows["file_id"]),
                            "sha256").digest()  # format 2: the file's own key
        expected = hmac.new(file_key, struct.pack(">I", len(encoded)) + encoded + data,
                            "sha256").digest()
        self.assertEqual(digest, expected)
        self.assertEqual(rows["integrity_scheme"], "hmac-sha256")
        self.assertEqual(rows["key_id"],
                         hmac.new(KEY, b"picklejar key id", "sha256").digest()[:8].hex())
        self.assertRegex(rows["key_id"], "^[0-9a-f]{16}$")
        with Session(self.path(), integrity_key=KEY.decode()) as s:  # str: its UTF-8 bytes
            self.assertEqual(s["ключ"], [1, 2])
            self.assertEqual(s.info.key_id, key_id(KEY))

    def test_a_flipped_byte_fails_and_only_that_entry(self) -> None:
        for name, options in (("plain.pj", {}), ("keyed.pj", {"integrity_key": KEY})):
            with self.subTest(options):
                self.save({"bad": "value", "good": "value"}, name, **options)
                flip_byte(self.path(name), "bad")
                with Session(self.path(name), **options) as s:
                    self.assertEqual(s["good"], "value")
                    self.assertIn("bad", s)
                    for _ in range(2):  # not cached: every access reports it
                        with self.assertRaises(IntegrityError) as caught:
                            s["bad"]
                    self.assertEqual((caught.exception.key, caught.exception.path),
                                     ("bad", self.path(name)))
                    self.assertRegex(str(caught.exception),
                                     f"integrity check failed for key 'bad' in '.*{name}'")

    def test_a_wrong_length_digest_fails(self) -> None:
        self.save({"k": 1})
        db = raw(self.path())
        db.execute("PRAGMA ignore_check_constraints = 1")
        db.execute("UPDATE entries SET digest = substr(digest, 1, 31)")
        db.close()
        with Session(self.path()) as s, self.assertRaises(IntegrityError):
            s["k"]

    def test_an_entry_moved_to_another_key_fails_with_hmac(self) -> None:
        self.save({"admin": False, "guest": True}, integrity_key=KEY)
        db = raw(self.path())
        db.execute("UPDATE entries SET pickle = (SELECT pickle FROM entries WHERE key = "
                   "'guest'), digest = (SELECT digest FROM entries WHERE key = 'guest') "
                   "WHERE key = 'admin'")
        db.close()
        with Session(self.path(), integrity_key=KEY) as s:
            self.assertIs(s["guest"], True)
            with self.assertRaisesRegex(IntegrityError, "moved from another key"):
                s["admin"]

    def test_an_entry_moved_to_another_key_verifies_with_sha256(self) -> None:
        self.save({"admin": False, "guest": True})  # documented: sha256 detects damage only
        db = raw(self.path())
        db.execute("UPDATE entries SET pickle = (SELECT pickle FROM entries WHERE key = "
                   "'guest'), digest = (SELECT digest FROM entries WHERE key = 'guest') "
                   "WHERE key = 'admin'")
        db.close()
        with Session(self.path()) as s:
            self.assertIs(s["admin"], True)

    def test_key_mismatches_are_refused_at_open_untouched(self) -> None:
        self.save({"k": 1}, integrity_key=KEY)
        keyed = snapshot(self.path())
        cases = (
            ({}, f"written with an integrity key .key id {key_id(KEY)}. and none was given"),
            ({"integrity_key": b"wrong"},
             f"another integrity key .key id {key_id(KEY)}, the given key's is "
             f"{key_id(b'wrong')}"),
            ({"integrity_key": b"wrong", "mode": "read_only"}, "another integrity key"),
        )
        for options, message in cases:
            with self.subTest(options), self.assertRaisesRegex(IntegrityError, message):
                Session(self.path(), **options)
            self.assertEqual(snapshot(self.path()), keyed)

    def test_a_key_for_a_file_without_one_is_refused(self) -> None:
        self.save({"k": 1})
        before = snapshot(self.path())
        with self.assertRaisesRegex(IntegrityError, "written without an integrity key"):
            Session(self.path(), integrity_key=KEY)
        self.assertEqual(snapshot(self.path()), before)

    def test_the_key_is_not_kept_in_the_options(self) -> None:
        with Session(self.path(), integrity_key=KEY) as s:
            self.assertNotIn(KEY, repr(vars(s._state.options)).encode())
            self.assertNotIn(KEY.decode(), repr(s._state.signer))

    def test_find_pickle(self) -> None:
        self.save({"k": [1]}, integrity_key=KEY)
        flip_byte(self.path(), "k")
        with Session(self.path(), integrity_key=KEY) as s:
            with self.assertRaises(IntegrityError):
                s.find_pickle("k")
            damaged = s.find_pickle("k", verify=False)
            self.assertEqual(damaged, sql(self.path(), "SELECT pickle FROM entries")[0][0])
            self.assertIsNone(s.find_pickle("missing"))
            s["new"] = {"x": 1}  # unsaved entries have their pickle too
            self.assertEqual(s.find_pickle("new"), pickle.dumps({"x": 1}, 4))

    def test_check_database(self) -> None:
        self.save({str(i): "x" * 3000 for i in range(20)})
        with Session(self.path()) as s:
            self.assertEqual(s.check_database(), [])
        # entries_revision pointed at tombstones_revision's (empty) b-tree: the schema is the
        # format's, the index lacks every row.
        db = raw(self.path())
        db.execute("PRAGMA writable_schema = ON")
        db.execute("UPDATE sqlite_schema SET rootpage = (SELECT rootpage FROM sqlite_schema "
                   "WHERE name = 'tombstones_revision') WHERE name = 'entries_revision'")
        db.close()
        with Session(self.path(), mode="read_only") as s:
            problems = s.check_database()
        self.assertTrue(problems)
        self.assertTrue(any("entries_revision" in p for p in problems), problems)

    def test_tampered_pickles_are_never_unpickled(self) -> None:
        self.save({"k": 1}, integrity_key=KEY)
        db = raw(self.path())
        db.execute("UPDATE entries SET pickle = ?", (b"garbage, not a pickle",))
        db.close()
        with Session(self.path(), integrity_key=KEY) as s:
            with self.assertRaises(IntegrityError):
                s["k"]
            s["k"] = 2  # still writable; the new entry verifies
            s.save()
            self.assertEqual(s["k"], 2)
        self.assertEqual(pickle.loads(sql(self.path(), "SELECT pickle FROM entries")[0][0]), 2)


if __name__ == "__main__":
    unittest.main()
