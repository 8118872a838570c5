#!/usr/bin/env python3
"""End-to-end tests of `picklejar convert`, `to-json` and `from-json` ($PICKLEJAR_BIN).
Every expectation is computed here by the running python3: converted pickles are compared
with pickle.dumps(pickle.loads(data), protocol), JSON is read with the json module."""
import collections
import datetime
import decimal
import json
import os
import pickle
import pty
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


def shared():
    inner = [1, 2]
    return (inner, inner, {"k": inner})


def records():
    # Like rows read by csv.DictReader: the same key strs in every dict.
    keys = ["name", "size"]
    return [dict(zip(keys, (name, size))) for name, size in (("a", 1), ("b", 2), ("c", 3))]


# Values whose pickles Python writes back identically after loading them (no object whose
# identity a reload changes), built-in types and a few standard-library recipes.
VALUES = [
    None, True, False, 0, -1, 255, 65536, 2**31, -2**63, 2**64, -(10**300), 1.5, -0.0, 1e16,
    float("inf"), float("-inf"), float("nan"), "", "abc", "é€\U0001F600", "\ud800x\udfff",
    "tab\tnl\n\x00", b"", b"\x00\xff'\"", bytearray(b"xy"), [], [1, [2, [3]]], (), (1,),
    (1, 2, 3, 4), {}, {"a": 1, 2: [3], (4, 5): None}, {"$tuple": 1, "$$": 2}, set(), {1, 2, 3},
    frozenset({"x"}), {"nested": ({"x": [1.25, None]}, {True, 7})}, recursive_list(), shared(),
    records(), list(range(1200)), "x" * 70000, b"y" * 300,
    collections.OrderedDict([("a", 1), ("b", [2])]), datetime.date(2024, 2, 29),
    datetime.datetime(2024, 2, 29, 12, 30, 5, 123), decimal.Decimal("1.25"), 3 + 4j,
    2**14000,
]

# All of VALUES in one pickle but for two known limitations of picklejar's decode->encode
# identity (reported; each value alone converts exactly), where CPython shares one interned
# module-name str between globals and picklejar writes it twice at protocols 4-5:
#   - complex: CPython writes 'builtins' once for bytearray's REDUCE and fetches it for
#     complex's global; picklejar folds bytearray(...) into a native bytearray and its encoder
#     synthesizes the REDUCE with a 'builtins' of its own;
#   - datetime.datetime next to datetime.date: protocols 0-3 name globals in GLOBAL text, so
#     the decoded globals hold two 'datetime' strs where Python's classes share one.
TOGETHER = [v for v in VALUES if not isinstance(v, (complex, datetime.datetime))]


def run(args, data=None, stdout=subprocess.PIPE):
    return subprocess.run([BIN] + args, input=data, stdout=stdout, stderr=subprocess.PIPE,
                          timeout=60)


class CliJsonTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def write(self, name, data):
        path = os.path.join(self.tmp.name, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def assertOkBytes(self, result, stdout):
        self.assertEqual(result.stderr.decode(), "")
        self.assertEqual(result.returncode, 0)
        self.assertEqual(result.stdout, stdout)

    def assertOneLineError(self, result, *parts, status=1):
        """The exit status, nothing on stdout, one stderr line containing every part."""
        self.assertEqual(result.returncode, status, result)
        self.assertEqual(result.stdout, b"")
        err = result.stderr.decode("utf-8")
        self.assertTrue(err.endswith("\n"), err)
        self.assertEqual(err.count("\n"), 1, err)
        for part in parts:
            self.assertIn(part, err)
        return err


class ConvertTest(CliJsonTest):
    def test_convert_between_every_pair_of_protocols(self):
        for source in PROTOCOLS:
            data = pickle.dumps(TOGETHER, protocol=source)
            for target in PROTOCOLS:
                with self.subTest(source=source, target=target):
                    expected = pickle.dumps(pickle.loads(data), protocol=target)
                    self.assertOkBytes(run(["convert", "--protocol", str(target)], data),
                                       expected)

    def test_convert_each_value(self):
        for value in VALUES:
            for source, target in ((5, 0), (0, 5), (2, 4), (4, 2), (3, 1)):
                with self.subTest(value=repr(value)[:60], source=source, target=target):
                    data = pickle.dumps(value, protocol=source)
                    expected = pickle.dumps(pickle.loads(data), protocol=target)
                    self.assertOkBytes(run(["convert", "-p", str(target)], data), expected)

    def test_default_protocol_is_4(self):
        data = pickle.dumps({"a": (1, 2)}, protocol=0)
        self.assertOkBytes(run(["convert"], data), pickle.dumps(pickle.loads(data), protocol=4))

    def test_file_stdin_and_dash(self):
        data = pickle.dumps([1, "two", (3.0,)], protocol=5)
        expected = pickle.dumps(pickle.loads(data), protocol=2)
        path = self.write("a.pickle", data)
        self.assertOkBytes(run(["convert", "-p", "2", path]), expected)
        self.assertOkBytes(run(["convert", "-p", "2"], data), expected)
        self.assertOkBytes(run(["convert", "-p", "2", "-"], data), expected)

    def test_decode_error_names_the_input(self):
        data = b"\x80\x02X\xff\xff\xff\xffab"
        path = self.write("bad.pickle", data)
        self.assertOneLineError(run(["convert", path]), "picklejar convert", path, "offset 2",
                                "BINUNICODE")
        self.assertOneLineError(run(["convert"], data), "<stdin>", "offset 2")
        missing = os.path.join(self.tmp.name, "missing.pickle")
        self.assertOneLineError(run(["convert", missing]), missing, "No such file")

    def test_protocol_that_cannot_express_the_value(self):
        # An int of more than 4300 digits has no protocol 0 text form (as in Python).
        data = pickle.dumps(10**5000, protocol=2)
        with self.assertRaises(ValueError):
            pickle.dumps(pickle.loads(data), protocol=0)
        self.assertOneLineError(run(["convert", "-p", "0"], data), "<stdin>", "protocol 0")

    def test_refuses_to_write_a_pickle_to_a_terminal(self):
        primary, secondary = pty.openpty()
        try:
            result = run(["convert"], pickle.dumps(1), stdout=secondary)
        finally:
            os.close(secondary)
            os.close(primary)
        self.assertEqual(result.returncode, 2)
        self.assertIn(b"refusing to write a binary pickle to a terminal", result.stderr)

    def test_help(self):
        result = run(["convert", "--help"])
        self.assertEqual(result.returncode, 0)
        for part in ("convert", "FILE", "--protocol", "Example"):
            self.assertIn(part, result.stdout.decode())


class JsonRoundTripTest(CliJsonTest):
    def test_to_json_then_from_json_gives_the_pickle_back(self):
        for protocol in PROTOCOLS:
            data = pickle.dumps(TOGETHER, protocol=protocol)
            for flags in ([], ["--compact"], ["--ascii"], ["--indent", "0"], ["--indent", "5"]):
                with self.subTest(protocol=protocol, flags=flags):
                    text = run(["to-json"] + flags, data)
                    self.assertEqual(text.returncode, 0, text.stderr)
                    json.loads(text.stdout)  # valid JSON
                    if "--ascii" in flags:
                        self.assertTrue(text.stdout.isascii())
                    back = run(["from-json", "--protocol", str(protocol)], text.stdout)
                    self.assertOkBytes(back, data)

    def test_each_value_round_trips(self):
        for value in VALUES:
            with self.subTest(value=repr(value)[:60]):
                data = pickle.dumps(value, protocol=4)
                text = run(["to-json", "--compact"], data).stdout
                self.assertOkBytes(run(["from-json"], text), data)

    def test_plain_data_is_what_json_dumps_writes(self):
        value = {"name": "x", "sizes": [1, 2.5, None, True, -0.0, 1e16], "nested": {"é": []}}
        data = pickle.dumps(value, protocol=4)
        result = run(["to-json"], data)
        self.assertOkBytes(result, (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode())
        self.assertOkBytes(run(["to-json", "--compact", "--ascii"], data),
                           (json.dumps(value, separators=(",", ":")) + "\n").encode())

    def test_from_json_reads_plain_json_from_python(self):
        value = {"name": "x", "n": [1, 2**70, -3.5, None, False], "d": {"k": "v"}}
        text = json.dumps(value).encode()
        for protocol in PROTOCOLS:
            with self.subTest(protocol=protocol):
                result = run(["from-json", "-p", str(protocol)], text)
                self.assertEqual(result.returncode, 0, result.stderr)
                self.assertEqual(pickle.loads(result.stdout), value)

    def test_tags_read_by_python(self):
        text = json.dumps({"t": {"$tuple": [1, {"$bytes": "AAE="}]},
                           "s": {"$frozenset": [1]},
                           "i": {"$int": str(2**100)},
                           "f": {"$float": "-inf"},
                           "k": {"$dict": [[{"$tuple": [1, 2]}, "pair"]]},
                           "$$escaped": 1,
                           "c": {"$object": {"form": "reduce",
                                             "callable": {"$global": ["builtins", "complex"]},
                                             "args": [1.0, 2.0]}}}).encode()
        result = run(["from-json"], text)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(pickle.loads(result.stdout),
                         {"t": (1, b"\x00\x01"), "s": frozenset({1}), "i": 2**100,
                          "f": float("-inf"), "k": {(1, 2): "pair"}, "$escaped": 1,
                          "c": complex(1, 2)})

    def test_shared_references_come_back_shared_in_python(self):
        data = pickle.dumps([recursive_list(), shared()], protocol=2)
        text = run(["to-json"], data).stdout
        self.assertIn(b'"$ref"', text)
        out = pickle.loads(run(["from-json", "-p", "5"], text).stdout)
        self.assertIs(out[0][1], out[0])
        self.assertIs(out[1][0], out[1][1])
        self.assertIs(out[1][2]["k"], out[1][0])

    def test_file_stdin_and_dash(self):
        data = pickle.dumps({"a": (1,)}, protocol=3)
        expected = b'{"a":{"$tuple":[1]}}\n'
        path = self.write("a.pickle", data)
        for args, stdin in (([path], None), ([], data), (["-"], data)):
            with self.subTest(args=args):
                self.assertOkBytes(run(["to-json", "--compact"] + args, stdin), expected)
        json_path = self.write("a.json", expected)
        for args, stdin in (([json_path], None), ([], expected), (["-"], expected)):
            with self.subTest(args=args):
                self.assertOkBytes(run(["from-json", "-p", "3"] + args, stdin), data)

    def test_help(self):
        for verb, options in (("to-json", ("--indent", "--compact", "--ascii")),
                              ("from-json", ("--protocol",))):
            with self.subTest(verb=verb):
                result = run([verb, "--help"])
                self.assertEqual(result.returncode, 0)
                for part in (verb, "FILE", "Example", "docs/JSON.md") + options:
                    self.assertIn(part, result.stdout.decode())


class JsonErrorTest(CliJsonTest):
    def test_to_json_decode_error(self):
        data = b"\x80\x02]K\x01aa."
        path = self.write("bad.pickle", data)
        self.assertOneLineError(run(["to-json", path]), "picklejar to-json", path, "offset 6",
                                "APPEND")
        self.assertOneLineError(run(["to-json"], b""), "<stdin>")

    def test_from_json_syntax_error_names_line_and_column(self):
        path = self.write("bad.json", b'[1,\n 2,,]')
        self.assertOneLineError(run(["from-json", path]), "picklejar from-json", path,
                                "line 2, column 4", "unexpected ','")
        self.assertOneLineError(run(["from-json"], b"\x80\x04K\x01."), "<stdin>",
                                "line 1, column 1", "\\x80")

    def test_from_json_tag_errors_name_the_json_pointer(self):
        cases = [
            (b'{"a": [{"$ref": 3}]}', "/a/0/$ref", "names no $id"),
            (b'{"$tuple": [], "x": 1}', "/x", "next to a tag"),
            (b'{"$bogus": 1}', "/$bogus", "unknown tag"),
            (b'{"$set": [[1]]}', "/$set/0", "unhashable type: 'list'"),
            (b'{"$bytes": "***"}', "/$bytes", "not base64"),
        ]
        for text, pointer, reason in cases:
            with self.subTest(text=text):
                self.assertOneLineError(run(["from-json"], text), "<stdin>",
                                        "invalid tagged JSON at " + pointer, reason)

    def test_from_json_value_a_protocol_cannot_express(self):
        text = b'{"$object": {"form": "newobj", "callable": {"$global": ["m", "C"]}, "args": [1]}}'
        self.assertOneLineError(run(["from-json", "-p", "1"], text), "<stdin>", "protocol 2")
        self.assertEqual(run(["from-json", "-p", "2"], text).returncode, 0)

    def test_from_json_refuses_a_terminal(self):
        primary, secondary = pty.openpty()
        try:
            result = run(["from-json"], b"[]", stdout=secondary)
        finally:
            os.close(secondary)
            os.close(primary)
        self.assertEqual(result.returncode, 2)
        self.assertIn(b"refusing to write a binary pickle to a terminal", result.stderr)

    def test_bad_usage_exits_2(self):
        for args in (["convert", "--protocol", "6"], ["convert", "-p", "x"],
                     ["from-json", "--protocol", "-1"], ["to-json", "--indent", "17"],
                     ["to-json", "--bogus"], ["convert", "a", "b"]):
            with self.subTest(args=args):
                result = run(args, b"N.")
                self.assertEqual(result.returncode, 2, result)
                self.assertEqual(result.stdout, b"")
                self.assertNotEqual(result.stderr, b"")


if __name__ == "__main__":
    if not BIN:
        sys.exit("PICKLEJAR_BIN is not set")
    unittest.main()
