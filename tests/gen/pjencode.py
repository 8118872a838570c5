"""The Python half of the encoder tests (tests/test_encoder_*.cpp, via tests/encoder_support.cpp).

The C++ tests run `python3 -c 'import pjencode; pjencode.main()'`-style scripts that feed one
request per line on stdin (every field hex-encoded, so no quoting can go wrong) and read one
answer line per request. The expectations always come from this python3 at test time:

    dumps     FIELDS: program      -> 12 fields: pickle.dumps(obj, p) then pickle._dumps(obj, p)
                                      for p in 0..5, hex or '-' when the protocol cannot
                                      express obj. `program` is Python statements that
                                      assign `obj` (and optionally `buffer_callback`, which is
                                      passed on).
    loads     FIELDS: pickle expected also [buffers]
                                   -> 'ok' or 'FAIL <why>': pickle.loads(pickle) must be same()
                                      as eval(expected), and eval(also) (with `obj` bound to
                                      the loaded object) must be true. `buffers` is a
                                      comma-separated list of hex payloads, '+'-prefixed for a
                                      writable one (passed as bytearray), for protocol 5's
                                      out-of-band buffers.
    reencode  FIELDS: protocol pickle -> pickle.dumps(pickle.loads(pickle), protocol), hex
"""
import collections
import datetime
import decimal
import math
import pickle
import sys
import uuid

import pjcodec.state

NAMESPACE = {
    "collections": collections,
    "datetime": datetime,
    "decimal": decimal,
    "math": math,
    "pickle": pickle,
    "uuid": uuid,
    "pjcodec": pjcodec,
    "UTC": datetime.timezone.utc,
}

MUTABLE = (list, dict, set, bytearray)


def same(a, b):
    """Type-strict deep equality that also requires the same sharing of mutable objects: a
    list that appears twice in `a` must be one list appearing twice in `b`. Floats compare by
    value and sign (so -0.0 differs from 0.0), and NaN equals NaN. Class instances compare by
    class and __dict__. Handles cycles."""
    pairs = {}  # id(a node) -> id(its counterpart), for mutable nodes and instances
    counterparts = {}  # the reverse
    keep = []
    work = [(a, b)]
    while work:
        x, y = work.pop()
        if type(x) is not type(y):
            return False
        if isinstance(x, MUTABLE) or hasattr(x, "__dict__") and not isinstance(x, type):
            if id(x) in pairs or id(y) in counterparts:
                if pairs.get(id(x)) != id(y) or counterparts.get(id(y)) != id(x):
                    return False
                continue
            pairs[id(x)] = id(y)
            counterparts[id(y)] = id(x)
            keep.append((x, y))
        if isinstance(x, float):
            if math.isnan(x) or math.isnan(y):
                if not (math.isnan(x) and math.isnan(y)):
                    return False
            elif x != y or math.copysign(1, x) != math.copysign(1, y):
                return False
        elif isinstance(x, (list, tuple)):
            if len(x) != len(y):
                return False
            work.extend(zip(x, y))
        elif isinstance(x, dict):
            if len(x) != len(y):
                return False
            for (kx, vx), (ky, vy) in zip(x.items(), y.items()):
                work.append((kx, ky))
                work.append((vx, vy))
        elif isinstance(x, (set, frozenset)):
            if len(x) != len(y):
                return False
            members = {m: m for m in y}
            for m in x:
                if m not in members:
                    return False
                work.append((m, members[m]))
        elif hasattr(x, "__dict__") and not isinstance(x, type):
            work.append((vars(x), vars(y)))
        elif x != y or repr(x) != repr(y):
            return False
    return True


def unhex(field):
    return bytes.fromhex(field)


def text(field):
    return unhex(field).decode("utf-8")


def do_dumps(fields):
    namespace = dict(NAMESPACE)
    exec(text(fields[0]), namespace)
    obj = namespace["obj"]
    options = {}
    if "buffer_callback" in namespace:
        options["buffer_callback"] = namespace["buffer_callback"]
    out = []
    for dumps in (pickle.dumps, pickle._dumps):
        for protocol in range(6):
            try:
                out.append(dumps(obj, protocol, **options).hex())
            except Exception:
                out.append("-")
    return " ".join(out)


def do_loads(fields):
    buffers = []
    if len(fields) > 3 and fields[3] != "-":
        for field in fields[3].split(","):
            buffers.append(bytearray(unhex(field[1:])) if field[0] == "+" else unhex(field))
    try:
        obj = pickle.loads(unhex(fields[0]), buffers=buffers)
    except Exception as e:
        return "FAIL pickle.loads raised %r" % e
    namespace = dict(NAMESPACE)
    expected = eval(text(fields[1]), namespace)
    if not same(obj, expected):
        return "FAIL loaded %r, expected %r" % (obj, expected)
    namespace["obj"] = obj
    if not eval(text(fields[2]), namespace):
        return "FAIL %s is false for %r" % (text(fields[2]), obj)
    return "ok"


def do_reencode(fields):
    return pickle.dumps(pickle.loads(unhex(fields[1])), int(fields[0])).hex()


def main():
    """Answers the requests on stdin, one per line: '<command> <fields...>'."""
    sys.setrecursionlimit(100_000)
    commands = {"dumps": do_dumps, "loads": do_loads, "reencode": do_reencode}
    for line in sys.stdin:
        fields = line.split()
        if fields:
            print(commands[fields[0]](fields[1:]))
