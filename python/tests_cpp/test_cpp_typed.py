"""C++ writes, Python reads every typed value of the typed mapping (docs/MAPPING.md), a
PICKLEJAR_CLASS struct arriving as an instance of crossstate.Window; Python writes, C++ reads
them back with from_value<T> (tests/session_tool.cpp, "write-typed" / "check-typed")."""

from __future__ import annotations

import collections
import datetime
import decimal
import struct
import unittest
import uuid

from picklejar import Session

from cpp import run_tool, tool_lines
from crossstate import Window
from support import ScratchTest

UTC = datetime.timezone.utc


def samples():
    """The Python object of every sample in session_tool.cpp's each_sample()."""
    return {
        "none": None,
        "bool": True,
        "int": -1234567890123,
        "uint64": 2**64 - 1,
        "double": 2.5,
        "float": struct.unpack("<f", struct.pack("<f", 0.1))[0],  # C++ 0.1f as a double
        "string": "héllo \U0001F600",
        "bytes": b"\x00\xff\x10",
        "list": [1, 2, 3],
        "dict": {"a": 1, "b": 2},
        "set": {1, 2, 3},
        "tuple": (1, "x", 0.5),
        "optional_none": None,
        "optional": 5,
        "variant": "s",
        "enum": 4,
        "datetime": datetime.datetime(2024, 3, 14, 9, 26, 53, 589793, tzinfo=UTC),
        "naive": datetime.datetime(1999, 12, 31, 23, 59, 59),
        "timedelta": datetime.timedelta(hours=36, microseconds=5),
        "negative_timedelta": datetime.timedelta(microseconds=-1),
        "date": datetime.date(2024, 2, 29),
        "time": datetime.time(9, 26, 53, 589,
                              tzinfo=datetime.timezone(datetime.timedelta(hours=-5))),
        "decimal": decimal.Decimal("-1.50"),
        "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "complex": complex(1.5, -2),
        "ordered": collections.OrderedDict([("b", 1), ("a", 2)]),
        "struct": Window(1024, 768, "main ☕", ["a", "b"]),
        "structs": {"all": [Window(), Window(1, 2)]},
        "nested": {"xs": [1.0, None]},
    }


class TypedValuesTest(ScratchTest):
    def test_cpp_writes_python_reads(self) -> None:
        run_tool("write-typed", self.path())
        expected = samples()
        with Session(self.path(), mode="read_only", classes=[Window]) as s:
            self.assertEqual(sorted(s), sorted(expected))
            for key, value in expected.items():
                with self.subTest(key):
                    self.assertEqual(type(s[key]), type(value))
                    self.assertEqual(s[key], value)
            self.assertEqual(s.info.writer.split()[0], "picklejar-cpp")
            self.assertEqual(s.info.created_by.split()[0], "picklejar-cpp")

    def test_python_writes_cpp_reads_at_every_protocol(self) -> None:
        for protocol in range(6):
            with self.subTest(protocol=protocol):
                path = self.path(f"p{protocol}.pj")
                with Session(path, protocol=protocol, classes=[Window]) as s:
                    s.update(samples())
                self.assertEqual(tool_lines("check-typed", path), ["ok"])

    def test_round_trip_through_both(self) -> None:
        with Session(self.path(), classes=[Window]) as s:
            s.update(samples())
            s.save()
        run_tool("write-typed", self.path())  # C++ rewrites every key over Python's
        with Session(self.path(), classes=[Window]) as s:
            self.assertEqual(dict(s), samples())
            self.assertEqual(s.info.revision, 2)
            self.assertEqual({s.entry_info(k).revision for k in s}, {2})

    def test_python_converts_the_protocol_of_a_cpp_file(self) -> None:
        run_tool("write-typed", self.path())
        for protocol in (2, 0, 5):
            with Session(self.path(), classes=[Window]) as s:
                s.convert_protocol(protocol)
                self.assertEqual({s.entry_info(k).protocol for k in s}, {protocol})
            self.assertEqual(tool_lines("check-typed", self.path()), ["ok"])

    def test_check_typed_notices_a_wrong_value(self) -> None:
        wrong = samples()
        wrong["struct"] = Window(1024, 768, "main ☕", ["a"])
        wrong["int"] = 7
        with Session(self.path(), classes=[Window]) as s:
            s.update(wrong)
        result = run_tool("check-typed", self.path(), check=False)
        self.assertEqual(result.returncode, 1)
        self.assertEqual([line.split(":")[0] for line in result.stdout.splitlines()],
                         ["int", "struct"])


if __name__ == "__main__":
    unittest.main()
