"""File format 2 (docs/FORMAT.md "Integrity" and "Versions"; issue 15 item 6): every file has
a random id (meta row file_id) bound into its HMACs through a per-file key, so a row of another
file signed with the same key does not verify; format-1 files are upgraded at a writable open
(what verifies is re-signed, what does not stays failing); the id stays through rekey and
restore, and a session stops when it changes under it. The digests are computed here from the
formulas, with hmac, not with the package."""

from __future__ import annotations

import hashlib
import hmac
import os
import pickle
import sqlite3
import struct
import unittest
from typing import Dict, Optional, Sequence

from picklejar import FormatError, IntegrityError, Session
from picklejar._integrity import Signer, file_key, key_id

from support import ScratchTest, meta, raw, snapshot, sql

KEY = b"correct horse battery staple"

# docs/FORMAT.md's test vector (the C++ tests check the same numbers).
VECTOR_KEY = b"picklejar test key"
VECTOR_FILE_ID = bytes(range(16))
VECTOR_PICKLE = "80049509000000000000008c0568656c6c6f942e"
VECTOR_FILE_KEY = "1fcb6846b26df4a5bc50f622cf0d7fd685e2c1b17454cafe3b2688d1c147d000"
VECTOR_DIGEST = "2a07cb257b09b5ad9f3bbe77b86d99f7fc665dd020beac714503fccb7e218f5a"
VECTOR_KEY_ID = "cc5347e103cf3801"


def hmac_digest(key: bytes, name: str, data: bytes) -> bytes:
    """Format 1's entry digest (and format 2's, given the file's derived key)."""
    encoded = name.encode("utf-8")
    return hmac.new(key, struct.pack(">I", len(encoded)) + encoded + data, "sha256").digest()


def derived_key(key: bytes, file_id_hex: str) -> bytes:
    return hmac.new(key, b"picklejar file key" + bytes.fromhex(file_id_hex), "sha256").digest()


# Format 1's schema, as docs/FORMAT.md gave it before format 2 (format 2 kept it).
FORMAT_1_SQL = (
    "CREATE TABLE meta (\n  name TEXT PRIMARY KEY NOT NULL,\n  value\n) WITHOUT ROWID",
    "CREATE TABLE entries (\n"
    "  key TEXT PRIMARY KEY NOT NULL CHECK (typeof(key) = 'text'),\n"
    "  pickle BLOB NOT NULL CHECK (typeof(pickle) = 'blob'),\n"
    "  protocol INTEGER NOT NULL CHECK (typeof(protocol) = 'integer'),\n"
    "  digest BLOB NOT NULL CHECK (typeof(digest) = 'blob' AND length(digest) = 32),\n"
    "  revision INTEGER NOT NULL CHECK (typeof(revision) = 'integer' AND revision >= 1),\n"
    "  modified_us INTEGER NOT NULL\n)",
    "CREATE INDEX entries_revision ON entries (revision)",
    "CREATE TABLE tombstones (\n  key TEXT PRIMARY KEY NOT NULL,\n  revision INTEGER NOT NULL\n"
    ") WITHOUT ROWID",
    "CREATE INDEX tombstones_revision ON tombstones (revision)",
)


def make_format_1(path: str, values: Dict[str, object], key: Optional[bytes] = None,
                  damaged: Sequence[str] = ()) -> None:
    """A format-1 session file written with sqlite3 alone: one entry per value, the i-th
    saved at revision i + 1, signed by format 1's rule (HMAC under the key itself, or
    SHA-256); the keys in ``damaged`` get a digest that does not match."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute(f"PRAGMA application_id = {0x504A4152}")  # "PJAR"
    db.execute("PRAGMA user_version = 1")
    for statement in FORMAT_1_SQL:
        db.execute(statement)
    for revision, (name, value) in enumerate(values.items(), 1):
        data = pickle.dumps(value, 4)
        digest = hmac_digest(key, name, data) if key else hashlib.sha256(data).digest()
        if name in damaged:
            digest = bytes([digest[0] ^ 1]) + digest[1:]
        db.execute("INSERT INTO entries VALUES (?, ?, 4, ?, ?, ?)",
                   (name, data, digest, revision, 1_000_000 * revision))
    rows = {"format_version": 1, "min_reader_version": 1, "app_schema_version": 0,
            "default_protocol": 4, "revision": len(values), "purged_revision": 0,
            "created_us": 1_000_000, "modified_us": 1_000_000 * len(values),
            "created_by": "picklejar-python 0.1.0", "writer_name": "picklejar-python",
            "writer_version": "0.1.0", "writer_app": "",
            "integrity_scheme": "hmac-sha256" if key else "sha256",
            "key_id": key_id(key) if key else None}
    db.executemany("INSERT INTO meta VALUES (?, ?)", rows.items())
    db.close()


def entry_rows(path: str) -> Dict[str, tuple]:
    return {k: (data, digest, revision) for k, data, digest, revision in
            sql(path, "SELECT key, pickle, digest, revision FROM entries")}


class TestVectorTest(ScratchTest):
    def test_the_vector_by_the_signer(self) -> None:
        data = pickle.dumps("hello", 4)
        self.assertEqual(data.hex(), VECTOR_PICKLE)
        self.assertEqual(file_key(VECTOR_KEY, VECTOR_FILE_ID).hex(), VECTOR_FILE_KEY)
        signer = Signer(VECTOR_KEY, VECTOR_FILE_ID)
        self.assertEqual(signer.digest("greeting", data).hex(), VECTOR_DIGEST)
        self.assertEqual(signer.key_id, VECTOR_KEY_ID)  # of K, not of the file's key
        self.assertTrue(signer.verify("greeting", data, bytes.fromhex(VECTOR_DIGEST)))
        self.assertFalse(signer.for_file(None).verify("greeting", data,
                                                      bytes.fromhex(VECTOR_DIGEST)))

    def test_the_vector_in_a_file(self) -> None:
        with Session(self.path(), integrity_key=VECTOR_KEY):
            pass
        db = raw(self.path())
        db.execute("UPDATE meta SET value = ? WHERE name = 'file_id'", (VECTOR_FILE_ID.hex(),))
        db.close()
        with Session(self.path(), integrity_key=VECTOR_KEY, protocol=4) as s:
            self.assertEqual(s.info.file_id, "000102030405060708090a0b0c0d0e0f")
            self.assertEqual(s.info.key_id, VECTOR_KEY_ID)
            s["greeting"] = "hello"
        ((data, digest),) = sql(self.path(), "SELECT pickle, digest FROM entries")
        self.assertEqual((data.hex(), digest.hex()), (VECTOR_PICKLE, VECTOR_DIGEST))


class FileIdTest(ScratchTest):
    def test_a_new_file_has_a_random_id_and_format_2(self) -> None:
        ids = set()
        for name in ("a.pj", "b.pj"):
            with Session(self.path(name), integrity_key=KEY) as s:
                s["k"] = [1, 2]
                rows = meta(self.path(name))
                self.assertRegex(rows["file_id"], "^[0-9a-f]{32}$")
                self.assertEqual(s.info.file_id, rows["file_id"])
                self.assertEqual(s.info.format_version, 2)
                ids.add(rows["file_id"])
            self.assertEqual((rows["format_version"], rows["min_reader_version"]), (2, 2))
            self.assertEqual(sql(self.path(name), "PRAGMA user_version"), [(2,)])
            ((k, data, digest),) = sql(self.path(name), "SELECT key, pickle, digest FROM entries")
            self.assertEqual(digest, hmac_digest(derived_key(KEY, rows["file_id"]), k, data))
            self.assertNotEqual(digest, hmac_digest(KEY, k, data))  # not format 1's
        self.assertEqual(len(ids), 2)

    def test_a_row_of_another_file_with_the_same_key_does_not_verify(self) -> None:
        for name, value in (("a.pj", "for a"), ("b.pj", "for b")):
            with Session(self.path(name), integrity_key=KEY) as s:
                s["role"] = value
                s["other"] = 1
        ((data, digest),) = sql(self.path("b.pj"),
                                "SELECT pickle, digest FROM entries WHERE key = 'role'")
        sql(self.path("a.pj"), "UPDATE entries SET pickle = ?, digest = ? WHERE key = 'role'",
            (data, digest))
        with Session(self.path("a.pj"), integrity_key=KEY) as s:
            self.assertEqual(s["other"], 1)
            with self.assertRaisesRegex(IntegrityError, "integrity check failed for key 'role'"):
                s["role"]
        with Session(self.path("b.pj"), integrity_key=KEY, mode="read_only") as s:
            self.assertEqual(s["role"], "for b")  # where it belongs it verifies

    def test_a_bad_file_id_row_is_refused(self) -> None:
        cases = (
            ("DELETE FROM meta WHERE name = 'file_id'", "meta row 'file_id' is missing"),
            ("UPDATE meta SET value = x'000102030405060708090a0b0c0d0e0f' "
             "WHERE name = 'file_id'", "meta row 'file_id' has the wrong type"),
            ("UPDATE meta SET value = upper(value) || '' WHERE name = 'file_id'",
             "meta row 'file_id' is not 32 lowercase hex digits"),
            ("UPDATE meta SET value = substr(value, 2) WHERE name = 'file_id'",
             "meta row 'file_id' is not 32 lowercase hex digits"),
            ("UPDATE meta SET value = 'g' || substr(value, 2) WHERE name = 'file_id'",
             "meta row 'file_id' is not 32 lowercase hex digits"),
        )
        for statement, message in cases:
            with self.subTest(statement):
                path = self.path(f"{len(os.listdir(self.dir))}.pj")
                with Session(path, filesystem="network") as s:
                    s["k"] = 1
                # upper() of a digit-only id changes nothing: make sure it has a letter
                sql(path, "UPDATE meta SET value = 'a' || substr(value, 2) "
                          "WHERE name = 'file_id'")
                sql(path, statement)
                before = snapshot(path)
                for mode in ("read_write", "read_only"):
                    with self.assertRaisesRegex(FormatError, f"'{path}'.*{message}"):
                        Session(path, mode=mode)
                self.assertEqual(snapshot(path), before)

    def test_a_file_id_changed_while_open_stops_the_session(self) -> None:
        for doing in ("load", "save", "transact"):
            with self.subTest(doing):
                path = self.path(f"{doing}.pj")
                with Session(path, integrity_key=KEY) as s:
                    s["k"] = 1
                    s.save()
                    # what `picklejar copy` onto an open file does: another id, a new revision
                    old, new = s.info.file_id, os.urandom(16).hex()
                    sql(path, "UPDATE meta SET value = ? WHERE name = 'file_id'", (new,))
                    sql(path, "UPDATE meta SET value = value + 1 WHERE name = 'revision'")
                    s["k"] = 2
                    with self.assertRaisesRegex(
                            IntegrityError, f"'{path}': its file id changed while open "
                                            rf"\({old} -> {new}; another program copied a "
                                            r"session over it, `picklejar copy`\): open it again"):
                        if doing == "load":
                            s.load()
                        elif doing == "save":
                            s.save()
                        else:
                            with s.transact():
                                pass
                    s.discard()

    def test_rekey_keeps_the_file_id(self) -> None:
        with Session(self.path(), integrity_key=KEY) as s:
            s["k"] = "v"
            s.save()
            before = s.info.file_id
            for new_key in (b"another key", None, KEY):
                s.rekey(new_key)
                self.assertEqual(s.info.file_id, before)
                self.assertEqual(meta(self.path())["file_id"], before)
                ((k, data, digest),) = sql(self.path(), "SELECT key, pickle, digest FROM entries")
                expected = (hmac_digest(derived_key(new_key, before), k, data) if new_key
                            else hashlib.sha256(data).digest())
                self.assertEqual(digest, expected)
        with Session(self.path(), integrity_key=KEY, mode="read_only") as s:
            self.assertEqual(s["k"], "v")

    def test_a_backup_keeps_the_file_id_and_restores_byte_for_byte(self) -> None:
        with Session(self.path(), integrity_key=KEY) as s:
            s["k"] = "v1"
            s.save()
            info = s.backup(self.path("copy.pj"))
            self.assertEqual(info.unverified_keys, [])
            self.assertEqual(meta(self.path("copy.pj"))["file_id"], s.info.file_id)
            saved = entry_rows(self.path())["k"][:2]
            s["k"] = "v2"
            s.save()
            s.restore(self.path("copy.pj"))  # a backup of this file: the same digests
            self.assertEqual(s["k"], "v1")
        self.assertEqual(entry_rows(self.path())["k"][:2], saved)
        with Session(self.path("copy.pj"), integrity_key=KEY, mode="read_only") as s:
            self.assertEqual(s["k"], "v1")


class UpgradeTest(ScratchTest):
    VALUES = {"good": [1, 2], "damaged": "x", "also good": {"a": None}}

    def test_a_keyed_format_1_file_is_upgraded_at_a_writable_open(self) -> None:
        make_format_1(self.path(), self.VALUES, KEY, damaged=["damaged"])
        old = entry_rows(self.path())
        with Session(self.path(), integrity_key=KEY) as s:
            self.assertEqual(s["good"], [1, 2])
            self.assertEqual(s["also good"], {"a": None})
            with self.assertRaisesRegex(IntegrityError, "integrity check failed for key "
                                                        "'damaged'"):
                s["damaged"]
            self.assertEqual((s.info.format_version, s.info.revision), (2, 4))
            self.assertEqual(s.entry_info("good").revision, 4)
            self.assertEqual(s.entry_info("damaged").revision, 2)
            file_id = s.info.file_id
        rows = meta(self.path())
        self.assertEqual((rows["format_version"], rows["min_reader_version"], rows["revision"],
                          rows["file_id"]), (2, 2, 4, file_id))
        self.assertRegex(file_id, "^[0-9a-f]{32}$")
        self.assertEqual(sql(self.path(), "PRAGMA user_version"), [(2,)])
        new = entry_rows(self.path())
        for name in ("good", "also good"):  # re-signed under the file's key, at revision 4
            data = old[name][0]
            self.assertEqual(new[name], (data, hmac_digest(derived_key(KEY, file_id), name, data),
                                         4))
        self.assertEqual(new["damaged"], old["damaged"])  # kept as it was, still failing
        stamps = dict(sql(self.path(), "SELECT key, modified_us FROM entries"))
        self.assertEqual(stamps["good"], rows["modified_us"])  # the upgrade's time
        self.assertGreater(rows["modified_us"], stamps["damaged"])
        with Session(self.path(), integrity_key=KEY, mode="read_only") as s:
            self.assertEqual(s["good"], [1, 2])
            with self.assertRaises(IntegrityError):
                s["damaged"]

    def test_a_sha256_format_1_file_changes_only_its_meta_rows(self) -> None:
        make_format_1(self.path(), self.VALUES, damaged=["damaged"])
        old = entry_rows(self.path())
        with Session(self.path()) as s:
            self.assertEqual(s["good"], [1, 2])
            with self.assertRaises(IntegrityError):
                s["damaged"]
            self.assertEqual(s.info.revision, 4)
        self.assertEqual(entry_rows(self.path()), old)
        rows = meta(self.path())
        self.assertEqual((rows["format_version"], rows["min_reader_version"], rows["revision"]),
                         (2, 2, 4))
        self.assertRegex(rows["file_id"], "^[0-9a-f]{32}$")

    def test_a_format_1_file_is_refused_untouched_read_only_or_with_another_key(self) -> None:
        make_format_1(self.path(), self.VALUES, KEY)
        before = snapshot(self.path())
        with self.assertRaisesRegex(FormatError, "cannot open '.*' read_only: its file format "
                                                 "version 1 must first be upgraded to 2"):
            Session(self.path(), integrity_key=KEY, mode="read_only")
        with self.assertRaisesRegex(IntegrityError, "another integrity key"):
            Session(self.path(), integrity_key=b"wrong")
        self.assertEqual(snapshot(self.path()), before)

    def test_the_automatic_backup_before_an_upgrade_is_the_format_1_file(self) -> None:
        make_format_1(self.path(), self.VALUES, KEY, damaged=["damaged"])
        with Session(self.path(), integrity_key=KEY, keep_backups=1) as s:
            self.assertEqual(s.info.format_version, 2)
        (backup,) = [n for n in os.listdir(self.dir) if ".backup-" in n]
        rows = meta(os.path.join(self.dir, backup))
        self.assertEqual((rows["format_version"], "file_id" in rows), (1, False))


class RestoreTest(ScratchTest):
    def test_restore_from_a_format_1_backup(self) -> None:
        values = {"a": 1, "b": [2]}
        make_format_1(self.path("old.pj"), values, KEY)
        make_format_1(self.path("damaged.pj"), values, KEY, damaged=["b"])
        with Session(self.path(), integrity_key=KEY) as s:
            s["c"] = 3
            s.save()
            file_id, before = s.info.file_id, entry_rows(self.path())
            with self.assertRaisesRegex(IntegrityError, "key 'b' does not verify in the backup"):
                s.restore(self.path("damaged.pj"))
            self.assertEqual((dict(s), entry_rows(self.path())), ({"c": 3}, before))
            s.restore(self.path("old.pj"))
            self.assertEqual(dict(s), values)
            self.assertEqual(s.info.file_id, file_id)
        self.assertEqual(meta(self.path())["file_id"], file_id)
        for name, (data, digest, _) in entry_rows(self.path()).items():
            self.assertEqual(digest, hmac_digest(derived_key(KEY, file_id), name, data))
        with Session(self.path(), integrity_key=KEY, mode="read_only") as s:
            self.assertEqual(dict(s), values)

    def test_restore_from_another_file_re_signs_under_this_files_id(self) -> None:
        with Session(self.path("other.pj"), integrity_key=KEY) as other:
            other["a"] = "from the other file"
        with Session(self.path(), integrity_key=KEY) as s:
            s["a"] = "mine"
            s.save()
            file_id = s.info.file_id
            s.restore(self.path("other.pj"))
            self.assertEqual(s["a"], "from the other file")
            self.assertEqual(s.info.file_id, file_id)
        ((name, data, digest),) = sql(self.path(), "SELECT key, pickle, digest FROM entries")
        self.assertEqual(digest, hmac_digest(derived_key(KEY, file_id), name, data))


if __name__ == "__main__":
    unittest.main()
