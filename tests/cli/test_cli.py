#!/usr/bin/env python3
"""End-to-end tests of the picklejar command ($PICKLEJAR_BIN): `dump` against Python's repr,
`dis` against pickletools.dis, input handling, errors and exit statuses. Every expectation is
computed here by the running python3 from pickles it makes itself."""
import collections
import io
import os
import pickle
import pickletools
import subprocess
import sys
import tempfile
import unittest

BIN = os.environ.get("PICKLEJAR_BIN")

PROTOCOLS = range(0, pickle.HIGHEST_PROTOCOL + 1)


def recursive_list():
    items = [1]
    items.append(items)
    return items


def shared_tuple():
    inner = [1, 2]
    return (inner, inner, {"k": inner})


VALUES = [
    None, True, False, 0, 1, -1, 255, 256, 65535, 65536, 2**31 - 1, -2**31, 2**31, 2**63,
    -2**64 - 1, 2**100, -(10**300), 1.5, -0.0, 1e16, 1e-7, 2.5e300, float("inf"),
    float("-inf"), float("nan"), "", "abc", "it's", 'say "hi"', "both ' and \"", "tab\tnl\n",
    "\x00\x7f\x80\xa0\xad", "é€\U0001F600", "\ud800x\udfff", b"", b"\x00\xff'\"\\", bytearray(),
    bytearray(b"xy\n"), [], [1, [2, [3, []]]], (), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4),
    {}, {"a": 1, 2: [3], (4, 5): None}, set(), {1, 2, 3}, frozenset(), frozenset({"x"}),
    {"nested": ({"x": [1.25, None]}, {True, 7})}, recursive_list(), shared_tuple(),
    list(range(1200)), "x" * 70000, b"y" * 300, collections.OrderedDict([("a", 1), ("b", [2])]),
]


def run(args, data=None):
    return subprocess.run([BIN] + args, input=data, capture_output=True, timeout=60)


def pickletools_listing(data):
    """What pickletools.dis prints, and its exception (None when it succeeds)."""
    out = io.StringIO()
    try:
        pickletools.dis(data, out=out)
    except Exception as e:  # pickletools raises ValueError and friends
        return out.getvalue(), e
    return out.getvalue(), None


class CliTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def write(self, name, data):
        path = os.path.join(self.tmp.name, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def assertOk(self, result, stdout):
        self.assertEqual(result.stderr.decode(), "")
        self.assertEqual(result.returncode, 0)
        self.assertEqual(result.stdout.decode("utf-8"), stdout)

    def assertOneLineError(self, result, *parts):
        """Exit status 1, nothing on stdout, one stderr line containing every part."""
        self.assertEqual(result.returncode, 1, result)
        self.assertEqual(result.stdout, b"")
        err = result.stderr.decode("utf-8")
        self.assertTrue(err.endswith("\n"), err)
        self.assertEqual(err.count("\n"), 1, err)
        for part in parts:
            self.assertIn(part, err)
        return err


class DumpTest(CliTest):
    def test_dump_prints_python_repr_at_every_protocol(self):
        for value in VALUES:
            for protocol in PROTOCOLS:
                with self.subTest(value=repr(value)[:60], protocol=protocol):
                    data = pickle.dumps(value, protocol=protocol)
                    self.assertOk(run(["dump"], data), repr(pickle.loads(data)) + "\n")

    def test_dump_reads_a_file_stdin_and_dash_alike(self):
        data = pickle.dumps({"a": [1, 2.5], "b": ("x", None)}, protocol=2)
        path = self.write("a.pickle", data)
        expected = repr(pickle.loads(data)) + "\n"
        self.assertOk(run(["dump", path]), expected)
        self.assertOk(run(["dump"], data), expected)
        self.assertOk(run(["dump", "-"], data), expected)

    def test_dump_decode_error_is_one_line_with_offset_and_opcode(self):
        # BINUNICODE at offset 2 declares 4294967295 bytes; only 2 follow.
        data = b"\x80\x02X\xff\xff\xff\xffab"
        with self.assertRaises(Exception):
            pickle.loads(data)
        path = self.write("bad.pickle", data)
        self.assertOneLineError(run(["dump", path]), "picklejar dump", path, "offset 2",
                                "BINUNICODE")
        self.assertOneLineError(run(["dump"], data), "<stdin>", "offset 2", "BINUNICODE")

    def test_dump_error_after_partial_decoding_prints_nothing_on_stdout(self):
        # A list gets one item, then the second APPEND (offset 6) finds no item above the list.
        data = b"\x80\x02]K\x01aa."
        with self.assertRaises(Exception):
            pickle.loads(data)
        self.assertOneLineError(run(["dump"], data), "offset 6", "APPEND")

    def test_dump_missing_file(self):
        path = os.path.join(self.tmp.name, "missing.pickle")
        err = self.assertOneLineError(run(["dump", path]), path)
        self.assertIn("No such file", err)

    def test_dump_empty_input(self):
        self.assertOneLineError(run(["dump"], b""), "<stdin>")

    def test_ignore_trailing(self):
        data = pickle.dumps([1, "two"], protocol=3) + b"junk"
        self.assertEqual(pickle.loads(data), [1, "two"])  # pickle.loads ignores the tail
        self.assertOneLineError(run(["dump"], data), "trailing")
        self.assertOk(run(["dump", "--ignore-trailing"], data), repr(pickle.loads(data)) + "\n")

    def test_py2_strings(self):
        # A Python 2 str 'caf\xc3\xa9' at protocols 0 and 2, as Python 2 wrote it.
        for data in (b"S'caf\\xc3\\xa9'\np0\n.", b"\x80\x02U\x05caf\xc3\xa9q\x00."):
            with self.subTest(data=data):
                with self.assertRaises(UnicodeDecodeError):
                    pickle.loads(data)  # encoding='ASCII' by default
                self.assertOneLineError(run(["dump"], data), "offset")
                self.assertOneLineError(run(["dump", "--py2-strings", "ascii"], data), "offset")
                for flag, encoding in (("latin1", "latin1"), ("utf8", "utf-8"),
                                       ("bytes", "bytes"), ("LATIN1", "latin1")):
                    expected = repr(pickle.loads(data, encoding=encoding)) + "\n"
                    self.assertOk(run(["dump", "--py2-strings", flag], data), expected)

    def test_help(self):
        result = run(["dump", "--help"])
        self.assertEqual(result.returncode, 0)
        out = result.stdout.decode()
        for part in ("dump", "FILE", "--ignore-trailing", "--py2-strings", "Example"):
            self.assertIn(part, out)


class DisTest(CliTest):
    def test_dis_matches_pickletools_at_every_protocol(self):
        for value in VALUES:
            for protocol in PROTOCOLS:
                with self.subTest(value=repr(value)[:60], protocol=protocol):
                    data = pickle.dumps(value, protocol=protocol)
                    listing, error = pickletools_listing(data)
                    self.assertIsNone(error)
                    self.assertOk(run(["dis"], data), listing)

    def test_dis_annotate_matches_pickletools_annotate(self):
        """`dis --annotate` is `python3 -m pickletools -a`: pickletools.dis(annotate=30)."""
        import datetime
        values = VALUES + [[datetime.datetime(2026, 12, 7, 8, 42), {"k": (1, 2.5, "x" * 80)}]]
        for value in values:
            for protocol in PROTOCOLS:
                with self.subTest(value=repr(value)[:60], protocol=protocol):
                    data = pickle.dumps(value, protocol=protocol)
                    out = io.StringIO()
                    pickletools.dis(data, out=out, annotate=30)
                    self.assertOk(run(["dis", "--annotate"], data), out.getvalue())
                    self.assertOk(run(["dis", "-a", "--indent", "1"], data),
                                  self.annotated(data, 1))

    @staticmethod
    def annotated(data, indent):
        out = io.StringIO()
        pickletools.dis(data, out=out, indentlevel=indent, annotate=30)
        return out.getvalue()

    def test_dis_reads_a_file_stdin_and_dash_alike(self):
        data = pickle.dumps([(1, 2), {3: "four"}], protocol=0) + b"trailing bytes are ignored"
        listing, error = pickletools_listing(data)
        self.assertIsNone(error)
        path = self.write("a.pickle", data)
        self.assertOk(run(["dis", path]), listing)
        self.assertOk(run(["dis"], data), listing)
        self.assertOk(run(["dis", "-"], data), listing)

    def test_dis_indent(self):
        data = pickle.dumps([(1, [2, (3,)])], protocol=0)
        for indent in (0, 2, 7):
            with self.subTest(indent=indent):
                out = io.StringIO()
                pickletools.dis(data, out=out, indentlevel=indent)
                self.assertOk(run(["dis", "--indent", str(indent)], data), out.getvalue())

    def test_dis_errors_are_one_line_with_pickletools_message(self):
        # (pickle, offset and opcode name of the opcode pickletools stops at)
        cases = [
            (b"\x80\x02X\xff\xff\xff\xffab", "offset 2", "BINUNICODE"),  # truncated argument
            (b"N00.", "offset 2", "POP"),  # stack underflow after two printed lines
            (b"\x80\x04N\x94\x94h\x05.", "offset 5", "BINGET"),  # memo key never stored
            (b"NN.", "offset 2", "STOP"),  # stack not empty after STOP
            (b"N(t\x80\x02e.", "offset 5", "APPENDS"),  # no MARK
            (b"NS'abc\n.", "offset 1", "STRING"),  # quote missing at one end
        ]
        for data, offset, name in cases:
            with self.subTest(data=data):
                listing, error = pickletools_listing(data)
                self.assertIsNotNone(error)
                path = self.write("bad.pickle", data)
                self.assertOneLineError(run(["dis", path]), "picklejar dis", path, offset, name,
                                        str(error))
                self.assertOneLineError(run(["dis"], data), "<stdin>", offset, name, str(error))

    def test_dis_unknown_opcode_and_empty_input(self):
        self.assertOneLineError(run(["dis"], b"N\xff."), "offset 1", "unknown")
        self.assertOneLineError(run(["dis"], b""), "pickle exhausted before seeing STOP")

    def test_dis_missing_file(self):
        path = os.path.join(self.tmp.name, "missing.pickle")
        err = self.assertOneLineError(run(["dis", path]), path)
        self.assertIn("No such file", err)

    def test_help(self):
        result = run(["dis", "--help"])
        self.assertEqual(result.returncode, 0)
        out = result.stdout.decode()
        for part in ("dis", "FILE", "--indent", "Example", "highest protocol among opcodes"):
            self.assertIn(part, out)


class UsageTest(CliTest):
    def test_top_level_help_lists_the_verbs(self):
        result = run(["--help"])
        self.assertEqual(result.returncode, 0)
        self.assertIn("dump", result.stdout.decode())
        self.assertIn("dis", result.stdout.decode())

    def test_bad_usage_exits_2(self):
        for args in ([], ["frobnicate"], ["dump", "--bogus"], ["dis", "--bogus"],
                     ["dump", "--py2-strings", "klingon"], ["dis", "--indent", "-1"],
                     ["dis", "--indent", "x"], ["dump", "a", "b"]):
            with self.subTest(args=args):
                result = run(args, b"N.")
                self.assertEqual(result.returncode, 2, result)
                self.assertEqual(result.stdout, b"")
                self.assertNotEqual(result.stderr, b"")


if __name__ == "__main__":
    if not BIN:
        sys.exit("PICKLEJAR_BIN is not set")
    unittest.main()
