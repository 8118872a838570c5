#!/usr/bin/env python3
"""Makes the differential test corpus: pickles written by the python3 on the machine (the
expectations come from CPython 3.11.7, the pyenv python3; Debian's 3.11.2 writes the same
bytes), with Python's own description of each value.

    python3 tests/gen/make_corpus.py OUTDIR

For every case and protocol 0-5 it writes OUTDIR/<name>.p<N>.pkl, .desc and .dis, plus
OUTDIR/<name>.repr for values made only of built-in types (see tests/corpus.hpp).

The description is a canonical text form of the object graph that tests/corpus.cpp computes
the same way from a decoded picklejar::Value:
    None | True | False
    int:<decimal>              float:<16 hex digits of the IEEE-754 bits, big-endian>
    str:<hex of UTF-8 with surrogatepass>   bytes:<hex>   bytearray#<id>:<hex>
    list#<id>[a,b]   tuple(a,b)   dict#<id>{k=v,k=v}   odict#<id>{k=v}
    set#<id>{a,b}   frozenset{a,b}   global:<module>.<qualname>
    object#<id>:<form>(<callable>;<args>;<kwargs>;<state>;[listitems];{dictitems})
    @<id>                      a node already described (shared reference or cycle)
Ids number the mutable nodes (list, dict, set, bytearray, object) in depth-first pre-order,
children in the order written above. Containers list their items in iteration order, which
pickle preserves. Objects are described through __reduce_ex__(protocol), the recipe the
pickler writes, with copyreg.__newobj__/__newobj_ex__/_reconstructor folded into the
newobj/newobj_ex/reconstructor forms exactly as the decoder does.
"""
import collections
import copyreg
import functools
import os
import pickle
import pickletools
import struct
import sys

import pjtestmod

PROTOCOLS = range(0, 6)


class Describer:
    def __init__(self, protocol):
        self.protocol = protocol
        self.ids = {}

    def identity(self, obj):
        """Returns ('@n', None) if seen, else (None, '#n') after numbering obj."""
        key = id(obj)
        if key in self.ids:
            return "@%d" % self.ids[key], None
        self.ids[key] = len(self.ids)
        self._keep = getattr(self, "_keep", [])
        self._keep.append(obj)  # keep ids unique while describing
        return None, "#%d" % self.ids[key]

    def __call__(self, obj):
        t = type(obj)
        if obj is None:
            return "None"
        if t is bool:
            return "True" if obj else "False"
        if t is int:
            return "int:%d" % obj
        if t is float:
            return "float:" + struct.pack(">d", obj).hex()
        if t is str:
            return "str:" + obj.encode("utf-8", "surrogatepass").hex()
        if t is bytes:
            return "bytes:" + obj.hex()
        if t is bytearray:
            seen, tag = self.identity(obj)
            return seen or "bytearray%s:%s" % (tag, obj.hex())
        if t is tuple:
            return "tuple(" + ",".join(self(x) for x in obj) + ")"
        if t is list:
            seen, tag = self.identity(obj)
            return seen or "list%s[" % tag + ",".join(self(x) for x in obj) + "]"
        if t is dict or t is collections.OrderedDict:
            seen, tag = self.identity(obj)
            if seen:
                return seen
            name = "dict" if t is dict else "odict"
            return name + tag + "{" + ",".join(
                "%s=%s" % (self(k), self(v)) for k, v in obj.items()) + "}"
        if t is set:
            seen, tag = self.identity(obj)
            return seen or "set%s{" % tag + ",".join(self(x) for x in obj) + "}"
        if t is frozenset:
            return "frozenset{" + ",".join(self(x) for x in obj) + "}"
        if isinstance(obj, type) or callable(obj) and hasattr(obj, "__qualname__"):
            return "global:%s.%s" % (pickle.whichmodule(obj, obj.__qualname__), obj.__qualname__)
        return self.describe_object(obj)

    def describe_object(self, obj):
        seen, tag = self.identity(obj)
        if seen:
            return seen
        reducer = copyreg.dispatch_table.get(type(obj))  # what the pickler consults first
        rv = reducer(obj) if reducer else obj.__reduce_ex__(self.protocol)
        rv = tuple(rv) + (None,) * (5 - len(rv))
        func, args, state, listitems, dictitems = rv[:5]
        kwargs = None
        form = "reduce"
        if getattr(func, "__name__", "") == "__newobj__" and self.protocol >= 2:
            form, func, args = "newobj", args[0], args[1:]
        elif getattr(func, "__name__", "") == "__newobj_ex__" and self.protocol >= 2:
            cls, cls_args, cls_kwargs = args
            if self.protocol >= 4:
                form, func, args, kwargs = "newobj_ex", cls, cls_args, cls_kwargs
            else:  # the pickler writes partial(cls.__new__, cls, *args, **kwargs)()
                func = functools.partial(cls.__new__, cls, *cls_args, **cls_kwargs)
                args = ()
        elif func is copyreg._reconstructor and args[1] is object and args[2] is None:
            form, func, args = "reconstructor", args[0], ()
        listitems = list(listitems) if listitems is not None else []
        dictitems = list(dictitems) if dictitems is not None else []
        parts = [self(func), self(tuple(args)), self(kwargs), self(state),
                 "[" + ",".join(self(x) for x in listitems) + "]",
                 "{" + ",".join("%s=%s" % (self(k), self(v)) for k, v in dictitems) + "}"]
        return "object%s:%s(%s)" % (tag, form, ";".join(parts))


def builtin_only(obj, seen=None):
    """True when repr(obj) is the repr of built-in types only (so ours must match)."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return True
    t = type(obj)
    if t in (type(None), bool, int, float, str, bytes, bytearray):
        return True
    if t in (list, tuple, set, frozenset, dict, collections.OrderedDict):
        seen.add(id(obj))
        items = obj.items() if isinstance(obj, dict) else [(x, None) for x in obj]
        return all(builtin_only(k, seen) and builtin_only(v, seen) for k, v in items)
    return False


def cases():
    """(name, value) pairs. Names are file-name safe."""
    return pjtestmod.corpus_values()


def write(outdir, name, protocol, data, value):
    base = os.path.join(outdir, "%s.p%d" % (name, protocol))
    with open(base + ".pkl", "wb") as f:
        f.write(data)
    with open(base + ".desc", "w", encoding="utf-8") as f:
        f.write(Describer(protocol)(value))
    with open(base + ".dis", "w", encoding="utf-8") as f:
        pickletools.dis(data, out=f)


def main(outdir):
    os.makedirs(outdir, exist_ok=True)
    count = 0
    for name, value in cases():
        for protocol in PROTOCOLS:
            try:
                data = pickle.dumps(value, protocol=protocol)
            except (pickle.PicklingError, RecursionError, ValueError, TypeError):
                continue  # not expressible at this protocol (e.g. huge int text at 0/1)
            write(outdir, name, protocol, data, value)
            count += 1
        if builtin_only(value):
            with open(os.path.join(outdir, name + ".repr"), "w", encoding="utf-8") as f:
                f.write(repr(value))
    if count == 0:
        sys.exit("make_corpus: no cases written")


if __name__ == "__main__":
    main(sys.argv[1])
