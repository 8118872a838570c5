"""A store on the server, beyond the Session behaviour the shared tests cover: what opening
checks, integrity against tampered rows, entries identical with a file's, passwords never
shown, lost connections."""

from __future__ import annotations

import hashlib
import os
import pickle
import secrets
import shutil
import sqlite3
import tempfile
import threading
import time
import unittest

import psycopg2
from pg_support import entry_row, execute, socket_url, store_row, tcp_url, unique

import picklejar
from picklejar import FormatError, IntegrityError, LockTimeout, ServerError, Session, StoreError

KEY = b"k" * 32


class OpeningTest(unittest.TestCase):
    def test_a_store_is_created_once_and_then_opened(self) -> None:
        name = unique("created")
        with Session(socket_url(name), app_name="first") as s:
            s["x"] = 1
        row = store_row(name)
        self.assertEqual((row["revision"], row["format_version"], row["integrity_scheme"],
                          row["writer_app"], len(bytes(row["file_id"]))),
                         (1, 2, "sha256", "first", 16))
        with self.assertRaisesRegex(StoreError, "no such store"):
            Session(socket_url(unique("missing")), mode="read_write")
        self.assertEqual(store_row(unique("missing")), {})  # nothing was created

    def test_the_url_must_name_one_store(self) -> None:
        for url in ("postgresql://localhost/db", "postgresql://h/db?store=a&store=b",
                    "postgresql://h/db?store=", "postgresql://h/db?store=%ff",
                    f"postgresql://h/db?store={'x' * 256}"):
            with self.subTest(url), self.assertRaisesRegex(StoreError, "store"):
                Session(url)

    def test_a_store_of_a_newer_format_is_refused_or_read_only(self) -> None:
        name = unique("newer")
        with Session(socket_url(name)) as s:
            s["x"] = 1
        execute("UPDATE picklejar.store SET format_version = 3, min_reader_version = 3 "
                "WHERE name = %s", (name,))
        for mode in ("read_write", "read_only"):
            with self.subTest(mode), self.assertRaises(FormatError) as caught:
                Session(socket_url(name), mode=mode)
            self.assertIn(f"store={name}", str(caught.exception))
            self.assertIn("3", str(caught.exception))
        execute("UPDATE picklejar.store SET min_reader_version = 2 WHERE name = %s", (name,))
        with self.assertRaisesRegex(FormatError, "read_only"):
            Session(socket_url(name))
        with Session(socket_url(name), mode="read_only") as s:
            self.assertEqual(s["x"], 1)

    def test_a_key_id_must_go_with_the_integrity_scheme(self) -> None:
        name = unique("key-id")
        Session(socket_url(name)).close()
        for scheme, key_id in (("sha256", "0123456789abcdef"), ("hmac-sha256", None),
                               ("hmac-sha256", "0123456789ABCDEF"), ("hmac-sha256", "012"),
                               ("md5", None)):
            with self.subTest(scheme=scheme, key_id=key_id):
                execute("UPDATE picklejar.store SET integrity_scheme = %s, key_id = %s "
                        "WHERE name = %s", (scheme, key_id, name))
                with self.assertRaises(FormatError) as caught:
                    Session(socket_url(name), integrity_key=KEY if key_id else None)
                self.assertIn(f"store={name}", str(caught.exception))

    def test_a_session_does_not_write_a_store_upgraded_while_open(self) -> None:
        name = unique("upgraded")
        with Session(socket_url(name)) as s:
            s["x"] = 1
            s.save()
            # what a format upgrade does: a new revision (FORMAT-POSTGRES.md)
            execute("UPDATE picklejar.store SET format_version = 3, revision = revision + 1 "
                    "WHERE name = %s", (name,))
            s["x"] = 2
            with self.assertRaisesRegex(FormatError, "format version 3"):
                s.save()
            s.discard()
        self.assertEqual(store_row(name)["revision"], 2)

    def test_the_connection_bounds_idle_transactions(self) -> None:
        with Session(socket_url(unique("idle")), lock_timeout=90) as s:
            cur = s._state.store.conn.cursor()
            cur.execute("SHOW idle_in_transaction_session_timeout")
            self.assertEqual(cur.fetchone()[0], "90s")
        with Session(socket_url(unique("idle")), lock_timeout=1) as s:
            cur = s._state.store.conn.cursor()
            cur.execute("SHOW idle_in_transaction_session_timeout")
            self.assertEqual(cur.fetchone()[0], "1min")


class IntegrityTest(unittest.TestCase):
    def test_a_tampered_pickle_is_refused_before_decoding(self) -> None:
        name = unique("tampered")
        with Session(socket_url(name)) as s:
            s["x"] = {"a": 1}
            s["y"] = 2
        hostile = b"cos\nsystem\n(S'true'\ntR."  # would run a command if ever decoded
        execute("UPDATE picklejar.entry SET pickle = %s WHERE key = %s", (hostile, b"x"))
        with Session(socket_url(name)) as s:
            with self.assertRaises(IntegrityError) as caught:
                s["x"]
            self.assertIn("'x'", str(caught.exception))
            self.assertIn(f"store={name}", str(caught.exception))
            self.assertEqual(s["y"], 2)  # one bad entry does not stop the others
        # with a digest to match, the pre-scan still refuses what the pickle names
        execute("UPDATE picklejar.entry SET digest = %s WHERE key = %s",
                (hashlib.sha256(hostile).digest(), b"x"))
        with Session(socket_url(name)) as s:
            with self.assertRaises(picklejar.ForbiddenGlobal):
                s["x"]

    def test_a_file_and_a_store_hold_identical_entries(self) -> None:
        directory = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, directory, True)
        value = {"window": (640, 480), "recent": ["a.txt", "ü.txt"], "n": 2 ** 70}
        for key in (None, KEY):
            with self.subTest(hmac=key is not None):
                path = os.path.join(directory, f"{key is not None}.pj")
                name = unique(f"identical-{key is not None}")
                with Session(path, integrity_key=key, protocol=2) as s:
                    s["état/1"] = value
                    file_id = s.info.file_id
                Session(socket_url(name), integrity_key=key).close()
                # the same id, as `picklejar copy` gives the destination (FORMAT.md: the id
                # is in every HMAC, so stores of other ids hold other digests)
                execute("UPDATE picklejar.store SET file_id = %s WHERE name = %s",
                        (bytes.fromhex(file_id), name))
                with Session(socket_url(name), integrity_key=key, protocol=2) as s:
                    self.assertEqual(s.info.file_id, file_id)
                    s["état/1"] = value
                db = sqlite3.connect(path)
                in_file = db.execute("SELECT pickle, protocol, digest FROM entries WHERE key = ?",
                                     ("état/1",)).fetchone()
                key_id = db.execute("SELECT value FROM meta WHERE name = 'key_id'").fetchone()[0]
                db.close()
                stored = entry_row(name, "état/1")
                self.assertEqual((stored["pickle"], stored["protocol"], stored["digest"]),
                                 in_file)
                self.assertEqual(stored["pickle"], pickle.dumps(value, 2))
                self.assertEqual(store_row(name)["key_id"], key_id)
                if key is not None:
                    with self.assertRaisesRegex(IntegrityError, "key id"):
                        Session(socket_url(name))


class SecretsTest(unittest.TestCase):
    """A role with a password, over TCP: the password is in no error and no repr."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.role = f"pj_{secrets.token_hex(4)}"
        cls.password = "Pw-" + secrets.token_hex(12)
        conn = psycopg2.connect("")
        conn.autocommit = True
        cur = conn.cursor()
        cur.execute(f"CREATE ROLE {cls.role} LOGIN PASSWORD %s", (cls.password,))
        with Session(socket_url(unique("schema-exists"))):
            pass  # the tables exist, owned by the cluster's superuser
        cur.execute(f"GRANT USAGE ON SCHEMA picklejar TO {cls.role}")
        cur.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA picklejar "
                    f"TO {cls.role}")
        conn.close()

    def url(self, store: str, password: str = "") -> str:
        return tcp_url(store, self.role, password or self.password)

    def test_the_password_is_never_shown(self) -> None:
        name = unique("secret")
        seen = []
        with Session(self.url(name)) as s:
            s["x"] = 1
            seen += [repr(s), s.path, str(s.info)]
            with self.assertRaises(TypeError) as caught:
                s.increment("x", "1")
            seen.append(str(caught.exception))
        holder = Session(self.url(name))
        self.addCleanup(holder.close)
        with holder.transact():
            with self.assertRaises(LockTimeout) as caught:
                with Session(self.url(name), lock_timeout=0.2) as other:
                    other["y"] = 2
            seen.append(str(caught.exception))
        with self.assertRaises(ServerError) as caught:
            Session(self.url(name, password="wrong-" + self.password))
        seen.append(str(caught.exception))
        with self.assertRaises(StoreError) as caught:
            Session(self.url(unique("absent")), mode="read_write")
        seen.append(str(caught.exception))
        with self.assertRaises(StoreError) as caught:
            Session(self.url(name).replace("?store=", "?stor="))
        seen.append(str(caught.exception))
        for text in seen:
            self.assertNotIn(self.password, text)
            self.assertNotIn(self.password[3:], text)
        self.assertIn(f"postgresql://{self.role}@127.0.0.1:{os.environ['PGPORT']}/"
                      f"{os.environ['PGDATABASE']}?store={name}", seen[0])
        self.assertIn("timed out", seen[4])
        self.assertIn(f"store={name}", seen[4])
        self.assertIn("password authentication failed", seen[5])


class ConnectionTest(unittest.TestCase):
    @staticmethod
    def terminate(session: Session) -> None:
        pid = session._state.store.conn.info.backend_pid
        execute("SELECT pg_terminate_backend(%s)", (pid,))
        for _ in range(100):  # the server ends it asynchronously
            if not execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)):
                return
            time.sleep(0.05)

    def test_a_connection_lost_between_calls_is_opened_again(self) -> None:
        name = unique("reconnect")
        with Session(socket_url(name)) as s:
            s["x"] = 1
            s.save()
            for call in ("save", "load", "changes", "transact"):
                with self.subTest(call):
                    self.terminate(s)
                    s["x"] = s["x"] + 1
                    if call == "save":
                        s.save()
                    elif call == "transact":
                        with s.transact():
                            s["x"] += 0
                    else:
                        getattr(s, call)()
                        s.save()
        self.assertEqual(store_row(name)["revision"], 5)

    def test_a_connection_lost_during_a_save_fails_it_and_keeps_its_changes(self) -> None:
        name = unique("lost-save")
        with Session(socket_url(name)) as s:
            s["x"] = 1
        holder = Session(socket_url(name))
        self.addCleanup(holder.close)
        failure = []
        with Session(socket_url(name), lock_timeout=60) as s:
            s["x"] = 2
            s["y"] = 3
            with holder.transact():  # the row lock: s's save waits for it
                saver = threading.Thread(target=lambda: failure.append(_raises(s.save)))
                saver.start()
                for _ in range(200):  # wait until the save waits for the lock
                    if execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s AND "
                               "wait_event_type = 'Lock'",
                               (s._state.store.conn.info.backend_pid,)):
                        break
                    time.sleep(0.05)
                self.terminate(s)
                saver.join(30)
            self.assertIsInstance(failure[0], ServerError)
            self.assertIn(f"store={name}", str(failure[0]))
            self.assertIn("cannot save", str(failure[0]))
            self.assertEqual(s.unsaved_keys(), ["x", "y"])
            self.assertEqual(store_row(name)["revision"], 1)  # nothing of it written
            s.save()  # again, on a new connection
        with Session(socket_url(name)) as s:
            self.assertEqual(dict(s), {"x": 2, "y": 3})


def _raises(call) -> BaseException:
    try:
        call()
    except BaseException as e:  # noqa: BLE001 - handed to the test's thread
        return e
    return None


if __name__ == "__main__":
    unittest.main()
