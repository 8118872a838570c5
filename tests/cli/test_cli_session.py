#!/usr/bin/env python3
"""End-to-end tests of the picklejar command's session-file verbs ($PICKLEJAR_BIN): ls, get,
set, rm, info, upgrade, convert-protocol, integrity keys, help and usage. Files are made by
the command itself or by docs/FORMAT.md alone (test_cli_session_support.make_session), and
read back with python3's sqlite3 and pickle: every expectation comes from CPython."""
import collections
import datetime
import json
import os
import pickle
import re
import sqlite3
import subprocess
import tempfile
import unittest

from test_cli_session_support import (BIN, doc, digest, key_id, make_session, meta, one_line_error,
                                      rows, run, values)

VERBS = ["ls", "get", "set", "rm", "info", "verify", "export", "import", "upgrade",
         "convert-protocol"]

# Plain data whose pickles every verb can show; Python's repr is what `get` must print.
VALUES = {
    "none": None, "int": -42, "big": 2**100, "float": 1.5, "str": "h\u00e9llo \u2713",
    "bytes": b"\x00\xff'\"", "list": [1, [2, [3]]], "tuple": (1, "a", None),
    "dict": {"a": 1, 2: [3], (4, 5): None}, "set": {1, 2, 3}, "frozenset": frozenset({"x"}),
    "odict": collections.OrderedDict([("b", 1), ("a", 2)]), "date": datetime.date(2024, 2, 29),
    "\u043a\u043b\u044e\u0447": "unicode key", "": "empty key", "$tuple": "dollar key",
}


def iso(us, fraction=True):
    moment = datetime.datetime.fromtimestamp(us // 1_000_000, datetime.timezone.utc)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    return text + (f".{us % 1_000_000:06d}Z" if fraction else "Z")


class SessionCliTest(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.dir = tmp.name
        self.file = self.path("s.pj")

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, name, data):
        with open(self.path(name), "wb") as f:
            f.write(data)
        return self.path(name)

    def ok(self, *args, data=None):
        result = run(args, data)
        self.assertEqual((result.returncode, result.stderr.decode()), (0, ""), result)
        return result.stdout

    def fill(self):
        """self.file with VALUES, pickled by CPython at protocol 4, made by FORMAT.md alone."""
        make_session(self.file, {k: pickle.dumps(v, 4) for k, v in VALUES.items()})


class FilesAndModes(SessionCliTest):
    """Issue 15: --file-mode, --follow-symlinks, and export -o keeping the session's bits."""

    def bits(self, path):
        return os.stat(path).st_mode & 0o777

    def test_file_mode_reaches_the_session_and_its_lock_file(self):
        # The -wal and -shm are gone when the command exits (the library's tests check them).
        # Under umask 022, so that without --file-mode the database would be 0644.
        old = os.umask(0o022)
        try:
            self.ok("set", "--file-mode", "600", self.file, "token", "--json", '"secret"')
            self.ok("set", self.path("plain.pj"), "k", "--json", "1")
        finally:
            os.umask(old)
        for suffix in ("", ".lock"):
            self.assertEqual(self.bits(self.file + suffix), 0o600, suffix)
        self.assertEqual(self.bits(self.path("plain.pj")), 0o644)
        for bad in ("400", "1600", "6x0"):
            result = run(["set", "--file-mode", bad, self.path("bad.pj"), "k", "--json", "1"])
            self.assertEqual(result.returncode, 1, result)
            self.assertFalse(os.path.exists(self.path("bad.pj")))

    def test_export_keeps_the_session_files_bits(self):
        self.ok("set", "--file-mode", "600", self.file, "token", "--json", '"secret"')
        old = os.umask(0o022)
        try:
            self.ok("export", self.file, "-o", self.path("out.json"))
        finally:
            os.umask(old)
        self.assertEqual(self.bits(self.path("out.json")), 0o600)

    def test_a_symlink_is_followed_only_with_follow_symlinks(self):
        os.mkdir(self.path("private"))
        os.symlink(self.path("private/victim.pj"), self.path("planted.pj"))
        one_line_error(self, run(["set", self.path("planted.pj"), "k", "--json", "1"]), 1,
                       "symbolic link")
        self.assertEqual(os.listdir(self.path("private")), [])
        self.ok("set", self.file, "k", "--json", "1")
        os.symlink(self.file, self.path("mine.pj"))
        one_line_error(self, run(["get", self.path("mine.pj"), "k"]), 1, "symbolic link")
        self.assertEqual(self.ok("get", "--follow-symlinks", self.path("mine.pj"), "k"), b"1\n")


class HelpAndUsage(SessionCliTest):
    def test_every_verb_has_help_with_an_example_and_exit_statuses(self):
        for verb in VERBS:
            with self.subTest(verb=verb):
                out = self.ok(verb, "--help").decode()
                self.assertIn("Example", out)
                self.assertIn("Exit status", out)
                self.assertIn(f"picklejar {verb}", out)

    def test_usage_errors_exit_2(self):
        self.fill()
        for args in (["ls"], ["get", self.file], ["set", self.file, "k"],
                     ["set", self.file, "k", "--json", "1", "--json-file", "x"],
                     ["rm", self.file], ["convert-protocol", self.file, "6"],
                     ["ls", "--timeout", "-1", self.file], ["get", "-f", "yaml", self.file, "k"],
                     ["get", "--unverified", self.file, "int"], ["nosuchverb"]):
            with self.subTest(args=args):
                result = run(args)
                self.assertEqual(result.returncode, 2, result)
                self.assertEqual(result.stdout, b"")
                self.assertNotEqual(result.stderr, b"")

    def test_a_pickle_is_not_written_to_a_terminal(self):
        import pty
        self.fill()
        leader, follower = pty.openpty()
        try:
            result = subprocess.run([BIN, "get", "-f", "pickle", self.file, "int"],
                                    stdout=follower, stderr=subprocess.PIPE, timeout=60)
        finally:
            os.close(follower)
            os.close(leader)
        self.assertEqual(result.returncode, 2)
        self.assertIn(b"terminal", result.stderr)


class GetAndLs(SessionCliTest):
    def test_get_prints_pythons_repr(self):
        self.fill()
        for key, value in VALUES.items():
            with self.subTest(key=key):
                out = self.ok("get", self.file, key).decode()
                self.assertEqual(out, repr(value) + "\n")

    def test_get_json_is_the_tagged_form_of_the_value(self):
        self.fill()
        for key in VALUES:
            with self.subTest(key=key):
                compact = self.ok("get", "-f", "json", "--compact", self.file, key)
                indented = self.ok("get", "--format", "json", self.file, key)
                self.assertEqual(json.loads(compact), json.loads(indented))
                # The same text `to-json` writes for the stored pickle.
                stored = rows(self.file)[key][0]
                self.assertEqual(compact, self.ok("to-json", "--compact", data=stored))

    def test_get_pickle_writes_the_stored_bytes(self):
        self.fill()
        stored = rows(self.file)
        for key in VALUES:
            with self.subTest(key=key):
                self.assertEqual(self.ok("get", "-f", "pickle", self.file, key), stored[key][0])

    def test_get_a_missing_key(self):
        self.fill()
        one_line_error(self, run(["get", self.file, "nope"]), 1, "'nope'", self.file)

    def test_ls_lists_keys_in_code_point_order(self):
        self.fill()
        self.assertEqual(self.ok("ls", self.file).decode(),
                         "".join(k + "\n" for k in sorted(VALUES)))

    def test_ls_long_and_json_match_the_rows(self):
        self.fill()
        stored = rows(self.file)
        expected = [{"key": k, "size": len(stored[k][0]), "protocol": stored[k][1],
                     "revision": stored[k][3], "modified": iso(stored[k][4])}
                    for k in sorted(stored)]
        self.assertEqual(json.loads(self.ok("ls", "--json", self.file)), expected)
        lines = self.ok("ls", "-l", self.file).decode().splitlines()
        self.assertEqual(len(lines), len(expected))
        for line, entry in zip(lines, expected):
            size, protocol, modified, key = line.split(None, 3) if entry["key"] else (
                line.split() + [""])
            self.assertEqual((int(size), protocol, modified, key),
                             (entry["size"], f"p{entry['protocol']}",
                              iso(stored[entry["key"]][4], False), entry["key"]))

    def test_ls_of_an_empty_session_and_odd_keys(self):
        self.ok("set", self.file, "k", "--json", "1")
        self.ok("rm", self.file, "k")
        self.assertEqual(self.ok("ls", self.file), b"")
        self.assertEqual(json.loads(self.ok("ls", "--json", self.file)), [])
        self.ok("set", self.file, "two\nlines", "--json", "1")
        self.assertEqual(self.ok("ls", self.file), b"two\\x0alines\n")
        self.assertEqual(json.loads(self.ok("ls", "--json", self.file))[0]["key"], "two\nlines")

    def test_reading_verbs_need_an_existing_file(self):
        for verb in (["ls"], ["info"], ["verify"], ["export"], ["get"], ["rm"], ["upgrade"],
                     ["convert-protocol"]):
            with self.subTest(verb=verb):
                args = verb + [self.path("missing.pj")] + {
                    "get": ["k"], "rm": ["k"], "convert-protocol": ["2"]}.get(verb[0], [])
                one_line_error(self, run(args), 1, "missing.pj", "no such file")
                self.assertFalse(os.path.exists(self.path("missing.pj")))


class SetAndRm(SessionCliTest):
    def test_set_json_creates_the_file_and_stores_the_value(self):
        self.ok("set", self.file, "w", "--json", '{"x": 10, "size": {"$tuple": [640, 480]}}')
        self.assertEqual(values(self.file), {"w": {"x": 10, "size": (640, 480)}})
        (data, protocol, stored_digest, revision, _), = rows(self.file).values()
        self.assertEqual((protocol, revision), (4, 1))
        self.assertEqual(stored_digest, digest(None, "w", data))
        self.assertEqual(meta(self.file)["writer_app"], "picklejar command")

    def test_set_json_file_and_pickle_file(self):
        self.write("v.json", b'{"$set": [1, 2]}')
        self.ok("set", self.file, "a", "--json-file", self.path("v.json"))
        self.write("v.pickle", pickle.dumps({"deep": [(1, 2.5)]}, 2))
        self.ok("set", self.file, "b", "--pickle-file", self.path("v.pickle"))
        self.ok("set", self.file, "c", "--pickle-file", "-", data=pickle.dumps(b"\x00", 0))
        self.ok("set", self.file, "d", "--json-file", "-", data=b'"text"')
        self.assertEqual(values(self.file), {"a": {1, 2}, "b": {"deep": [(1, 2.5)]},
                                             "c": b"\x00", "d": "text"})

    def test_set_replaces_and_honours_protocol(self):
        self.ok("set", self.file, "k", "--json", "[1]")
        self.ok("set", "-p", "2", self.file, "k", "--json", "[1, 2]")
        (data, protocol, *_), = rows(self.file).values()
        self.assertEqual((protocol, data), (2, pickle.dumps([1, 2], 2)))
        self.assertEqual(meta(self.file)["revision"], 2)

    def test_set_refuses_bad_values_naming_where(self):
        self.ok("set", self.file, "keep", "--json", "1")
        before = rows(self.file)
        one_line_error(self, run(["set", self.file, "k", "--json", "[1,"]), 1, "--json",
                       "invalid JSON")
        one_line_error(self, run(["set", self.file, "k", "--json", '{"$nope": 1}']), 1,
                       "--json", "$nope")
        self.write("bad.pickle", b"\x80\x04K")
        one_line_error(self, run(["set", self.file, "k", "--pickle-file",
                                  self.path("bad.pickle")]), 1, "bad.pickle", "offset")
        one_line_error(self, run(["set", self.file, "k", "--pickle-file",
                                  self.path("none.pickle")]), 1, "none.pickle", "cannot open")
        one_line_error(self, run(["set", self.file, "\ud800".encode("utf-8", "surrogatepass"),
                                  "--json", "1"]), 1, "surrogate")
        one_line_error(self, run(["set", self.file, b"\xff", "--json", "1"]), 1, "not UTF-8")
        self.assertEqual(rows(self.file), before)

    def test_set_refuses_what_the_reader_would_refuse(self):
        # max_depth is 10,000: a list nested one deeper would save and then never load.
        self.ok("set", self.file, "keep", "--json", "1")
        before = rows(self.file)
        deep = "[" * 10001 + "1" + "]" * 10001
        one_line_error(self, run(["set", self.file, "k", "--json", deep]), 1, "'k'",
                       "max_depth (10000)")
        self.assertEqual(rows(self.file), before)
        self.ok("set", self.file, "k", "--json", "[" * 10000 + "1" + "]" * 10000)
        value, depth = values(self.file)["k"], 1
        while value != [1]:
            value, depth = value[0], depth + 1
        self.assertEqual(depth, 10000)

    def test_set_of_another_schema_version_leaves_the_file_as_it_was(self):
        # A rollback-mode file (as on a network file system) of app schema version 3: the
        # read-write open would switch it to WAL (header bytes 18-19) and make its lock file.
        make_session(self.file, {"a": pickle.dumps(1, 4)})
        db = sqlite3.connect(self.file, isolation_level=None)
        db.execute("PRAGMA journal_mode = DELETE")
        db.execute("UPDATE meta SET value = 3 WHERE name = 'app_schema_version'")
        db.close()
        with open(self.file, "rb") as f:
            before = f.read()
        self.assertEqual(before[18:20], b"\x01\x01")  # rollback journal, not WAL
        one_line_error(self, run(["set", "--schema-version", "4", self.file, "b", "--json",
                                  "1"]), 1, "has app schema version 3, not 4: nothing set")
        with open(self.file, "rb") as f:
            self.assertEqual(f.read(), before)
        self.assertEqual(os.listdir(self.dir), ["s.pj"])  # no .lock, -wal, -shm or -journal
        self.ok("set", "--schema-version", "3", self.file, "b", "--json", "1")
        self.assertEqual(values(self.file), {"a": 1, "b": 1})

    def test_rm_removes_every_key_or_none(self):
        self.fill()
        one_line_error(self, run(["rm", self.file, "int", "nope", "str"]), 1, "'nope'",
                       "nothing removed")
        self.assertEqual(values(self.file).keys(), VALUES.keys())
        self.ok("rm", self.file, "int", "str")
        self.ok("rm", "--force", self.file, "float", "nope")
        remaining = dict(VALUES)
        for key in ("int", "str", "float"):
            del remaining[key]
        self.assertEqual(values(self.file), remaining)
        info = json.loads(self.ok("info", "--json", self.file))
        self.assertEqual((info["entries"], info["revision"]), (len(remaining), 3))


class Info(SessionCliTest):
    def test_info_json_matches_the_meta_rows(self):
        self.fill()
        m = meta(self.file)
        info = json.loads(self.ok("info", "--json", self.file))
        stored = rows(self.file)
        self.assertEqual(info, {
            "file": self.file, "format_version": 2, "app_schema_version": 0,
            "integrity_scheme": "sha256", "key_id": None, "file_id": m["file_id"],
            "default_protocol": 4,
            "entries": len(VALUES), "pickle_bytes": sum(len(r[0]) for r in stored.values()),
            "file_bytes": os.path.getsize(self.file),
            "wal_bytes": os.path.getsize(self.file + "-wal")
            if os.path.exists(self.file + "-wal") else 0,
            "journal_mode": "wal", "revision": 1, "created": iso(m["created_us"]),
            "created_by": "cli-test 1", "modified": iso(m["modified_us"]),
            "last_writer": "cli-test 1", "last_writer_app": "tests"})

    def test_info_text(self):
        self.ok("set", self.file, "k", "--json", "1")
        lines = dict(line.split(":", 1) for line in self.ok("info", self.file).decode().splitlines())
        lines = {k: v.strip() for k, v in lines.items()}
        self.assertEqual(lines["format version"], "2")
        self.assertEqual(lines["file id"], meta(self.file)["file_id"])
        self.assertEqual(lines["integrity scheme"], "sha256")
        self.assertEqual(lines["entries"], "1")
        self.assertEqual(lines["journal mode"], "wal")
        self.assertTrue(lines["last writer"].endswith("(picklejar command)"), lines)
        self.assertTrue(lines["created by"].startswith("picklejar-cpp "), lines)


class IntegrityKeys(SessionCliTest):
    def test_a_keyed_file_needs_its_key(self):
        key_file = self.write("app.key", b"\x00secret\nbytes")
        other = self.write("other.key", b"other")
        self.ok("set", "--key-file", key_file, self.file, "k", "--json", "[1]")
        m = meta(self.file)
        self.assertEqual((m["integrity_scheme"], m["key_id"]),
                         ("hmac-sha256", key_id(b"\x00secret\nbytes")))
        data, _, stored_digest, *_ = rows(self.file)["k"]
        self.assertEqual(stored_digest, digest(b"\x00secret\nbytes", "k", data, m["file_id"]))
        self.assertEqual(self.ok("get", "--key-file", key_file, self.file, "k"), b"[1]\n")
        one_line_error(self, run(["get", self.file, "k"]), 4, "integrity key",
                       key_id(b"\x00secret\nbytes"))
        one_line_error(self, run(["ls", "--key-file", other, self.file]), 4, "another")
        one_line_error(self, run(["get", "--key-file", self.path("no.key"), self.file, "k"]), 1,
                       "no.key")
        self.write("empty.key", b"")
        one_line_error(self, run(["ls", "--key-file", self.path("empty.key"), self.file]), 1,
                       "empty")
        self.ok("verify", "--key-file", key_file, self.file)
        self.assertEqual(self.ok("get", "--key-file", "-", self.file, "k",
                                 data=b"\x00secret\nbytes"), b"[1]\n")

    def test_a_key_for_an_unkeyed_file_is_refused(self):
        self.fill()
        one_line_error(self, run(["ls", "--key-file", self.write("k", b"key"), self.file]), 4,
                       "without an integrity key")


class UpgradeAndConvert(SessionCliTest):
    def test_upgrade_of_a_current_file_does_nothing(self):
        self.fill()
        before = rows(self.file)
        self.assertEqual(self.ok("upgrade", self.file).decode(),
                         f"{self.file}: file format version 2 is current; nothing to do\n")
        self.assertEqual(rows(self.file), before)
        self.assertEqual(meta(self.file)["revision"], 1)

    def test_upgrade_of_a_format_1_file_binds_its_digests_to_a_new_file_id(self):
        key = b"upgrade key"
        key_file = self.write("k", key)
        make_session(self.file, {"a": pickle.dumps([1]), "b": pickle.dumps("two")}, key=key,
                     format_version=1)
        before = rows(self.file)
        one_line_error(self, run(["ls", "--key-file", key_file, self.file]), 1,
                       "must first be upgraded")
        self.assertEqual(self.ok("upgrade", "--key-file", key_file, self.file).decode(),
                         f"{self.file}: upgraded from file format version 1 to 2\n")
        m = meta(self.file)
        self.assertEqual((m["format_version"], m["min_reader_version"], m["revision"]), (2, 2, 2))
        self.assertRegex(m["file_id"], "^[0-9a-f]{32}$")
        for name, (data, _, stored, revision, _) in rows(self.file).items():
            self.assertEqual(data, before[name][0])
            self.assertEqual(stored, digest(key, name, data, m["file_id"]))
            self.assertEqual(revision, 2)
        self.assertEqual(self.ok("ls", "--key-file", key_file, self.file), b"a\nb\n")

    def test_convert_protocol_reencodes_every_entry(self):
        self.fill()
        for protocol in (2, 0, 5):
            with self.subTest(protocol=protocol):
                out = self.ok("convert-protocol", self.file, str(protocol)).decode()
                self.assertEqual(out, f"{self.file}: {len(VALUES)} entries re-encoded with "
                                      f"pickle protocol {protocol}, now the file's default "
                                      "protocol\n")
                stored = rows(self.file)
                self.assertEqual({r[1] for r in stored.values()}, {protocol})
                for key, value in VALUES.items():
                    self.assertEqual(pickle.loads(stored[key][0]), value)
                    self.assertEqual(stored[key][2], digest(None, key, stored[key][0]))
                self.assertEqual(meta(self.file)["default_protocol"], protocol)
        self.ok("set", self.file, "new", "--json", "1")
        self.assertEqual(rows(self.file)["new"][1], 5)

    def test_convert_protocol_that_cannot_express_a_value_writes_nothing(self):
        make_session(self.file, {"ok": pickle.dumps(1), "huge": pickle.dumps(10**5000, 4)})
        before = rows(self.file)
        one_line_error(self, run(["convert-protocol", self.file, "0"]), 1, "huge", "protocol 0")
        self.assertEqual(rows(self.file), before)
        self.assertEqual(meta(self.file)["default_protocol"], 4)


class ReadmeExample(SessionCliTest):
    def test_the_readme_session_example_runs_as_pasted(self):
        readme = os.path.join(os.path.dirname(os.environ["PICKLEJAR_FORMAT_DOC"]), "..",
                              "README.md")
        with open(readme, encoding="utf-8") as f:
            text = f.read()
        start = text.index("\n### Session files\n")
        block = re.compile(r"```sh\n(.*?)```", re.S).search(text, start).group(1)
        env = dict(os.environ, PATH=os.path.dirname(BIN) + os.pathsep + os.environ["PATH"])
        result = subprocess.run(["sh", "-e", "-c", block], cwd=self.dir, env=env,
                                capture_output=True, timeout=120)
        self.assertEqual((result.returncode, result.stderr.decode()), (0, ""), result)
        out = result.stdout.decode()
        quoted = [line.partition("   # ")[2] for line in block.splitlines()]
        quoted = [c for c in quoted if c.startswith(("{'", "state.pj: 2"))]
        self.assertEqual(len(quoted), 2)  # get's and verify's comments quote whole lines
        for comment in quoted:
            self.assertIn("\n" + comment + "\n", out)
        self.assertIn("state.pj: file format version 2 is current; nothing to do\n", out)
        expected = {"window": {"x": 10, "y": 20, "size": (640, 480)},
                    "recent": ["notes.txt", "todo.txt"]}
        self.assertEqual(values(self.path("copy.pj")), expected)
        del expected["recent"]
        self.assertEqual(values(self.file.replace("s.pj", "state.pj")), expected)


class FormatDocFiles(SessionCliTest):
    def test_files_the_command_writes_are_read_by_format_md(self):
        """FORMAT.md's own read_session() reads what set/import wrote."""
        self.ok("set", self.file, "a", "--json", '{"$tuple": [1, {"$bytes": "eA=="}]}')
        self.ok("set", self.file, "b", "--json", '{"$frozenset": ["x"]}')
        namespace = {}
        exec(doc("## Reading a session file from Python", "python"), namespace)
        self.assertEqual(namespace["read_session"](self.file),
                         {"a": (1, b"x"), "b": frozenset({"x"})})


if __name__ == "__main__":
    unittest.main()
