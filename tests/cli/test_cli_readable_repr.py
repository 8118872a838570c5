#!/usr/bin/env python3
"""Differential tests of the readable renderings (docs/VALUE.md "repr"): datetime, date, time,
timedelta, timezone, zoneinfo.ZoneInfo, Decimal, UUID, OrderedDict, complex and pathlib paths
are pickled here by CPython at every protocol, and what `picklejar dump` and `picklejar get`
print must be exactly repr(pickle.loads(the pickle)). The values are drawn by a seeded random
generator around the edges (zero fields, fold, odd offsets, exponents, signed zeros, NaN)."""
import collections
import datetime as dt
import decimal
import os
import pathlib
import pickle
import random
import subprocess
import sys
import tempfile
import unittest
import uuid
import zoneinfo

sys.path.insert(0, os.path.dirname(__file__))
from test_cli_session_support import make_session  # noqa: E402

BIN = os.environ.get("PICKLEJAR_BIN")
ZONES = ["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"]


def chance(rng, p=0.5):
    return rng.random() < p


def some_timezone(rng):
    offset = dt.timedelta(minutes=rng.randint(-1439, 1439))
    if chance(rng, 0.3):
        offset += dt.timedelta(seconds=rng.randint(0, 59), microseconds=rng.choice([0, 1, 999999]))
        offset = max(min(offset, dt.timedelta(hours=23, minutes=59)), -dt.timedelta(hours=23))
    if chance(rng):
        return dt.timezone(offset)
    return dt.timezone(offset, rng.choice(["EST", "it's", 'say "x"', "", "\u00e9t\u00e9"]))


def some_tzinfo(rng):
    choice = rng.randrange(4)
    if choice == 0:
        return None
    if choice == 1:
        return dt.timezone.utc
    if choice == 2:
        return zoneinfo.ZoneInfo(rng.choice(ZONES))
    return some_timezone(rng)


def some_time_fields(rng):
    return (rng.choice([0, rng.randrange(24)]), rng.choice([0, rng.randrange(60)]),
            rng.choice([0, rng.randrange(60)]), rng.choice([0, 1, rng.randrange(1000000)]))


def some_datetime(rng):
    day = dt.date.fromordinal(rng.randint(1, dt.date.max.toordinal()))
    h, m, s, us = some_time_fields(rng)
    return dt.datetime(day.year, day.month, day.day, h, m, s, us, tzinfo=some_tzinfo(rng),
                       fold=rng.randint(0, 1))


def some_time(rng):
    h, m, s, us = some_time_fields(rng)
    tz = None if chance(rng) else rng.choice([dt.timezone.utc, some_timezone(rng)])
    return dt.time(h, m, s, us, tzinfo=tz, fold=rng.randint(0, 1))


def some_timedelta(rng):
    limit = rng.choice([1, 1000, 999999999])
    return dt.timedelta(days=rng.randint(-limit, limit) if chance(rng) else 0,
                        seconds=rng.choice([0, rng.randrange(86400)]),
                        microseconds=rng.choice([0, rng.randrange(1000000)]))


def some_decimal(rng):
    sign = rng.choice(["", "-", "+"])
    if chance(rng, 0.15):
        return decimal.Decimal(sign + rng.choice(["Infinity", "inf", "NaN", "nan0012", "sNaN",
                                                  "snan7", "NaN0"]))
    digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 30)))
    point = rng.randint(0, len(digits))
    text = digits[:point] + ("." if chance(rng) else "") + digits[point:]
    if chance(rng):
        text += rng.choice("eE") + rng.choice(["", "+", "-"]) + str(rng.randint(0, 40))
    return decimal.Decimal(sign + text)


def some_float(rng):
    return rng.choice([0.0, -0.0, 1.0, -2.5, 1e16, 1e-5, 1e22, 123456789.0, float("inf"),
                       -float("inf"), float("nan"), rng.uniform(-1e6, 1e6),
                       rng.random() * 10 ** rng.randint(-30, 30)])


def some_path(rng):
    names = ["home", "x", "a b", "..", "it's", "\u00e9t\u00e9", "f.txt"]
    parts = [rng.choice(names) for _ in range(rng.randint(0, 4))]
    if chance(rng):
        anchor = rng.choice(["C:\\", "C:", "\\\\server\\share\\", "\\", ""])
        return rng.choice([pathlib.PureWindowsPath])(anchor, *parts)
    root = rng.choice(["/", "//", ""])
    return rng.choice([pathlib.PurePosixPath, pathlib.PosixPath])(root, *parts)


GENERATORS = [
    some_datetime, some_time, some_timedelta, some_decimal, some_path,
    lambda rng: dt.date.fromordinal(rng.randint(1, dt.date.max.toordinal())),
    lambda rng: some_timezone(rng), lambda rng: zoneinfo.ZoneInfo(rng.choice(ZONES)),
    lambda rng: complex(some_float(rng), some_float(rng)),
    lambda rng: uuid.UUID(int=rng.choice([0, 1, 2**128 - 1, rng.getrandbits(128)])),
    lambda rng: collections.OrderedDict(
        (rng.choice(["a", "b", "c", 1]), some_timedelta(rng)) for _ in range(rng.randint(0, 3))),
]

EDGES = [
    dt.datetime(2026, 12, 7, 8, 42, 33, 645309, tzinfo=dt.timezone.utc), dt.datetime.min,
    dt.datetime.max, dt.date.min, dt.date.max, dt.time(), dt.time.max, dt.timedelta(0),
    dt.timedelta.min, dt.timedelta.max, dt.timedelta(microseconds=-1), dt.timezone.utc,
    dt.timezone(dt.timedelta(0), "UTC"), dt.timezone.min, dt.timezone.max,
    decimal.Decimal("0.000"), decimal.Decimal("-0"), decimal.Decimal("1E+3"),
    decimal.Decimal("0.0000001"), decimal.Decimal("123.456e-10"), uuid.UUID(int=0),
    uuid.uuid5(uuid.NAMESPACE_DNS, "python.org"), 1j, -1j, complex(-0.0, -0.0),
    complex(0.0, float("nan")), complex(1e300, -1e-300), pathlib.PurePosixPath(),
    pathlib.PurePosixPath("//net/share"), pathlib.PurePosixPath("///x"),
    pathlib.PureWindowsPath("C:/Users/x"), pathlib.PureWindowsPath("//server/share/dir"),
    collections.OrderedDict(), collections.OrderedDict([("when", dt.date(2024, 2, 29))]),
]


def values(seed, count):
    rng = random.Random(seed)
    return EDGES + [rng.choice(GENERATORS)(rng) for _ in range(count)]


def run(args, data=None):
    return subprocess.run([BIN] + list(args), input=data, capture_output=True, timeout=300)


class ReadableRepr(unittest.TestCase):
    def dump(self, data):
        result = run(["dump", "-"], data)
        self.assertEqual((result.returncode, result.stderr), (0, b""))
        return result.stdout.decode()

    def check_all(self, items, protocol):
        data = pickle.dumps(items, protocol)
        expected = repr(pickle.loads(data)) + "\n"
        if self.dump(data) == expected:
            return
        for item in items:  # find the first value that differs, to name it
            one = pickle.dumps(item, protocol)
            self.assertEqual(self.dump(one), repr(pickle.loads(one)) + "\n", f"{item!r} p{protocol}")
        self.fail("the whole list differs but no element does")

    def test_dump_prints_pythons_repr_at_every_protocol(self):
        items = values(seed=16, count=1500)
        for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
            with self.subTest(protocol=protocol):
                self.check_all(items, protocol)

    def test_nested_in_containers_and_shared(self):
        moment = dt.datetime(2026, 12, 7, 8, 42, tzinfo=zoneinfo.ZoneInfo("Europe/Paris"))
        state = {"recent": [(pathlib.PurePosixPath("/tmp/a.txt"), moment)] * 3,
                 "prices": {"a": decimal.Decimal("9.99")}, "id": uuid.UUID(int=5),
                 "window": collections.OrderedDict(size=(640, 480), when=moment)}
        for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
            with self.subTest(protocol=protocol):
                self.check_all([state, state], protocol)

    def test_get_prints_pythons_repr(self):
        with tempfile.TemporaryDirectory() as tmp:
            file = os.path.join(tmp, "s.pj")
            items = values(seed=7, count=40)
            make_session(file, {str(i): pickle.dumps(v, 4) for i, v in enumerate(items)})
            for i, value in enumerate(items):
                result = run(["get", file, str(i)])
                self.assertEqual(result.stdout.decode(),
                                 repr(pickle.loads(pickle.dumps(value, 4))) + "\n", value)


if __name__ == "__main__":
    unittest.main()
