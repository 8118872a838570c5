#!/usr/bin/env python3
"""End-to-end tests of the picklejar command on hostile session files ($PICKLEJAR_BIN):
malformed and malicious pickles planted with a correct SHA-256 (so only the decoder catches
them), tampered digests and moved HMAC entries, a damaged database, foreign SQLite files,
random bytes, truncated files, newer formats and locked files. Every verb must fail with one
line naming file, key and cause, the documented exit status, and a file left as it was."""
import collections
import contextlib
import datetime
import decimal
import os
import pickle
import pickletools
import sqlite3
import sys
import tempfile
import types
import unittest

from test_cli_session_support import (connect, file_state, holding_lock, make_session,
                                      one_line_error, plant, rows, run)

WRITE_VERBS = [["set", "{file}", "k", "--json", "1"], ["rm", "{file}", "a"],
               ["import", "{file}", "{doc}"], ["upgrade", "{file}"],
               ["convert-protocol", "{file}", "2"]]
READ_VERBS = [["ls", "{file}"], ["get", "{file}", "a"], ["info", "{file}"], ["verify", "{file}"],
              ["export", "{file}"]]

# Pickles no decoder should accept, each with why it fails.
MALFORMED = {
    "truncated": (pickle.dumps([1, 2, 3], 4)[:-3], "truncated"),
    "garbage": (b"\xff\xfe", "opcode"),
    "trailing": (pickle.dumps(1, 2) + b"extra", "trailing data"),
    "empty": (b"", "empty input"),
    "huge_length": (b"\x80\x04X\xff\xff\xff\xffabc.", "declares 4294967295 bytes"),
}
# Pickles that attack a decoder (or a Python reader): the safe decoder refuses or bounds them.
MALICIOUS = {
    "marks": (b"(" * 20000 + b".", "max_depth"),                 # MARK depth bomb
    "nesting": (b"\x80\x02" + b"]" * 20000 + b"a" * 19999 + b".", "max_depth"),  # 20,000 deep
    "ext_code": (b"\x80\x02\x82\x01.", "EXT"),               # copyreg extension registry
    "persistent_id": (b"\x80\x02K\x01Q.", "persistent"),     # BINPERSID with no hook
}


def system_pickle(marker):
    """os.system(f"touch {marker}") when Python's pickle.loads reads it."""
    return f"cos\nsystem\n(S'touch {marker}'\ntR.".encode()


class HostileTest(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.dir = tmp.name
        self.file = os.path.join(self.dir, "s.pj")
        self.doc = os.path.join(self.dir, "in.json")
        with open(self.doc, "w") as f:
            f.write('{"picklejar_export": 1, "entries": {"k": 2}}')

    def args(self, template):
        return [a.format(file=self.file, doc=self.doc) for a in template]

    def assertUnchangedBy(self, verbs, status, *parts):
        """Each verb fails with `status` and one stderr line with `parts`; nothing written."""
        before = file_state(self.file)
        for verb in verbs:
            with self.subTest(verb=verb[0]):
                one_line_error(self, run(self.args(verb)), status, *parts)
                self.assertEqual(file_state(self.file), before)

    def verify_lines(self, result):
        """verify's stdout: the problem lines, then the summary line."""
        lines = result.stdout.decode().splitlines()
        return lines[:-1], lines[-1]


class BadEntries(HostileTest):
    def plant_all(self, bad):
        make_session(self.file, {"a": pickle.dumps("fine", 4), "z": pickle.dumps([1], 4)})
        for name, (data, _) in bad.items():
            plant(self.file, name, data)

    def check_verify_lists(self, bad):
        result = run(["verify", self.file])
        self.assertEqual(result.returncode, 4, result)
        problems, summary = self.verify_lines(result)
        self.assertEqual(len(problems), len(bad), problems)
        for line, (name, (_, why)) in zip(problems, sorted(bad.items())):
            self.assertIn(f"key '{name}'", line)
            self.assertIn(why, line)
            self.assertIn(self.file, line)
        self.assertEqual(summary, f"{self.file}: {len(bad) + 2} entries, {len(bad)} bad; "
                                  "SQLite integrity check: ok")
        self.assertEqual(result.stderr.decode(),
                         f"picklejar verify: {self.file}: {len(bad)} of {len(bad) + 2} entries "
                         "failed verification\n")

    def test_malformed_pickles_are_listed_by_verify(self):
        self.plant_all(MALFORMED)
        self.check_verify_lists(MALFORMED)

    def test_malicious_pickles_are_listed_by_verify(self):
        self.plant_all(MALICIOUS)
        self.check_verify_lists(MALICIOUS)

    def test_a_bad_entry_fails_alone(self):
        self.plant_all(MALFORMED)
        self.assertEqual(run(["get", self.file, "a"]).stdout, b"'fine'\n")
        for name, (data, why) in MALFORMED.items():
            with self.subTest(name=name):
                one_line_error(self, run(["get", self.file, name]), 1, f"key '{name}'", why,
                               self.file)
                # The stored bytes, to look at with `picklejar dis`.
                result = run(["get", "-f", "pickle", self.file, name])
                self.assertEqual((result.returncode, result.stdout), (0, data))
        self.assertEqual(run(["ls", self.file]).returncode, 0)

    def test_export_and_convert_refuse_a_bad_entry_and_write_nothing(self):
        self.plant_all({"truncated": MALFORMED["truncated"]})
        out = os.path.join(self.dir, "out.json")
        one_line_error(self, run(["export", self.file, "-o", out]), 1, "key 'truncated'")
        self.assertFalse(os.path.exists(out))
        self.assertFalse([n for n in os.listdir(self.dir) if n.startswith("out.json")])
        one_line_error(self, run(["export", self.file]), 1, "key 'truncated'")
        before = rows(self.file)
        one_line_error(self, run(["convert-protocol", self.file, "2"]), 1, "key 'truncated'")
        self.assertEqual(rows(self.file), before)

    def test_globals_decode_inert_and_strict_verify_fails_them(self):
        marker = os.path.join(self.dir, "MARKER")
        make_session(self.file, {"a": pickle.dumps(1, 4)})
        plant(self.file, "run", system_pickle(marker))
        plant(self.file, "eval", b"cbuiltins\neval\n(S'1+1'\ntR.")
        self.assertEqual(run(["verify", self.file]).returncode, 0)
        result = run(["get", self.file, "run"])
        self.assertEqual(result.returncode, 0, result)
        self.assertIn(b"system", result.stdout)
        self.assertFalse(os.path.exists(marker))  # nothing ran

        result = run(["verify", "--strict", self.file])
        self.assertEqual(result.returncode, 4, result)
        problems, _ = self.verify_lines(result)
        self.assertEqual(len(problems), 2, problems)
        self.assertRegex(problems[0], r"key 'eval'.*builtins\.eval")
        self.assertRegex(problems[1], r"key 'run'.*os\.system")
        result = run(["verify", "--strict", "--allow-global", "os.system", "--allow-global",
                      "builtins.eval", self.file])
        self.assertEqual(result.returncode, 0, result)
        self.assertFalse(os.path.exists(marker))


class TamperedDigests(HostileTest):
    def test_a_changed_pickle_or_digest_fails_its_check(self):
        make_session(self.file, {"a": pickle.dumps(1, 4), "b": pickle.dumps(2, 4),
                                 "c": pickle.dumps(3, 4)})
        with contextlib.closing(sqlite3.connect(self.file)) as db, db:
            db.execute("UPDATE entries SET pickle = ? WHERE key = 'a'", (pickle.dumps(9, 4),))
            db.execute("UPDATE entries SET digest = zeroblob(32) WHERE key = 'c'")
        result = run(["verify", self.file])
        self.assertEqual(result.returncode, 4, result)
        problems, summary = self.verify_lines(result)
        self.assertEqual(len(problems), 2)
        self.assertRegex(problems[0], r"key 'a'.*SHA-256 does not match")
        self.assertRegex(problems[1], r"key 'c'.*SHA-256 does not match")
        self.assertIn("3 entries, 2 bad", summary)
        one_line_error(self, run(["get", self.file, "a"]), 4, "key 'a'", "SHA-256")
        one_line_error(self, run(["get", "-f", "pickle", self.file, "c"]), 4, "key 'c'")
        one_line_error(self, run(["export", self.file]), 4, "key 'a'")
        result = run(["get", "-f", "pickle", "--unverified", self.file, "a"])
        self.assertEqual((result.returncode, result.stdout), (0, pickle.dumps(9, 4)))
        self.assertEqual(run(["get", self.file, "b"]).stdout, b"2\n")

    def test_an_hmac_entry_moved_to_another_key_fails(self):
        key_file = os.path.join(self.dir, "k")
        with open(key_file, "wb") as f:
            f.write(b"secret")
        self.assertEqual(run(["set", "--key-file", key_file, self.file, "a", "--json",
                              "1"]).returncode, 0)
        with contextlib.closing(sqlite3.connect(self.file)) as db, db:
            db.execute("INSERT INTO entries SELECT 'b', pickle, protocol, digest, revision, "
                       "modified_us FROM entries WHERE key = 'a'")
        result = run(["verify", "--key-file", key_file, self.file])
        self.assertEqual(result.returncode, 4, result)
        problems, _ = self.verify_lines(result)
        self.assertEqual(len(problems), 1)
        self.assertRegex(problems[0], r"key 'b'.*HMAC-SHA256 does not match")


class DamagedDatabase(HostileTest):
    def test_sqlite_integrity_check_failures_are_listed(self):
        make_session(self.file, {f"k{i}": pickle.dumps(i, 4) for i in range(200)})
        # entries_revision pointed at tombstones_revision's (empty) b-tree: its declaration
        # is the format's, its rows are missing. SQLite's integrity check finds it, while
        # every entry still reads and verifies.
        with contextlib.closing(sqlite3.connect(self.file)) as db:
            db.execute("PRAGMA writable_schema = ON")
            db.execute("UPDATE sqlite_master SET rootpage = (SELECT rootpage FROM sqlite_master "
                       "WHERE name = 'tombstones_revision') WHERE name = 'entries_revision'")
            db.commit()
        result = run(["verify", self.file])
        self.assertEqual(result.returncode, 4, result)
        problems, summary = self.verify_lines(result)
        self.assertTrue(problems and all(p.startswith("database: ") for p in problems), problems)
        self.assertIn("entries_revision", "".join(problems))
        self.assertEqual(summary, f"{self.file}: 200 entries, 0 bad; SQLite integrity check: "
                                  "FAILED")
        self.assertIn("SQLite's integrity check failed", result.stderr.decode())


class NotSessionFiles(HostileTest):
    def test_a_foreign_sqlite_database(self):
        with contextlib.closing(sqlite3.connect(self.file)) as db, db:
            db.execute("CREATE TABLE entries (key, pickle)")
            db.execute("INSERT INTO entries VALUES ('a', x'80044b012e')")
        self.assertUnchangedBy(READ_VERBS + WRITE_VERBS, 1, self.file, "not a picklejar file")

    def test_random_bytes_and_an_empty_file(self):
        with open(self.file, "wb") as f:
            f.write(os.urandom(4096))
        self.assertUnchangedBy(READ_VERBS + WRITE_VERBS, 1, self.file, "not a picklejar file")
        open(self.file, "wb").close()
        # set and import make an empty file a new session (OpenMode::create), as Session does.
        self.assertUnchangedBy(READ_VERBS + WRITE_VERBS[1:2] + WRITE_VERBS[3:], 1, self.file,
                               "empty")

    def test_a_truncated_file(self):
        make_session(self.file, {f"k{i}": pickle.dumps("x" * 1000, 4) for i in range(100)})
        with open(self.file, "rb") as f:
            data = f.read()
        with open(self.file, "wb") as f:
            f.write(data[:len(data) // 2 + 100])
        self.assertUnchangedBy(READ_VERBS + WRITE_VERBS, 1, self.file)

    def test_a_newer_format_is_read_but_never_written(self):
        make_session(self.file, {"a": pickle.dumps([1], 4)}, format_version=99)
        self.assertEqual(run(["get", self.file, "a"]).stdout, b"[1]\n")
        self.assertIn(b"format version:     99\n", run(["info", self.file]).stdout)
        self.assertEqual(run(["verify", self.file]).returncode, 0)
        self.assertEqual(run(["export", self.file]).returncode, 0)
        self.assertUnchangedBy(WRITE_VERBS, 1, self.file, "99", "newer")

    def test_a_newer_format_needing_a_newer_reader(self):
        make_session(self.file, {"a": pickle.dumps([1], 4)}, format_version=99,
                     min_reader_version=99)
        self.assertUnchangedBy(READ_VERBS + WRITE_VERBS, 1, self.file, "99")


class Locked(HostileTest):
    def test_an_exclusive_lock_times_out_writers_with_status_3_and_never_readers(self):
        make_session(self.file, {"a": pickle.dumps(1, 4)})
        with holding_lock(self.file):
            for verb in WRITE_VERBS:
                if verb[0] == "upgrade":  # a current file: nothing to write, no lock
                    continue
                with self.subTest(verb=verb[0]):
                    before = file_state(self.file)
                    args = self.args(verb)
                    one_line_error(self, run(args[:1] + ["--timeout", "200"] + args[1:]), 3,
                                   self.file + ".lock")
                    self.assertEqual(file_state(self.file), before)
            # Readers take no lock file: SQLite's read transaction is their snapshot.
            for verb in READ_VERBS + [["upgrade", "{file}"]]:
                with self.subTest(verb=verb[0]):
                    args = self.args(verb)
                    self.assertEqual(run(args[:1] + ["--timeout", "0"] + args[1:]).returncode, 0)
        self.assertEqual(run(["set", "--timeout", "200", self.file, "k", "--json", "1"])
                         .returncode, 0)

    def test_a_shared_lock_keeps_nobody_out(self):
        # Issue 15: a shared lock (an older picklejar reading, or a user who may only read the
        # lock file) no longer keeps writers waiting; SQLite's write lock orders writers.
        make_session(self.file, {"a": pickle.dumps(1, 4)})
        with holding_lock(self.file, exclusive=False):
            self.assertEqual(run(["ls", "--timeout", "0", self.file]).stdout, b"a\n")
            self.assertEqual(run(["rm", "--timeout", "0", self.file, "a"]).returncode, 0)
            self.assertEqual(run(["set", "--timeout", "0", self.file, "b", "--json", "1"])
                             .returncode, 0)
        self.assertEqual(list(rows(self.file)), ["b"])


def tuple_dag(levels):
    """Each level a tuple of the previous one twice, through the memo: 2**levels leaves."""
    p = b"\x80\x02)q\x00"
    for i in range(1, levels + 1):
        p += b"0h" + bytes([i - 1]) + b"h" + bytes([i - 1]) + b"\x86q" + bytes([i])
    return p + b"."


class HostileValues(HostileTest):
    """Budgets, values the CLI must not write, the scan behind verify --strict, and protocol
    0-1 conversions of dict and list subclasses (issue 14, items 3, 5 and 6)."""

    def test_get_prints_a_dag_entry_labelled_or_expanded(self):
        make_session(self.file, {"dag": tuple_dag(48), "small": tuple_dag(18)})
        result = run(["get", self.file, "dag"], timeout=60)
        self.assertEqual(result.returncode, 0, result)
        self.assertLess(len(result.stdout), 4000)
        self.assertIn(b"#48#", result.stdout)
        self.assertIn(b"note: objects that appear more than once", result.stderr)
        expanded = run(["get", "--expand", self.file, "small"])
        self.assertEqual(expanded.stdout.decode(), repr(pickle.loads(tuple_dag(18))) + "\n")

    def test_get_warns_of_what_python_would_act_on_as_dump_does(self):
        # os.system('touch x'), POP, None; and a global imported for nothing (GLOBAL, POP).
        discard = b"cos\nsystem\n(Vtouch x\ntR0N."
        make_session(self.file, {"plain": pickle.dumps([1, {2}], 2), "discard": discard,
                                 "import": b"cos\nsystem\n0N."})
        result = run(["get", self.file, "discard"])
        self.assertEqual(result.returncode, 0, result)
        self.assertEqual(result.stdout, b"None\n")
        self.assertEqual(result.stderr.decode().splitlines(), [
            f"picklejar get: {self.file}: key 'discard': warning: REDUCE calls os.system "
            "(offset 22): the value does not hold the result, but Python's pickle.loads makes "
            "the call"])
        result = run(["get", self.file, "import"])
        self.assertEqual(result.stdout, b"None\n")
        self.assertEqual(result.stderr.decode(), f"picklejar get: {self.file}: key 'import': "
                         "warning: GLOBAL os.system (offset 0): the value does not hold it, but "
                         "Python's pickle.loads imports it\n")
        result = run(["get", self.file, "plain"])  # set([2]) is in the value: nothing to say
        self.assertEqual((result.stdout, result.stderr), (b"[1, {2}]\n", b""))

    def test_an_entry_of_empty_lists_stops_at_max_total_bytes(self):
        # 30 MB of EMPTY_LIST: 2.9 GB and half a minute before max_total_bytes.
        make_session(self.file, {"a": pickle.dumps(1, 4)})
        plant(self.file, "lists", b"]" * 30_000_000 + b".")
        one_line_error(self, run(["get", self.file, "lists"], timeout=120), 1, "'lists'",
                       "max_total_bytes")
        result = run(["verify", self.file], timeout=120)
        self.assertEqual(result.returncode, 4)
        self.assertIn(b"max_total_bytes", result.stdout)

    def test_set_and_import_refuse_values_the_decoder_would_refuse(self):
        deep = os.path.join(self.dir, "deep.json")
        with open(deep, "w") as f:
            f.write("[" * 20000 + "]" * 20000)
        one_line_error(self, run(["set", self.file, "v", "--json-file", deep]), 1,
                       "key 'v'", "max_depth (10000)")
        self.assertFalse(os.path.exists(self.file))  # not left behind, created for nothing
        make_session(self.file, {"a": pickle.dumps("fine", 4)})
        with open(self.doc, "w") as f:
            f.write('{"picklejar_export": 1, "entries": {"ok": 1, "deep": ' + "[" * 20000 +
                    "]" * 20000 + "}}")
        self.assertUnchangedBy([["set", "{file}", "v", "--json-file", deep],
                                ["import", "{file}", "{doc}"]], 1, "max_depth (10000)")
        self.assertEqual(run(["verify", self.file]).returncode, 0)

    def test_verify_strict_lists_every_global_outside_the_allowlist(self):
        two = pickle.dumps([collections.OrderedDict(a=1), datetime.date(2024, 1, 2),
                            decimal.Decimal("1.5")], 4)
        make_session(self.file, {"plain": pickle.dumps({1, 2}, 2), "two": two,
                                 "discard": b"cos\nsystem\n(Vtouch x\ntR0N."})
        result = run(["verify", "--strict", self.file])
        self.assertEqual(result.returncode, 4, result)
        problems, summary = self.verify_lines(result)
        offsets = [pos for op, arg, pos in pickletools.genops(two) if op.name == "STACK_GLOBAL"]
        self.assertEqual(problems, [
            "key 'discard': offset 0: GLOBAL os.system is outside the allowlist",
            f"key 'two': offset {offsets[1]}: STACK_GLOBAL datetime.date is outside the allowlist",
            f"key 'two': offset {offsets[2]}: STACK_GLOBAL decimal.Decimal is outside the "
            "allowlist",
        ])
        self.assertIn("2 bad", summary)
        allowed = run(["verify", "--strict", "--allow-global", "datetime.date", "--allow-global",
                       "decimal.Decimal", "--allow-global", "os.system", self.file])
        self.assertEqual(allowed.returncode, 0, allowed)
        self.assertEqual(run(["verify", self.file]).returncode, 0)  # inert: not a problem

    def test_framing_tricks_and_build_gadgets_are_bad_entries(self):
        frame = b"\x95\x05" + bytes(7)
        make_session(self.file, {"a": pickle.dumps(1, 4)})
        plant(self.file, "straddle", b"\x80\x04" + frame + b"\x8c\x05hello\x94.")
        plant(self.file, "gadget", b"\x80\x04ccollections\nOrderedDict\n)R}\x8c\x0c__setstate__"
                                   b"cos\nsystem\nsb\x8c\x07touch xb.")
        result = run(["verify", self.file])
        self.assertEqual(result.returncode, 4)
        problems, summary = self.verify_lines(result)
        self.assertEqual(len(problems), 2, problems)
        self.assertIn("end of frame", problems[1])
        self.assertIn("__setstate__", problems[0])
        one_line_error(self, run(["get", self.file, "straddle"]), 1, "offset 11",
                       "SHORT_BINUNICODE")

    def test_convert_protocol_writes_subclass_instances_python_loads(self):
        module = types.ModuleType("pjsub")
        exec("class Registry(dict): pass\nclass Tags(list): pass\n", module.__dict__)
        sys.modules["pjsub"] = module
        r = module.Registry(a=1)
        r.note = "attr"
        make_session(self.file, {"r": pickle.dumps(r, 2), "t": pickle.dumps(module.Tags([1]), 5),
                                 "int": b"\x80\x02cbuiltins\nint\n)\x81."})
        self.assertUnchangedBy([["convert-protocol", "{file}", "0"]], 1,
                               "builtins.int made by NEWOBJ")
        with connect(self.file) as db:
            db.execute("DELETE FROM entries WHERE key = 'int'")
        result = run(["convert-protocol", self.file, "1"])
        self.assertEqual(result.returncode, 0, result)
        got = {name: pickle.loads(row[0]) for name, row in rows(self.file).items()}
        self.assertEqual(type(got["r"]), module.Registry)
        self.assertEqual((got["r"], vars(got["r"])), (r, vars(r)))
        self.assertEqual((type(got["t"]), got["t"]), (module.Tags, [1]))
        self.assertEqual(rows(self.file)["r"][0], pickle.dumps(r, 1))


if __name__ == "__main__":
    unittest.main()
