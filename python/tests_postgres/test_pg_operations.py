"""The Session operations on a store beyond get/set/save: the transaction settings, whole-store
operations (restore, rekey, protocol conversion), what only files have, keys the layout
refuses, watching another process, and a forked child."""

from __future__ import annotations

import gc
import os
import shutil
import tempfile
import time
import unittest

from pg_support import execute, finish, socket_url, start_python, store_row, tcp_url, unique

import picklejar
from picklejar import FormatError, IntegrityError, ServerError, Session, StoreError

SAVE_LATER = """
    import sys, time, picklejar
    with picklejar.Session(sys.argv[1]) as s:
        sys.stdin.readline()
        time.sleep(0.3)
        s["news"] = "hello"
    print("saved", flush=True)
"""


def _settings(session: Session) -> tuple:
    cur = session._state.store.conn.cursor()
    cur.execute("SELECT current_setting('lock_timeout'), current_setting('synchronous_commit')")
    return cur.fetchone()


class TransactionSettingsTest(unittest.TestCase):
    def test_lock_timeout_and_durability_hold_for_the_session_s_transactions(self) -> None:
        for options, expected in (({}, ("5s", "on")),
                                  ({"durability": "fast", "lock_timeout": 2.5},
                                   ("2500ms", "off")),
                                  ({"lock_timeout": 0}, ("1ms", "on"))):
            with self.subTest(options), Session(socket_url(unique("settings")), **options) as s:
                with s.transact():
                    self.assertEqual(_settings(s), expected)
                # set for the transaction only (set_config(..., true))
                self.assertEqual(_settings(s)[1], "on")


    def test_a_transaction_left_idle_is_ended_by_the_server(self) -> None:
        from picklejar._backends import postgres

        name = unique("idle")
        saved_minimum, postgres._MIN_IDLE_SECONDS = postgres._MIN_IDLE_SECONDS, 1.0
        try:
            s = Session(socket_url(name), lock_timeout=1)  # idle at most 1 s (minimum lowered)
        finally:
            postgres._MIN_IDLE_SECONDS = saved_minimum
        with s:
            with self.assertRaises(ServerError) as caught:
                with s.transact():
                    s["x"] = 1
                    time.sleep(3)  # a hung client: the server ends its connection
            self.assertIn("cannot transact on", str(caught.exception))
            with Session(socket_url(name), lock_timeout=5) as other:  # the lock is free
                other.increment("y")
            self.assertEqual(s.unsaved_keys(), [])  # the body's change went with it
            s["z"] = 2
            s.save()  # on a new connection
        self.assertEqual(store_row(name)["revision"], 2)


class WholeStoreTest(unittest.TestCase):
    def test_restore_rekey_convert_and_schema_version(self) -> None:
        directory = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, directory, True)
        backup = os.path.join(directory, "b.pj")
        with Session(backup) as f:
            f.update({"a": 1, "b": [2]})
            f.set_app_schema_version(3)
        name = unique("whole")
        url = socket_url(name)
        with Session(url) as s:
            s.update({"b": "old", "gone": 0})
        with Session(url) as s:
            s.restore(backup)  # a file's entries into a store, as one revision
            self.assertEqual(dict(s), {"a": 1, "b": [2]})
            s.convert_protocol(2)
            s.rekey(b"k" * 32)
        row = store_row(name)
        self.assertEqual((row["app_schema_version"], row["default_protocol"],
                          row["integrity_scheme"], row["revision"]), (3, 2, "hmac-sha256", 4))
        with self.assertRaisesRegex(IntegrityError, "key id"):
            Session(url)
        with Session(url, integrity_key=b"k" * 32, mode="read_only") as s:
            self.assertEqual(dict(s), {"a": 1, "b": [2]})
            self.assertEqual(s.entry_info("a").protocol, 2)

    def test_what_only_files_have_is_refused_naming_the_store(self) -> None:
        with Session(socket_url(unique("no-file"))) as s:
            for call in (lambda: s.backup(os.devnull), s.vacuum, s.check_database):
                with self.assertRaisesRegex(StoreError, "PostgreSQL server, not a file"):
                    call()
        with self.assertRaisesRegex(StoreError, "pg_dump"):
            Session(socket_url(unique("no-file")), keep_backups=2)


class KeysTest(unittest.TestCase):
    def test_a_key_longer_than_the_layout_holds_fails_the_save_and_stays_unsaved(self) -> None:
        name = unique("long-key")
        with Session(socket_url(name)) as s:
            s["k" * 2048] = 1  # the longest a store holds
            s.save()
            s["k" * 2049] = 2
            with self.assertRaises(ServerError) as caught:
                s.save()
            self.assertEqual(caught.exception.sqlstate, "23514")
            self.assertIn(f"store={name}", str(caught.exception))
            self.assertEqual(s.unsaved_keys(), ["k" * 2049])
            s.discard()
        self.assertEqual(store_row(name)["revision"], 1)

    def test_a_key_that_is_not_utf8_makes_the_store_unreadable(self) -> None:
        name = unique("bad-key")
        with Session(socket_url(name)) as s:
            s["x"] = 1
        execute("UPDATE picklejar.entry SET key = %s WHERE key = %s", (b"\xff\xfe", b"x"))
        with self.assertRaises(FormatError) as caught:
            Session(socket_url(name))
        self.assertIn("not UTF-8", str(caught.exception))
        self.assertIn(f"store={name}", str(caught.exception))


class WatchTest(unittest.TestCase):
    def test_wait_for_change_wakes_when_another_process_saves(self) -> None:
        url = tcp_url(unique("watched"))
        with Session(url) as s:
            self.assertFalse(s.changes())
            writer = start_python(SAVE_LATER, url)
            writer.stdin.write("go\n")
            writer.stdin.flush()
            started = time.monotonic()
            changes = s.wait_for_change(60)
            waited = time.monotonic() - started
            self.assertEqual(finish(writer), "saved\n")
            self.assertEqual(changes.added, ("news",))
            self.assertEqual(s["news"], "hello")
            self.assertLess(waited, 30)  # woken by the notification, not the timeout
            self.assertFalse(s.changed())
            started = time.monotonic()
            self.assertFalse(s.wait_for_change(0.3))  # nothing: waits its time out
            self.assertGreaterEqual(time.monotonic() - started, 0.3)


class ForkTest(unittest.TestCase):
    def test_a_forked_child_freeing_the_session_leaves_the_parent_s_connection(self) -> None:
        with Session(socket_url(unique("forked"))) as s:
            s["a"] = 1
            s.save()
            backend = s._state.store.conn.info.backend_pid
            child = os.fork()
            if child == 0:  # the child drops and frees everything it inherited
                code = 0
                try:
                    with self.assertRaisesRegex(StoreError, "fork"):
                        s["b"] = 2
                    s.close()
                    picklejar.session._inherited_connections.clear()
                    gc.collect()
                except BaseException:  # noqa: BLE001
                    code = 1
                os._exit(code)
            self.assertEqual(os.waitpid(child, 0)[1], 0)
            s["b"] = 2
            s.save()
            self.assertEqual(s._state.store.conn.info.backend_pid, backend)


if __name__ == "__main__":
    unittest.main()
