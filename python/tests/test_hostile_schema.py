"""Hostile schema objects (docs/FORMAT.md "Hardening"): a session file to which someone added a
trigger, a view, a virtual table, a generated column, an index or a changed definition is
refused at open — promptly, FormatError naming the file and the object, the file untouched —
and nothing it defines runs: not at open, not at a later save (the schema is checked again
when it changes), and not through the package's connections either (an authorizer refuses
what triggers and views do; statements are bounded in time, values in size)."""

from __future__ import annotations

import os
import sqlite3
import sys
import time
import unittest

from picklejar import FormatError, Session, SqliteError
from picklejar import _schema, _sqlite

from support import ScratchTest, raw, run_python, snapshot, sql

LOOT = ("CREATE TABLE loot (key, pickle);"
        "CREATE TRIGGER steal AFTER INSERT ON entries BEGIN "
        "  INSERT INTO loot VALUES (NEW.key, NEW.pickle); END;"
        "CREATE TRIGGER steal_update AFTER UPDATE ON entries BEGIN "
        "  INSERT INTO loot VALUES (NEW.key, NEW.pickle); END")
IGNORE = "CREATE TRIGGER drop_saves BEFORE INSERT ON entries BEGIN SELECT RAISE(IGNORE); END"
REVERT = ("CREATE TABLE saved AS SELECT * FROM entries;"
          "CREATE TRIGGER revert AFTER UPDATE ON entries BEGIN "
          "  UPDATE entries SET pickle = (SELECT pickle FROM saved WHERE key = NEW.key), "
          "    digest = (SELECT digest FROM saved WHERE key = NEW.key) WHERE key = NEW.key; END")
ENDLESS_META = ("ALTER TABLE meta RENAME TO meta_real;"
                "CREATE VIEW meta AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
                "  SELECT i + 1 FROM n) SELECT name, value FROM meta_real, n")
ZEROBLOB = {
    "view 'entries'": ("ALTER TABLE entries RENAME TO entries_real;"
                       "CREATE VIEW entries AS SELECT key, zeroblob(999000000) AS pickle, "
                       "  protocol, digest, revision, modified_us FROM entries_real"),
    "table 'entries'": ("CREATE TABLE e2 (key TEXT PRIMARY KEY NOT NULL, "
                        "  pickle BLOB AS (zeroblob(999000000)), protocol INTEGER, digest BLOB, "
                        "  revision INTEGER, modified_us INTEGER);"
                        "INSERT INTO e2 (key, protocol, digest, revision, modified_us) "
                        "  SELECT key, protocol, digest, revision, modified_us FROM entries;"
                        "DROP TABLE entries; ALTER TABLE e2 RENAME TO entries"),
}
KEY = b"secret"

# In a child: opens argv[1] in mode argv[2], reads every entry, prints what happened, how
# long it took and its peak resident set.
OPEN_AND_READ = """
    import resource, sys, time
    from picklejar import Session, PicklejarError
    start = time.monotonic()
    try:
        with Session(sys.argv[1], mode=sys.argv[2]) as s:
            [s[k] for k in s]
        outcome = "opened"
    except PicklejarError as e:
        outcome = f"{type(e).__name__}: {e}"
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{time.monotonic() - start:.3f} {peak:.1f} {outcome}")
"""


class HostileSchemaTest(ScratchTest):
    def make(self, script: str = "", **options) -> None:
        """A fresh session file (replacing the last one), then `script` run on it."""
        for suffix in ("", "-wal", "-shm", "-journal"):
            if os.path.exists(self.path() + suffix):
                os.remove(self.path() + suffix)
        with Session(self.path(), **options) as s:
            s.update({"a": [1, 2], "b": "text"})
            s.save()
        if script:
            raw(self.path()).executescript(script)

    def assert_refused(self, object_: str, **options) -> None:
        before = snapshot(self.path())
        for mode in ("create", "read_write", "read_only"):
            with self.subTest(mode=mode):
                with self.assertRaises(FormatError) as caught:
                    Session(self.path(), mode=mode, **options)
                self.assertEqual(caught.exception.path, self.path())
                self.assertIn(self.path(), str(caught.exception))
                self.assertIn(object_, str(caught.exception))
                self.assertEqual(snapshot(self.path()), before)

    def in_child(self, mode: str = "read_only"):
        """(seconds, peak RSS MiB, outcome) of OPEN_AND_READ; fails when it runs 60 s."""
        result = run_python(OPEN_AND_READ, self.path(), mode, timeout=60)
        seconds, peak, outcome = result.stdout.strip().split(" ", 2)
        return float(seconds), float(peak), outcome

    def test_a_trigger_copying_saves_to_a_loot_table(self) -> None:
        self.make(LOOT)
        self.assert_refused("trigger 'steal' on table 'entries'")
        self.assertEqual(sql(self.path(), "SELECT count(*) FROM loot"), [(0,)])

    def test_raise_ignore_before_insert(self) -> None:
        self.make(IGNORE)
        self.assert_refused("trigger 'drop_saves' on table 'entries'")

    def test_a_trigger_reverting_saves_in_an_hmac_file(self) -> None:
        self.make(REVERT, integrity_key=KEY)
        self.assert_refused("trigger 'revert' on table 'entries'", integrity_key=KEY)

    def test_a_trigger_added_after_the_open_never_fires(self) -> None:
        for script in (LOOT, IGNORE, REVERT):
            with self.subTest(script=script[:40]):
                self.make(integrity_key=KEY)
                with Session(self.path(), integrity_key=KEY) as s:
                    raw(self.path()).executescript(script)  # another program, after the open
                    s["secret"] = "password"
                    s["a"] = "changed"
                    with self.assertRaisesRegex(FormatError, "its schema is not a session "
                                                             "file's: trigger"):
                        s.save()  # never a silent success, never a copy, never a revert
                    s.discard()  # (leaving the block would save again)
                self.assertEqual(sql(self.path(), "SELECT count(*) FROM entries WHERE key = "
                                                  "'secret'"), [(0,)])
                self.assertEqual(sql(self.path(), "SELECT revision FROM entries WHERE key = "
                                                  "'a'"), [(1,)])
                if script is LOOT:
                    self.assertEqual(sql(self.path(), "SELECT count(*) FROM loot"), [(0,)])

    def test_a_view_of_meta_that_never_ends_is_refused_promptly(self) -> None:
        self.make(ENDLESS_META)
        for mode in ("read_only", "read_write", "create"):
            with self.subTest(mode=mode):
                seconds, _, outcome = self.in_child(mode)  # today's main: never returns
                self.assertTrue(outcome.startswith("FormatError: "), outcome)
                self.assertIn("view 'meta': views are never part of a session file", outcome)
                self.assertLess(seconds, 30)

    def test_zeroblob_through_a_view_or_generated_column_costs_nothing(self) -> None:
        for object_, script in ZEROBLOB.items():
            with self.subTest(object_):
                self.make(script)
                seconds, peak, outcome = self.in_child()
                print(f"\n{object_}: {outcome[:60]}... in {seconds} s, peak RSS {peak} MiB",
                      file=sys.stderr)
                self.assertTrue(outcome.startswith("FormatError: "), outcome)
                self.assertIn(object_, outcome)
                self.assertLess(seconds, 30)
                self.assertLess(peak, 200)  # today's main: ~3 GB, then MemoryError

    def test_virtual_tables_indexes_and_changed_definitions(self) -> None:
        cases = {
            "FTS4 entries": ("ALTER TABLE entries RENAME TO old_entries;"
                             "CREATE VIRTUAL TABLE entries USING fts4(key, pickle, protocol, "
                             "  digest, revision, modified_us);"
                             "INSERT INTO entries SELECT * FROM old_entries;"
                             "DROP TABLE old_entries",
                             "table 'entries': virtual tables are never part of a session file"),
            "hostile index": ("CREATE INDEX trap ON entries "
                              "  (CASE WHEN key = 'trap' THEN zeroblob(500000000) END)",
                              "index 'trap' on table 'entries'"),
            "CHECK removed": ("PRAGMA writable_schema = ON;"
                              "UPDATE sqlite_master SET sql = replace(sql, "
                              "  'CHECK (typeof(pickle) = ''blob'')', '') WHERE name = 'entries'",
                              "table 'entries': it differs from its definition"),
            "column added": ("ALTER TABLE entries ADD COLUMN note TEXT",
                             "table 'entries': it differs"),
            "generated column elsewhere": ("CREATE TABLE notes (a, b AS (zeroblob(a)))",
                                           "table 'notes': column 'b' is a generated column"),
            "expression index elsewhere": ("CREATE TABLE notes (a);"
                                           "CREATE INDEX notes_len ON notes (length(a))",
                                           "index 'notes_len' on table 'notes': it indexes an "
                                           "expression"),
        }
        for name, (script, object_) in cases.items():
            with self.subTest(name):
                self.make(script)
                self.assert_refused(object_)

    def test_tables_the_format_does_not_know_and_reformatted_sql_are_allowed(self) -> None:
        self.make("CREATE TABLE app_notes (id INTEGER PRIMARY KEY, text TEXT UNIQUE);"
                  "CREATE INDEX app_notes_text ON app_notes (text, id);"
                  "PRAGMA writable_schema = ON;"
                  "UPDATE sqlite_master SET sql = 'CREATE TABLE meta(name TEXT PRIMARY KEY NOT "
                  "NULL ,\n\tvalue ) WITHOUT ROWID' WHERE name = 'meta'")
        with Session(self.path()) as s:
            self.assertEqual(s["b"], "text")
            s["c"] = 3
            s.save()
            self.assertEqual(s.check_database(), [])

    def test_every_problem_is_listed_like_the_cpp_library_lists_it(self) -> None:
        self.make(LOOT + ";" + ENDLESS_META)
        db = _sqlite.connect(self.path(), "ro", 5)
        try:
            self.assertEqual(_schema.problems(db, 1), [
                "trigger 'steal' on table 'entries': triggers are never part of a session file",
                "trigger 'steal_update' on table 'entries': triggers are never part of a "
                "session file",
                "view 'meta': views are never part of a session file"])
        finally:
            db.close()

    def test_normalize_sql(self) -> None:
        normalize = _schema.normalize_sql
        self.assertEqual(normalize("  CREATE INDEX ix on x ( a , b ) "),
                         "CREATE INDEX ix on x(a,b)")
        self.assertEqual(normalize("CREATE TABLE t (\n  a TEXT,\n  b\n)"),
                         "CREATE TABLE t(a TEXT,b)")
        self.assertEqual(normalize("CHECK (x = ' a  b ' AND \"c  d\" = [e  f] AND `g  h` = "
                                   "'i''  j')"),
                         "CHECK(x = ' a  b ' AND \"c  d\" = [e  f] AND `g  h` = 'i''  j')")
        self.assertEqual(normalize("a - -1"), "a - -1")
        self.assertEqual(_schema.format_objects(3), ())


class HardenedConnectionTest(ScratchTest):
    def setUp(self) -> None:
        super().setUp()
        with Session(self.path()) as s:
            s["a"] = 1
            s.save()

    def test_triggers_and_views_never_run_through_a_connection(self) -> None:
        db = _sqlite.connect(self.path(), "rw", 5)  # opened before the objects exist
        try:
            raw(self.path()).executescript(LOOT + "; CREATE VIEW v AS SELECT 1")
            if hasattr(db, "setconfig"):  # Python 3.12+: SQLite's own switches, as in C++
                for option, value in (("DEFENSIVE", True), ("ENABLE_TRIGGER", False),
                                      ("ENABLE_VIEW", False), ("TRUSTED_SCHEMA", False)):
                    self.assertEqual(db.getconfig(getattr(sqlite3, "SQLITE_DBCONFIG_" + option)),
                                     value, option)
                db.execute("INSERT INTO entries VALUES ('k', x'80044b012e', 4, zeroblob(32), "
                           "2, 0)")
            else:  # Python 3.11: the authorizer refuses what the trigger would do
                with self.assertRaisesRegex(sqlite3.DatabaseError, "not authorized"):
                    db.execute("INSERT INTO entries VALUES ('k', x'80044b012e', 4, "
                               "zeroblob(32), 2, 0)")
                self.assertEqual(db.refused_source, "steal")
            with self.assertRaises(sqlite3.DatabaseError):
                db.execute("SELECT * FROM v").fetchall()
        finally:
            db.close()
        self.assertEqual(sql(self.path(), "SELECT count(*) FROM loot"), [(0,)])

    def test_statements_are_bounded_in_time(self) -> None:
        db = _sqlite.connect(self.path(), "ro", 0.2)  # raised to MIN_STATEMENT_SECONDS
        start = time.monotonic()
        try:
            thousand = "[" + ",".join(["0"] * 1000) + "]"  # 10^12 rows joined: "never ends"
            with self.assertRaises(sqlite3.OperationalError) as caught:
                db.execute("SELECT count(*) FROM json_each(?1), json_each(?1), json_each(?1), "
                           "json_each(?1)", (thousand,)).fetchall()
            seconds = time.monotonic() - start
            self.assertGreaterEqual(seconds, 0.9)
            self.assertLess(seconds, 30)
            error = _sqlite.wrap(caught.exception, self.path(), "cannot read")
            self.assertIsInstance(error, SqliteError)
            self.assertIn(f"cannot read '{self.path()}': a statement ran longer than the lock "
                          "timeout (at least 1 s) and was stopped", str(error))
            # The clock restarts for every statement and every row.
            self.assertEqual(db.execute("SELECT count(*) FROM entries").fetchall(), [(1,)])
        finally:
            db.close()

    def test_values_are_bounded_in_size(self) -> None:
        db = _sqlite.connect(self.path(), "ro", 5)
        try:
            if not hasattr(db, "setlimit"):  # sqlite3 has setlimit() since Python 3.11
                self.assertLess(sys.version_info, (3, 11))
                return
            self.assertLessEqual(db.getlimit(sqlite3.SQLITE_LIMIT_LENGTH), _sqlite.MAX_VALUE_BYTES)
            self.assertEqual(db.getlimit(sqlite3.SQLITE_LIMIT_SQL_LENGTH), 1 << 20)
            with self.assertRaisesRegex(sqlite3.DataError, "too big"):
                db.execute("SELECT zeroblob(1100000000)").fetchall()
        finally:
            db.close()


if __name__ == "__main__":
    unittest.main()
