#!/usr/bin/env python3
"""End-to-end tests of `picklejar backup`, `restore`, `vacuum` and `rekey` ($PICKLEJAR_BIN),
and of a restore through `export | import` that keeps what the application needs: its app
schema version, so that examples/desktop_state ($PICKLEJAR_DESKTOP_STATE, a C++ program with a
schema version and migrations) opens the restored file without migrating it."""
import json
import os
import pickle
import re
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

from test_cli_session_support import (BIN, digest, file_state, key_id, make_session, meta,
                                      one_line_error, rows, run, values)

DESKTOP_STATE = os.environ.get("PICKLEJAR_DESKTOP_STATE", "")
PYTHON_PACKAGE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python")

# Creates the file with the picklejar package, prints "created", waits for a line, then saves
# 2 KB entries until the file "running" beside it is gone.
WRITER = """
    import os, sys
    sys.path.insert(0, sys.argv[2])
    import picklejar
    path = sys.argv[1]
    running = os.path.join(os.path.dirname(path), "running")
    s = picklejar.Session(path, durability="fast", lock_timeout=60)
    print("created", flush=True)
    sys.stdin.readline()
    i = 0
    while os.path.exists(running):
        s[f"key{i % 200}"] = b"x" * 2048
        s["count"] = i
        s.save()
        i += 1
    s.close()
"""


class CliTest(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.dir = tmp.name
        self.file = self.path("s.pj")

    def path(self, name):
        return os.path.join(self.dir, name)

    def ok(self, *args, data=None):
        result = run(args, data)
        self.assertEqual((result.returncode, result.stderr.decode()), (0, ""), result)
        return result.stdout.decode()

    def key_file(self, name, key):
        with open(self.path(name), "wb") as f:
            f.write(key)
        return self.path(name)


class Backup(CliTest):
    def test_backup_of_a_file_being_written_opens_and_verifies_every_time_cp_does_not(self):
        open(self.path("running"), "w").close()
        writer = subprocess.Popen([sys.executable, "-c", textwrap.dedent(WRITER), self.file,
                                   PYTHON_PACKAGE], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        self.addCleanup(writer.kill)
        self.assertEqual(writer.stdout.readline().strip(), "created")
        # cp copies the file alone: as created (its journal turns WAL only after the creation),
        # without the saves that follow in the -wal.
        shutil.copyfile(self.file, self.path("cp.pj"))
        writer.stdin.write("go\n")
        writer.stdin.flush()
        self.assertIn("revision:           0\n", self.ok("info", self.path("cp.pj")))
        for n in range(8):
            out = self.path(f"backup{n}.pj")
            printed = self.ok("backup", self.file, out)
            self.assertRegex(printed, rf"^{self.file} -> {out}: revision \d+, \d+ entr")
            self.assertFalse(os.path.exists(out + "-wal"))
            verified = run(["verify", out])
            self.assertEqual(verified.returncode, 0, verified)
            time.sleep(0.02)
        os.unlink(self.path("running"))
        self.assertEqual(writer.wait(60), 0)
        writer.stdin.close()
        writer.stdout.close()
        self.assertGreater(meta(self.path("backup7.pj"))["revision"], 0)

    def test_the_copy_keeps_the_mode_and_names_entries_that_do_not_verify(self):
        make_session(self.file, {"a": pickle.dumps(1), "b": pickle.dumps([2])})
        os.chmod(self.file, 0o640)
        self.ok("backup", self.file, self.path("copy.pj"))
        self.assertEqual(stat.S_IMODE(os.stat(self.path("copy.pj")).st_mode), 0o640)
        self.assertEqual(values(self.path("copy.pj")), {"a": 1, "b": [2]})
        db = __import__("sqlite3").connect(self.file, isolation_level=None)
        db.execute("UPDATE entries SET digest = zeroblob(32) WHERE key = 'b'")
        db.close()
        result = run(["backup", self.file, self.path("copy2.pj")])
        self.assertEqual(result.returncode, 4, result)
        self.assertIn("1 entry of the file do not verify", result.stderr.decode())
        self.assertEqual(set(rows(self.path("copy2.pj"))), {"a", "b"})

    def test_refuses_the_session_itself(self):
        make_session(self.file, {"a": pickle.dumps(1)})
        before = file_state(self.file)
        one_line_error(self, run(["backup", self.file, self.file]), 1, "own file")
        self.assertEqual(file_state(self.file), before)


class Restore(CliTest):
    def setUp(self):
        super().setUp()
        self.ok("set", self.file, "a", "--json", "1")
        self.ok("set", self.file, "b", "--json", "2")
        self.ok("backup", self.file, self.path("good.pj"))
        self.ok("set", self.file, "a", "--json", "100")
        self.ok("rm", self.file, "b")

    def test_a_named_backup_then_undone(self):
        out = self.ok("restore", self.file, self.path("good.pj"))
        self.assertRegex(out, r"restored 2 entries from .*good.pj \(app schema version 0\); "
                              r"the state before is in .*s\.pj\.backup-\d{8}T")
        self.assertEqual(values(self.file), {"a": 1, "b": 2})
        listed = self.ok("restore", "--list", self.file).splitlines()
        self.assertEqual(len(listed), 1)
        self.ok("restore", self.file)  # the newest backup: the state before the restore
        self.assertEqual(values(self.file), {"a": 100})

    def test_no_backup_and_a_bad_backup_restore_nothing(self):
        one_line_error(self, run(["restore", self.file]), 1, "no backups of")
        before = file_state(self.file)
        db = __import__("sqlite3").connect(self.path("good.pj"), isolation_level=None)
        db.execute("UPDATE entries SET pickle = X'80044b0b2e' WHERE key = 'a'")
        db.close()
        result = run(["restore", self.file, self.path("good.pj")])
        self.assertEqual(result.returncode, 4, result)
        self.assertIn("'a' does not verify", result.stderr.decode())
        self.assertEqual(values(self.file), {"a": 100})
        self.assertEqual(file_state(self.file)[0], before[0])


class Vacuum(CliTest):
    def test_vacuum_gives_back_the_space_of_5000_erased_2kb_entries(self):
        entries = {f"entry{i:05}": pickle.dumps(b"v" * 2048, 4) for i in range(5000)}
        entries["kept"] = pickle.dumps(1, 4)
        make_session(self.file, entries)
        self.ok("rm", self.file, *[f"entry{i:05}" for i in range(5000)])
        out = self.ok("vacuum", self.file)
        match = re.fullmatch(rf"{re.escape(self.file)}: (\d+) -> (\d+) bytes \(with its -wal "
                             r"file\)\n", out)
        self.assertIsNotNone(match, out)
        before, after = int(match[1]), int(match[2])
        self.assertGreater(before, 10_000_000)
        self.assertLess(after, 1_000_000)
        self.assertLess(os.path.getsize(self.file), 1_000_000)
        self.assertEqual(values(self.file), {"kept": 1})


class Rekey(CliTest):
    def setUp(self):
        super().setUp()
        make_session(self.file, {"a": pickle.dumps(1), "b": pickle.dumps(["x"])})
        self.one = self.key_file("one.key", b"first key")
        self.two = self.key_file("two.key", b"second key\n")

    def check_signed(self, key):
        found = meta(self.file)
        self.assertEqual(found["integrity_scheme"], "sha256" if key is None else "hmac-sha256")
        self.assertEqual(found["key_id"], None if key is None else key_id(key))
        for name, row in rows(self.file).items():
            self.assertEqual(row[2], digest(key, name, row[0], found["file_id"]))

    def test_adds_changes_and_removes_the_key(self):
        self.assertIn("2 entries signed with key id " + key_id(b"first key"),
                      self.ok("rekey", self.file, "--new-key-file", self.one))
        self.check_signed(b"first key")
        self.ok("rekey", self.file, "--old-key-file", self.one, "--new-key-file", self.two)
        self.check_signed(b"second key\n")
        self.assertEqual(self.ok("get", "--key-file", self.two, self.file, "b"), "['x']\n")
        self.assertIn("without a key (sha256)",
                      self.ok("rekey", self.file, "--old-key-file", self.two))
        self.check_signed(None)
        self.assertEqual(values(self.file), {"a": 1, "b": ["x"]})

    def test_a_tampered_entry_or_the_wrong_key_writes_nothing(self):
        self.ok("rekey", self.file, "--new-key-file", self.one)
        db = __import__("sqlite3").connect(self.file, isolation_level=None)
        db.execute("UPDATE entries SET pickle = X'80044b0b2e' WHERE key = 'b'")
        db.close()
        before = (rows(self.file), meta(self.file))
        result = run(["rekey", self.file, "--old-key-file", self.one, "--new-key-file", self.two])
        self.assertEqual(result.returncode, 4, result)
        self.assertIn("'b'", result.stderr.decode())
        result = run(["rekey", self.file, "--old-key-file", self.two, "--new-key-file", self.one])
        self.assertEqual(result.returncode, 4, result)
        self.assertEqual((rows(self.file), meta(self.file)), before)

    def test_without_keys_is_a_usage_error(self):
        result = run(["rekey", self.file])
        self.assertEqual(result.returncode, 2, result)


class SchemaVersions(CliTest):
    def desktop(self, path, *args):
        if not DESKTOP_STATE:
            self.fail("PICKLEJAR_DESKTOP_STATE must name build/examples/desktop_state")
        done = subprocess.run([DESKTOP_STATE, path, *args], capture_output=True, text=True,
                              timeout=120)
        self.assertEqual(done.returncode, 0, done.stderr)
        return done.stdout

    def test_export_import_keeps_what_the_app_needs_and_the_app_opens_it_without_migrating(self):
        self.desktop(self.file, "--version", "1", "--theme", "dark")
        self.assertIn("migrating", self.desktop(self.file, "--open", "/a.txt"))
        document = self.ok("export", self.file).encode()
        self.assertEqual(json.loads(document)["app_schema_version"], 2)
        self.ok("import", self.path("restored.pj"), "-", data=document)
        self.assertEqual(meta(self.path("restored.pj"))["app_schema_version"], 2)
        self.assertEqual(meta(self.path("restored.pj"))["revision"], 1)  # one transaction
        out = self.desktop(self.path("restored.pj"))
        self.assertNotIn("migrating", out)
        self.assertNotIn("adopting", out)
        self.assertIn("theme dark, launch 2", out)
        self.assertIn("recent: /a.txt", out)

    def test_import_keeps_the_documents_default_protocol_for_a_file_it_creates(self):
        self.ok("set", self.file, "a", "--json", "1")
        self.ok("convert-protocol", self.file, "2")
        document = self.ok("export", self.file).encode()
        self.ok("import", self.path("new.pj"), "-", data=document)
        self.assertEqual(meta(self.path("new.pj"))["default_protocol"], 2)
        self.assertEqual({r[1] for r in rows(self.path("new.pj")).values()}, {2})
        self.ok("set", self.path("other.pj"), "x", "--json", "0")
        self.ok("import", self.path("other.pj"), "-", data=document)
        self.assertEqual(meta(self.path("other.pj"))["default_protocol"], 4)  # its own stays

    def test_import_into_a_file_of_another_version_is_refused_unless_told(self):
        doc = b'{"picklejar_export": 1, "app_schema_version": 2, "entries": {"k": 1}}'
        self.ok("set", "--schema-version", "1", self.file, "old", "--json", "0")
        self.assertEqual(meta(self.file)["app_schema_version"], 1)
        before = file_state(self.file)
        one_line_error(self, run(["import", self.file, "-"], doc), 1,
                       "has app schema version 1 and the document 2")
        self.assertEqual(file_state(self.file), before)
        self.ok("import", "--force", self.file, "-", data=doc)
        self.assertEqual((meta(self.file)["app_schema_version"], values(self.file)),
                         (1, {"old": 0, "k": 1}))
        self.ok("import", "--schema-version", "3", self.file, "-", data=doc)
        self.assertEqual(meta(self.file)["app_schema_version"], 3)
        before = file_state(self.file)
        both = run(["import", "--schema-version", "2", "--force", self.file, "-"], doc)
        self.assertEqual(both.returncode, 2, both)  # one or the other
        self.assertEqual(file_state(self.file), before)

    def test_an_import_refused_for_its_version_leaves_a_rollback_mode_file_as_it_was(self):
        # The read-write open would switch it to WAL (header bytes 18-19) and make its lock
        # file: the refusal comes first.
        doc = b'{"picklejar_export": 1, "app_schema_version": 2, "entries": {"k": 1}}'
        self.ok("set", "--schema-version", "1", self.file, "old", "--json", "0")
        db = sqlite3.connect(self.file, isolation_level=None)
        db.execute("PRAGMA journal_mode = DELETE")
        db.close()
        os.remove(self.file + ".lock")
        with open(self.file, "rb") as f:
            before = f.read()
        self.assertEqual(before[18:20], b"\x01\x01")  # rollback journal, not WAL
        one_line_error(self, run(["import", self.file, "-"], doc), 1,
                       "has app schema version 1 and the document 2")
        with open(self.file, "rb") as f:
            self.assertEqual(f.read(), before)
        self.assertEqual(os.listdir(self.dir), ["s.pj"])  # no .lock, -wal, -shm or -journal

    def test_set_gives_a_new_file_a_schema_version_and_guards_an_existing_one(self):
        self.ok("set", "--schema-version", "2", self.file, "launches", "--json", "5")
        self.assertEqual(meta(self.file)["app_schema_version"], 2)
        self.assertEqual(meta(self.file)["revision"], 1)
        one_line_error(self, run(["set", "--schema-version", "3", self.file, "x", "--json", "1"]),
                       1, "has app schema version 2, not 3")
        self.assertIn("launch 6", self.desktop(self.file))  # no migration needed

    def test_the_app_adopts_a_file_made_without_a_version(self):
        self.ok("set", self.file, "launches", "--json", "5")
        self.assertEqual(meta(self.file)["app_schema_version"], 0)
        out = self.desktop(self.file)
        self.assertIn("adopting a state file without a version (1 keys)", out)
        self.assertIn("launch 6", out)
        self.assertEqual(meta(self.file)["app_schema_version"], 2)

    def test_a_document_with_a_bad_version_is_refused(self):
        doc = b'{"picklejar_export": 1, "app_schema_version": "two", "entries": {}}'
        one_line_error(self, run(["import", self.path("new.pj"), "-"], doc), 1,
                       "app_schema_version")
        self.assertFalse(os.path.exists(self.path("new.pj")))


if __name__ == "__main__":
    unittest.main()
