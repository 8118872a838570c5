#!/usr/bin/env python3
"""The readable JSON forms (docs/JSON.md "Readable forms"): `to-json --readable` and
`get --format json --readable` write datetimes, dates, times, timedeltas, Decimals, UUIDs,
PosixPaths and plain instances as {"$datetime": "..."}, {"$class": "mod.Name", ...}; reading
that back (`from-json`, `set --json-file`) gives the value CPython pickled: equal, and for
CPython's own pickles the very same bytes unless CPython shared an object the text does not
show. Every expectation is computed here by CPython."""
import dataclasses
import datetime as dt
import decimal
import json
import os
import pathlib
import pickle
import sys
import tempfile
import unittest
import uuid
import zoneinfo

sys.path.insert(0, os.path.dirname(__file__))
from test_cli_session_support import make_session, run  # noqa: E402

UTC = dt.timezone.utc
PARIS = zoneinfo.ZoneInfo("Europe/Paris")


@dataclasses.dataclass
class RecentFile:
    path: object
    opened: object


@dataclasses.dataclass
class WindowGeometry:
    x: int
    y: int


@dataclasses.dataclass
class Empty:
    pass


class Outer:
    @dataclasses.dataclass
    class Inner:
        n: int


def app_state():
    return {
        "recent": [RecentFile(pathlib.PosixPath("/home/u/a b.txt"),
                              dt.datetime(2026, 12, 7, 8, 42, 33, 645309, tzinfo=UTC)),
                   RecentFile("/tmp/b", dt.datetime(2026, 12, 6, 1, 2, 3, tzinfo=PARIS))],
        "geometry": WindowGeometry(10, 20), "empty": Empty(), "inner": Outer.Inner(3),
        "price": decimal.Decimal("9.90"), "big": decimal.Decimal("-1.5E+300"),
        "id": uuid.UUID("12345678-1234-5678-1234-567812345678"), "day": dt.date(2024, 2, 29),
        "alarm": dt.time(7, 30, 0, 5, tzinfo=dt.timezone(dt.timedelta(hours=-5, seconds=-1))),
        "naive": dt.datetime(1, 1, 1), "span": dt.timedelta(days=-1, seconds=5, microseconds=7),
        "spans": [dt.timedelta(0), dt.timedelta(days=2), dt.timedelta(microseconds=1)],
        "offset": dt.datetime(2026, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30))),
        "paths": [pathlib.PosixPath("."), pathlib.PosixPath("//net/x"), pathlib.PosixPath("rel")],
    }


# Objects whose readable form would lose something keep the $object form.
KEPT_AS_RECIPES = {
    "named timezone": dt.datetime(2026, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=1), "CET")),
    "fold": dt.datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=PARIS),
    "pure path": pathlib.PurePosixPath("/a"),
}


def readable(data, *extra):
    result = run(["to-json", "--readable", *extra], data)
    assert result.returncode == 0, result.stderr
    return result.stdout


def from_json(text, protocol):
    result = run(["from-json", "-p", str(protocol)], text)
    assert result.returncode == 0, result.stderr
    return result.stdout


class ReadableJson(unittest.TestCase):
    def test_forms_are_the_texts_python_users_know(self):
        doc = json.loads(readable(pickle.dumps(app_state(), 4)))
        self.assertEqual(doc["recent"][0], {
            "$class": "__main__.RecentFile", "path": {"$path": "/home/u/a b.txt"},
            "opened": {"$datetime": "2026-12-07T08:42:33.645309Z"}})
        self.assertEqual(doc["recent"][1]["opened"], {"$datetime": "2026-12-06T01:02:03[Europe/Paris]"})
        self.assertEqual(doc["geometry"], {"$class": "__main__.WindowGeometry", "x": 10, "y": 20})
        self.assertEqual(doc["empty"], {"$class": "__main__.Empty"})
        self.assertEqual(doc["inner"], {"$class": "__main__:Outer.Inner", "n": 3})
        self.assertEqual(doc["price"], {"$decimal": "9.90"})
        self.assertEqual(doc["id"], {"$uuid": str(app_state()["id"])})
        self.assertEqual(doc["day"], {"$date": "2024-02-29"})
        self.assertEqual(doc["alarm"], {"$time": app_state()["alarm"].isoformat()})
        self.assertEqual(doc["naive"], {"$datetime": "0001-01-01T00:00:00"})
        self.assertEqual(doc["offset"], {"$datetime": app_state()["offset"].isoformat()})
        self.assertEqual(doc["span"], {"$timedelta": str(app_state()["span"])})
        self.assertEqual([s["$timedelta"] for s in doc["spans"]], [str(s) for s in app_state()["spans"]])
        self.assertEqual(doc["paths"], [{"$path": "."}, {"$path": "//net/x"}, {"$path": "rel"}])
        for name, value in KEPT_AS_RECIPES.items():
            with self.subTest(name=name):
                self.assertIn("$object", json.loads(readable(pickle.dumps(value, 4))))

    def test_round_trip_is_value_identical_and_mostly_byte_identical(self):
        values = dict(app_state(), **KEPT_AS_RECIPES)
        for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
            for name, value in values.items():
                with self.subTest(protocol=protocol, name=name):
                    data = pickle.dumps(value, protocol)
                    back = from_json(readable(data), protocol)
                    self.assertEqual(pickle.loads(back), pickle.loads(data))
                    self.assertEqual(back, data)
            with self.subTest(protocol=protocol, whole="state"):
                data = pickle.dumps(app_state(), protocol)
                self.assertEqual(pickle.loads(from_json(readable(data), protocol)),
                                 pickle.loads(data))

    def test_an_object_cpython_shared_is_written_twice(self):
        """Value-identical, not byte-identical: CPython pickles one ZoneInfo for both."""
        value = [dt.datetime(2026, 1, 1, tzinfo=PARIS), dt.datetime(2026, 1, 2, tzinfo=PARIS)]
        data = pickle.dumps(value, 4)
        back = from_json(readable(data), 4)
        self.assertEqual(pickle.loads(back), value)
        self.assertNotEqual(back, data)

    def test_shared_and_cyclic_instances_keep_their_identity(self):
        geometry = WindowGeometry(1, 2)
        cyclic = RecentFile("p", None)
        cyclic.opened = cyclic
        data = pickle.dumps([geometry, geometry, cyclic], 4)
        doc = json.loads(readable(data))
        self.assertEqual(doc[0]["$id"], 1)
        self.assertEqual(doc[1], {"$ref": 1})
        self.assertEqual(doc[2]["opened"], {"$ref": doc[2]["$id"]})
        loaded = pickle.loads(from_json(readable(data), 4))
        self.assertIs(loaded[0], loaded[1])
        self.assertIs(loaded[2].opened, loaded[2])

    def test_hand_written_texts(self):
        cases = [({"$datetime": "2026-12-07T08:42:33.5+00:00"},
                  dt.datetime(2026, 12, 7, 8, 42, 33, 500000, tzinfo=UTC)),
                 ({"$datetime": "2026-12-07T08:42:33-01:30"},
                  dt.datetime(2026, 12, 7, 8, 42, 33, tzinfo=dt.timezone(dt.timedelta(hours=-1.5)))),
                 ({"$time": "23:59:59.999999Z"}, dt.time(23, 59, 59, 999999, tzinfo=UTC)),
                 ({"$timedelta": "3 days, 4:05:06.1"}, dt.timedelta(3, 14706, 100000)),
                 ({"$timedelta": "-1 day, 23:59:59"}, dt.timedelta(seconds=-1)),
                 ({"$uuid": "ABCDEF00-0000-0000-0000-000000000001"},
                  uuid.UUID("abcdef00-0000-0000-0000-000000000001")),
                 ({"$path": "/a//b/./c/"}, pathlib.PosixPath("/a/b/c")),
                 ({"$class": "__main__.WindowGeometry", "y": 2, "x": 1}, WindowGeometry(1, 2))]
        for doc, expected in cases:
            with self.subTest(doc=doc):
                data = from_json(json.dumps(doc).encode(), 4)
                self.assertEqual(pickle.loads(data), expected)
                if "$class" not in doc:  # attributes keep the order the text gives
                    self.assertEqual(data, pickle.dumps(expected, 4))

    def test_bad_texts_name_the_tag_and_the_place(self):
        for doc, words in [({"a": [{"$datetime": "2026-02-30T00:00:00"}]}, "/a/0/$datetime"),
                           ({"$date": "2026-1-1"}, "$date '2026-1-1' is not YYYY-MM-DD"),
                           ({"$time": "24:00:00"}, "$time"),
                           ({"$timedelta": "1 day 0:00:00"}, "$timedelta"),
                           ({"$decimal": "1.2.3"}, "$decimal"),
                           ({"$uuid": "1234"}, "$uuid"),
                           ({"$class": "NoModule", "x": 1}, "$class must be"),
                           ({"$datetime": "2026-01-01T00:00:00", "x": 1}, "'x' next to a tag")]:
            with self.subTest(doc=doc):
                result = run(["from-json"], json.dumps(doc).encode())
                self.assertEqual(result.returncode, 1)
                self.assertIn(words, result.stderr.decode())

    def test_get_edit_set_round_trip_in_a_session(self):
        with tempfile.TemporaryDirectory() as tmp:
            file = os.path.join(tmp, "s.pj")
            state = app_state()
            make_session(file, {k: pickle.dumps(v, 4) for k, v in state.items()})
            for key, value in state.items():
                with self.subTest(key=key):
                    text = run(["get", "--format", "json", "--readable", file, key]).stdout
                    result = run(["set", file, key, "--json-file", "-"], text)
                    self.assertEqual(result.returncode, 0, result.stderr)
                    stored = run(["get", "--format", "pickle", file, key]).stdout
                    self.assertEqual(pickle.loads(stored), value)
            # An edit: move the first recent file's time on by a day, change its path.
            doc = json.loads(run(["get", "--format", "json", "--readable", file, "recent"]).stdout)
            doc[0]["opened"]["$datetime"] = "2026-12-08T08:42:33.645309Z"
            doc[0]["path"]["$path"] = "/home/u/c.txt"
            result = run(["set", file, "recent", "--json", json.dumps(doc)])
            self.assertEqual(result.returncode, 0, result.stderr)
            stored = pickle.loads(run(["get", "--format", "pickle", file, "recent"]).stdout)
            self.assertEqual(stored[0], RecentFile(pathlib.PosixPath("/home/u/c.txt"),
                                                   dt.datetime(2026, 12, 8, 8, 42, 33, 645309,
                                                               tzinfo=UTC)))
            self.assertEqual(stored[1], state["recent"][1])


if __name__ == "__main__":
    unittest.main()
