#!/usr/bin/env python3
"""End-to-end tests of `picklejar export` and `import` ($PICKLEJAR_BIN): the document's shape
(docs/CLI.md), round trips that compare equal in CPython, imports that fail and leave the file
as it was, a 100,000-entry verify/export/import, and the progress bar — drawn with rate and
ETA when stderr is a terminal (a pty), absent when it is a pipe."""
import fcntl
import json
import os
import pickle
import pty
import re
import struct
import subprocess
import sys
import tempfile
import termios
import time
import unittest

from test_cli_session import VALUES
from test_cli_session_support import (BIN, file_state, holding_lock, make_session, meta,
                                      one_line_error, rows, run, values)

BIG = 100_000


def big_value(i):
    return {"id": i, "name": f"entry {i}", "pair": (i % 7, -i), "blob": bytes([i % 256]) * 8,
            "ratio": i / 7, "tags": ["a", "b"] if i % 2 else []}


def run_with_terminal_stderr(args):
    """Runs picklejar with stderr on a 120-column pty; (exit status, stdout, stderr text)."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    with subprocess.Popen([BIN] + args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=follower) as proc:
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the child closed its end
                break
            if not chunk:
                break
            chunks.append(chunk)
        os.close(leader)
        out = proc.stdout.read()
        status = proc.wait(timeout=600)
    return status, out, b"".join(chunks).decode("utf-8")


class TransferTest(unittest.TestCase):
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
        return result.stdout

    def fill(self, path=None):
        make_session(path or self.file, {k: pickle.dumps(v, 4) for k, v in VALUES.items()})


class Export(TransferTest):
    def test_the_document_holds_each_entrys_tagged_json(self):
        self.fill()
        text = self.ok("export", self.file)
        document = json.loads(text)
        self.assertEqual(document, {
            "picklejar_export": 1, "format_version": 2, "app_schema_version": 0,
            "default_protocol": 4, "revision": 1, "entries": document["entries"]})
        self.assertEqual(list(document["entries"]), sorted(VALUES))
        for key in VALUES:
            with self.subTest(key=key):
                tagged = self.ok("get", "-f", "json", "--compact", self.file, key)
                self.assertEqual(document["entries"][key], json.loads(tagged))
        # One entry per line, between the header line and the closing one.
        self.assertEqual(len(text.decode().splitlines()), len(VALUES) + 2)

    def test_output_file_and_ascii(self):
        self.fill()
        out = self.path("out.json")
        self.ok("export", self.file, "-o", out)
        with open(out, "rb") as f:
            self.assertEqual(f.read(), self.ok("export", self.file))
        self.assertEqual(oct(os.stat(out).st_mode & 0o777), oct(0o666 & ~self.umask()))
        ascii_text = self.ok("export", "--ascii", self.file)
        self.assertTrue(ascii_text.isascii())
        self.assertEqual(json.loads(ascii_text), json.loads(self.ok("export", self.file)))

    @staticmethod
    def umask():
        mask = os.umask(0)
        os.umask(mask)
        return mask

    def test_an_unwritable_output_fails_cleanly(self):
        self.fill()
        one_line_error(self, run(["export", self.file, "-o", self.path("no/dir/out.json")]), 1,
                       "no/dir/out.json")

    def test_export_never_writes_over_the_session(self):
        self.fill()
        before = file_state(self.file)
        for target in (self.file, self.file + "-wal", self.file + ".lock",
                       os.path.join(self.dir, ".", "s.pj")):
            with self.subTest(target=target):
                open(self.file + "-wal", "ab").close()
                open(self.file + ".lock", "ab").close()
                one_line_error(self, run(["export", self.file, "-o", target]), 1,
                               "refusing to write the export over")
                self.assertEqual(file_state(self.file), before)

    def test_an_empty_session(self):
        self.ok("set", self.file, "k", "--json", "1")
        self.ok("rm", self.file, "k")
        self.assertEqual(json.loads(self.ok("export", self.file))["entries"], {})


class Import(TransferTest):
    def export_of(self, path):
        return json.loads(self.ok("export", path))["entries"]

    def test_round_trip_into_a_new_file_compares_equal(self):
        self.fill()
        self.ok("export", self.file, "-o", self.path("doc.json"))
        self.ok("import", self.path("new.pj"), self.path("doc.json"))
        self.assertEqual(values(self.path("new.pj")), VALUES)
        self.assertEqual(self.export_of(self.path("new.pj")), self.export_of(self.file))
        self.assertEqual(meta(self.path("new.pj"))["revision"], 1)  # one transaction

    def test_import_merges_or_replaces(self):
        self.ok("set", self.file, "old", "--json", "1")
        self.ok("set", self.file, "both", "--json", "1")
        doc = b'{"picklejar_export": 1, "entries": {"both": 2, "new": {"$tuple": []}}}'
        self.ok("import", self.file, "-", data=doc)
        self.assertEqual(values(self.file), {"old": 1, "both": 2, "new": ()})
        self.ok("import", "--replace", "-p", "2", self.file, "-", data=doc)
        self.assertEqual(values(self.file), {"both": 2, "new": ()})
        self.assertEqual({r[1] for r in rows(self.file).values()}, {2})

    def test_keys_that_look_like_tags_and_pointers(self):
        doc = {"picklejar_export": 1, "entries": {"$ref": 1, "a/b~c": {"$$x": 2}, "": [3]}}
        self.ok("import", self.file, "-", data=json.dumps(doc).encode())
        self.assertEqual(values(self.file), {"$ref": 1, "a/b~c": {"$x": 2}, "": [3]})
        self.assertEqual(self.export_of(self.file), doc["entries"])

    def check_failed_import(self, document, *parts, args=()):
        """The import fails naming `parts`; the existing file and a missing one stay so."""
        self.fill()
        before = (file_state(self.file), rows(self.file))
        path = self.path("doc.json")
        with open(path, "wb") as f:
            f.write(document)
        one_line_error(self, run(["import", *args, self.file, path]), 1, *parts)
        self.assertEqual((file_state(self.file), rows(self.file)), before)
        missing = self.path("missing.pj")
        one_line_error(self, run(["import", *args, missing, path]), 1, *parts)
        self.assertFalse(os.path.exists(missing))
        self.assertFalse(os.path.exists(missing + "-wal"))

    def test_a_malformed_document_changes_nothing(self):
        self.check_failed_import(b'{"picklejar_export": 1, "entries": {\n"a": 1,\n"b": [1,}}',
                                 "doc.json", "line 3")

    def test_a_document_that_is_not_an_export_changes_nothing(self):
        self.check_failed_import(b'{"a": 1}', "doc.json", "picklejar_export")

    def test_a_document_of_another_version_changes_nothing(self):
        self.check_failed_import(b'{"picklejar_export": 2, "entries": {}}', "doc.json",
                                 "version 2")

    def test_a_bad_tagged_value_changes_nothing(self):
        self.check_failed_import(b'{"picklejar_export": 1, "entries": {"a": {"$nope": 1}}}',
                                 "doc.json", "/entries/a", "$nope")

    def test_a_key_sqlite_cannot_hold_changes_nothing(self):
        # Read fine, refused by Session::set inside the transaction: rolled back.
        self.check_failed_import(
            b'{"picklejar_export": 1, "entries": {"fine": 1, "\\ud800": 2}}', "surrogate",
            "\\ud800")

    def test_a_protocol_that_cannot_express_a_value_changes_nothing(self):
        doc = {"picklejar_export": 1, "entries": {"a": 1, "z": {"$int": hex(10**5000)}}}
        self.check_failed_import(json.dumps(doc).encode(), "'z'", "protocol 0",
                                 args=("-p", "0"))

    def test_a_locked_file_times_out(self):
        self.fill()
        before = rows(self.file)
        with holding_lock(self.file):
            one_line_error(self, run(["import", "--timeout", "100", self.file, "-"],
                                     data=b'{"picklejar_export": 1, "entries": {"a": 1}}'), 3)
        self.assertEqual(rows(self.file), before)


class HundredThousand(TransferTest):
    """verify, export and import of 100,000 entries; the times go to stderr for the record."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.big = os.path.join(cls.tmp.name, "big.pj")
        cls.expected = {f"key{i:06d}": big_value(i) for i in range(BIG)}
        make_session(cls.big, {k: pickle.dumps(v, 4) for k, v in cls.expected.items()})

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def timed(self, *args):
        start = time.monotonic()
        result = run(args)
        elapsed = time.monotonic() - start
        # Not a terminal: no progress bar, nothing on stderr.
        self.assertEqual((result.returncode, result.stderr.decode()), (0, ""), result)
        return result.stdout, elapsed

    def test_round_trip_compares_equal(self):
        out, t_verify = self.timed("verify", self.big)
        self.assertEqual(out.decode(), f"{self.big}: {BIG} entries, 0 bad; SQLite integrity "
                                       "check: ok\n")
        exported = self.path("big.json")
        _, t_export = self.timed("export", self.big, "-o", exported)
        copy = self.path("copy.pj")
        _, t_import = self.timed("import", copy, exported)
        _, t_export2 = self.timed("export", copy, "-o", self.path("copy.json"))
        with open(exported, "rb") as a, open(self.path("copy.json"), "rb") as b:
            first, second = json.load(a), json.load(b)
        self.assertEqual(len(first["entries"]), BIG)
        self.assertEqual(first["entries"], second["entries"])
        self.assertEqual(values(copy), self.expected)
        sys.stderr.write(f"\n100k entries: verify {t_verify:.2f} s, export {t_export:.2f} s, "
                         f"import {t_import:.2f} s, export of the copy {t_export2:.2f} s\n")

    def assertBar(self, stderr, label):
        """A line drawn over with \\r showing rate and ETA, and a final 100% line."""
        lines = re.split(r"[\r\n]+", stderr)
        bar = r"\[[#.]+\] +\d+% [\d,]+/100,000 entries  [\d.]+[kM]? entries/s  "
        drawn = [line for line in lines if re.fullmatch(
            re.escape(label) + " " + bar + r"ETA \d+:\d\d *", line)]
        self.assertTrue(drawn, stderr[-2000:])
        final = re.escape(label) + r" \[#+\] 100% 100,000/100,000 entries  [\d.]+[kM]? " \
                                   r"entries/s  in \d+:\d\d *\r?\n"
        self.assertRegex(stderr, final)
        self.assertIn("\r" + label + " [", stderr)

    def test_progress_bar_on_a_terminal(self):
        status, out, err = run_with_terminal_stderr(["verify", self.big])
        self.assertEqual(status, 0, err)
        self.assertIn(b"0 bad", out)
        self.assertBar(err, "verify")

        exported = self.path("big.json")
        status, out, err = run_with_terminal_stderr(["export", self.big, "-o", exported])
        self.assertEqual((status, out), (0, b""), err)
        self.assertBar(err, "export: decode")
        self.assertBar(err, "export: write")

        copy = self.path("copy.pj")
        status, _, err = run_with_terminal_stderr(["import", copy, exported])
        self.assertEqual(status, 0, err)
        self.assertBar(err, "import: read")
        self.assertBar(err, "import: write")

        status, _, err = run_with_terminal_stderr(["convert-protocol", copy, "2"])
        self.assertEqual(status, 0, err)
        self.assertBar(err, "convert-protocol: decode")


class Bars(TransferTest):
    """When the bar shows: long work counted in bytes, short work not at all."""

    def test_no_bar_for_short_work_on_a_terminal(self):
        self.fill()
        status, out, err = run_with_terminal_stderr(["verify", self.file])
        self.assertEqual((status, err), (0, ""))

    def test_large_values_are_counted_in_bytes(self):
        # 5 entries but 70 MiB of pickles: long work all the same.
        make_session(self.file, {f"blob{i}": pickle.dumps(bytes([i]) * (14 << 20), 4)
                                 for i in range(5)})
        status, out, err = run_with_terminal_stderr(["verify", self.file])
        self.assertEqual(status, 0, err)
        self.assertIn(b"5 entries, 0 bad", out)
        self.assertRegex(err, r"\rverify \[\.+\]   0% 0 B/70\.0 MiB  --/s  ETA --:--")
        self.assertRegex(err, r"verify \[#+\] 100% 70\.0 MiB/70\.0 MiB  [\d.]+ [KMG]?i?B/s  "
                              r"in \d+:\d\d *\r?\n")
        self.assertEqual(run(["verify", self.file]).stderr, b"")


if __name__ == "__main__":
    unittest.main()
