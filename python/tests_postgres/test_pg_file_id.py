"""File format 2 on a server (docs/FORMAT-POSTGRES.md "Integrity"; issue 15 item 6): a
store's file_id is the id its HMACs are bound to; a store at format 1 is upgraded under its
row lock at a writable open (what verifies re-signed, what does not left failing) and refused
read-only; a session stops when the id changes under it. Digests are computed here from the
formulas, with hmac."""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
import threading
import unittest
from typing import Dict, Tuple

from pg_support import execute, socket_url, store_row, unique

from picklejar import FormatError, IntegrityError, Session

KEY = b"k" * 32


def hmac_digest(key: bytes, name: str, data: bytes) -> bytes:
    encoded = name.encode("utf-8")
    return hmac.new(key, struct.pack(">I", len(encoded)) + encoded + data, "sha256").digest()


def derived_key(key: bytes, file_id: bytes) -> bytes:
    return hmac.new(key, b"picklejar file key" + file_id, "sha256").digest()


def entries(name: str) -> Dict[str, Tuple[bytes, bytes, int]]:
    rows = execute("SELECT e.key, e.pickle, e.digest, e.revision FROM picklejar.entry e JOIN "
                   "picklejar.store s USING (store_id) WHERE s.name = %s", (name,))
    return {bytes(k).decode(): (bytes(p), bytes(d), r) for k, p, d, r in rows}


def make_format_1(name: str, key: bytes = None) -> None:
    """A store as a format-1 client left it: entries "good" (revision 1), "damaged" (2, its
    digest wrong) and "also good" (3), signed by format 1's rule (HMAC under the key itself,
    or SHA-256), the row at format_version 1."""
    for value, entry in enumerate(("good", "damaged", "also good")):
        with Session(socket_url(name), integrity_key=key) as s:
            s[entry] = [value]
    execute("UPDATE picklejar.store SET format_version = 1, min_reader_version = 1 "
            "WHERE name = %s", (name,))
    for entry, (data, _, _) in entries(name).items():
        digest = hmac_digest(key, entry, data) if key else hashlib.sha256(data).digest()
        if entry == "damaged":
            digest = bytes([digest[0] ^ 1]) + digest[1:]
        execute("UPDATE picklejar.entry SET digest = %s WHERE key = %s AND store_id = "
                "(SELECT store_id FROM picklejar.store WHERE name = %s)",
                (digest, entry.encode(), name))


class StoreFileIdTest(unittest.TestCase):
    def test_a_new_store_is_format_2_and_signs_under_its_file_id(self) -> None:
        name = unique("format-2")
        with Session(socket_url(name), integrity_key=KEY) as s:
            s["k"] = "v"
            row = store_row(name)
            self.assertEqual(s.info.file_id, bytes(row["file_id"]).hex())
        self.assertEqual((row["format_version"], row["min_reader_version"]), (2, 2))
        data, digest, _ = entries(name)["k"]
        self.assertEqual(digest, hmac_digest(derived_key(KEY, bytes(row["file_id"])), "k", data))

    def test_a_row_of_another_store_with_the_same_key_does_not_verify(self) -> None:
        a, b = unique("rows-a"), unique("rows-b")
        for name in (a, b):
            with Session(socket_url(name), integrity_key=KEY) as s:
                s["role"] = f"for {name}"
                s["other"] = 1
        data, digest, _ = entries(b)["role"]
        execute("UPDATE picklejar.entry SET pickle = %s, digest = %s WHERE key = %s AND "
                "store_id = (SELECT store_id FROM picklejar.store WHERE name = %s)",
                (data, digest, b"role", a))
        with Session(socket_url(a), integrity_key=KEY) as s:
            self.assertEqual(s["other"], 1)
            with self.assertRaisesRegex(IntegrityError, "key 'role'"):
                s["role"]

    def test_a_file_id_changed_while_open_stops_the_session(self) -> None:
        name = unique("id-changed")
        with Session(socket_url(name), integrity_key=KEY) as s:
            s["k"] = 1
            s.save()
            execute("UPDATE picklejar.store SET file_id = %s, revision = revision + 1 "
                    "WHERE name = %s", (os.urandom(16), name))
            with self.assertRaisesRegex(IntegrityError, "its file id changed while open"):
                s.load()

    def test_rekey_keeps_the_file_id(self) -> None:
        name = unique("rekey")
        with Session(socket_url(name), integrity_key=KEY) as s:
            s["k"] = "v"
            s.save()
            before = bytes(store_row(name)["file_id"])
            s.rekey(b"another key")
            self.assertEqual(s.info.file_id, before.hex())
        self.assertEqual(bytes(store_row(name)["file_id"]), before)
        data, digest, _ = entries(name)["k"]
        self.assertEqual(digest, hmac_digest(derived_key(b"another key", before), "k", data))
        with Session(socket_url(name), integrity_key=b"another key", mode="read_only") as s:
            self.assertEqual(s["k"], "v")


class StoreUpgradeTest(unittest.TestCase):
    def test_a_keyed_format_1_store_is_upgraded_at_a_writable_open(self) -> None:
        name = unique("upgrade")
        make_format_1(name, KEY)
        old, row = entries(name), store_row(name)
        self.assertEqual((row["format_version"], row["revision"]), (1, 3))
        with self.assertRaisesRegex(FormatError, "read_only: its file format version 1 must "
                                                 "first be upgraded to 2"):
            Session(socket_url(name), integrity_key=KEY, mode="read_only")
        self.assertEqual((store_row(name), entries(name)), (row, old))  # untouched
        with Session(socket_url(name), integrity_key=KEY) as s:
            self.assertEqual((s["good"], s["also good"]), ([0], [2]))
            with self.assertRaisesRegex(IntegrityError, "key 'damaged'"):
                s["damaged"]
            self.assertEqual((s.info.format_version, s.info.revision), (2, 4))
            self.assertEqual(s.info.file_id, bytes(row["file_id"]).hex())
        upgraded = store_row(name)
        self.assertEqual((upgraded["format_version"], upgraded["min_reader_version"],
                          upgraded["revision"], bytes(upgraded["file_id"])),
                         (2, 2, 4, bytes(row["file_id"])))
        new = entries(name)
        file_key = derived_key(KEY, bytes(row["file_id"]))
        for entry in ("good", "also good"):
            data = old[entry][0]
            self.assertEqual(new[entry], (data, hmac_digest(file_key, entry, data), 4))
        self.assertEqual(new["damaged"], old["damaged"])  # kept, still failing
        with Session(socket_url(name), integrity_key=KEY, mode="read_only") as s:
            self.assertEqual(s["good"], [0])
            with self.assertRaises(IntegrityError):
                s["damaged"]

    def test_a_sha256_format_1_store_changes_only_its_row(self) -> None:
        name = unique("upgrade-sha256")
        make_format_1(name)
        old = entries(name)
        with Session(socket_url(name)) as s:
            self.assertEqual(s["good"], [0])
            with self.assertRaises(IntegrityError):
                s["damaged"]
        row = store_row(name)
        self.assertEqual((row["format_version"], row["min_reader_version"], row["revision"]),
                         (2, 2, 4))
        self.assertEqual(entries(name), old)

    def test_clients_opening_at_once_upgrade_it_once(self) -> None:
        name = unique("upgrade-race")
        make_format_1(name, KEY)
        seen, errors = [], []

        def open_it() -> None:
            try:
                with Session(socket_url(name), integrity_key=KEY, mode="read_write") as s:
                    seen.append((s["good"], s.info.format_version, s.info.revision))
            except Exception as e:  # reported below
                errors.append(e)

        threads = [threading.Thread(target=open_it) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(errors, [])
        self.assertEqual(seen, [([0], 2, 4)] * 4)  # one upgrade, one revision
        self.assertEqual(store_row(name)["revision"], 4)


if __name__ == "__main__":
    unittest.main()
