#!/usr/bin/env python3
"""Extracts CPython's own pickle test fixtures from the machine's Lib/test/pickletester.py
(imported as test.pickletester, never pasted) and writes what CPython loads from each.

    python3 tests/gen/make_fixtures.py OUTDIR

For every fixture it writes OUTDIR/<name>.pkl (the bytes) and OUTDIR/<name>.loaded, a
description of pickle.loads(bytes) that tests/test_cpython_fixtures.cpp computes the same way
from the Value our decoder gives (tests/describe.cpp, describe_loaded). The fixtures:
  - DATA0..DATA4: create_data() (ints at cPickle's size cut-offs, a complex, a shared tuple
    holding a __main__.C instance twice) at protocols 0-4;
  - DATA_SET, DATA_XRANGE, DATA_COOKIE, DATA_SET2, DATA_UEERR: Python 2 pickles;
  - exception_<Name>: exception_pickle with each of python2_exceptions_without_args and
    StandardError, as test_unpickle_from_2x builds them;
  - classic_<X>_p<N>: the Python 2 old-style instance pickles of test_load_classic_instance,
    taken from that method's source (its byte templates and its class list) with ast.
Importing test.pickletester sets __main__.C/D/E, which these pickles name, as the test suite
does; the test resolves our decoded global names in a python3 that imports it too.

The loaded description is make_corpus.py's format (tests/corpus.hpp) with these changes, which
make it a description of the loaded Python object rather than of the pickle's recipe:
  - a global is the object's canonical name, pickle.whichmodule(obj, qualname) + qualname;
  - an object (anything that is not a built-in data type, class or function) is described by
    the recipe CPython would pickle the *loaded* object with, __reduce_ex__(2), as
        object#<id>:<new|reduce>(<callable>;<args>;<kwargs>;<state>;[listitems];{dictitems})
    where "new" is any class instantiation (copyreg.__newobj__/__newobj_ex__, and
    _reconstructor(cls, object, None)), and a state that is None or an empty dict is None;
  - dict items and set/frozenset members are sorted by the description of the key/member
    written on its own (fresh ids), because equality of loaded dicts and sets ignores order
    and a __setstate__/__getstate__ round trip may reorder a state dict.
"""
import ast
import collections
import copyreg
import inspect
import os
import pickle
import struct
import sys
import textwrap
import types

import test.pickletester as pt


def canonical_name(obj):
    qualname = getattr(obj, "__qualname__", None) or obj.__name__
    return "%s.%s" % (pickle.whichmodule(obj, qualname), qualname)


class LoadedDescriber:
    def __init__(self):
        self.ids = {}
        self.keep = []

    def identity(self, obj):
        key = id(obj)
        if key in self.ids:
            return "@%d" % self.ids[key], None
        self.ids[key] = len(self.ids)
        self.keep.append(obj)
        return None, "#%d" % self.ids[key]

    @staticmethod
    def sort_key(obj):
        return LoadedDescriber()(obj)

    def members(self, items):
        return ",".join(self(x) for x in sorted(items, key=self.sort_key))

    def pairs(self, items):
        ordered = sorted(items, key=lambda kv: self.sort_key(kv[0]))
        return ",".join("%s=%s" % (self(k), self(v)) for k, v in ordered)

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
            return ("dict" if t is dict else "odict") + tag + "{" + self.pairs(obj.items()) + "}"
        if t is set:
            seen, tag = self.identity(obj)
            return seen or "set%s{" % tag + self.members(obj) + "}"
        if t is frozenset:
            return "frozenset{" + self.members(obj) + "}"
        if isinstance(obj, type) or t in (types.FunctionType, types.BuiltinFunctionType):
            return "global:" + canonical_name(obj)
        return self.describe_object(obj)

    def describe_object(self, obj):
        seen, tag = self.identity(obj)
        if seen:
            return seen
        reducer = copyreg.dispatch_table.get(type(obj))
        rv = reducer(obj) if reducer else obj.__reduce_ex__(2)
        rv = tuple(rv) + (None,) * (5 - len(rv))
        func, args, state, listitems, dictitems = rv[:5]
        kwargs = None
        form = "reduce"
        if func is copyreg.__newobj__:
            form, func, args = "new", args[0], args[1:]
        elif func is copyreg.__newobj_ex__:
            form, (func, args, kwargs) = "new", args
        elif func is copyreg._reconstructor and args[1] is object and args[2] is None:
            form, func, args = "new", args[0], ()
        if state == {}:
            state = None
        parts = [self(func), self(tuple(args)), self(kwargs), self(state),
                 "[" + ",".join(self(x) for x in (listitems or [])) + "]",
                 "{" + self.pairs(list(dictitems or [])) + "}"]
        return "object%s:%s(%s)" % (tag, form, ";".join(parts))


def classic_instance_pickles():
    """The pickles test_load_classic_instance builds, read from its source."""
    source = textwrap.dedent(inspect.getsource(pt.AbstractUnpickleTests.test_load_classic_instance))
    tree = ast.parse(source)
    classes, templates = [], {}
    for node in ast.walk(tree):
        if isinstance(node, ast.For) and isinstance(node.iter, ast.List):
            classes = [element.elts[0].id for element in node.iter.elts]
        if (isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id.startswith("pickle")):
            call = node.value  # <bytes constant>.replace(b'X', xname)
            templates[node.targets[0].id] = (call.func.value.value, call.args[0].value)
    if not classes or len(templates) != 3:
        sys.exit("make_fixtures: test_load_classic_instance no longer has the expected shape")
    for cls in classes:
        for var, (template, placeholder) in sorted(templates.items()):
            yield "classic_%s_p%s" % (cls, var[-1]), template.replace(placeholder, cls.encode())


def fixtures():
    for n in range(5):
        yield "DATA%d" % n, getattr(pt, "DATA%d" % n)
    for name in ("DATA_SET", "DATA_XRANGE", "DATA_COOKIE", "DATA_SET2", "DATA_UEERR"):
        yield name, getattr(pt, name)
    for exc in pt.python2_exceptions_without_args:
        yield "exception_" + exc.__name__, pt.exception_pickle.replace(b"?", exc.__name__.encode())
    yield "exception_StandardError", pt.exception_pickle.replace(b"?", b"StandardError")
    yield from classic_instance_pickles()


def main(outdir):
    os.makedirs(outdir, exist_ok=True)
    written = {}
    for name, data in fixtures():
        # EnvironmentError and IOError are OSError in Python 3: the same name, the same bytes.
        if written.setdefault(name, data) != data:
            sys.exit("make_fixtures: two different fixtures named " + name)
        loaded = pickle.loads(data)
        with open(os.path.join(outdir, name + ".pkl"), "wb") as f:
            f.write(data)
        with open(os.path.join(outdir, name + ".loaded"), "w", encoding="utf-8") as f:
            f.write(LoadedDescriber()(loaded))
    if not written:
        sys.exit("make_fixtures: no fixtures written")


if __name__ == "__main__":
    main(sys.argv[1])
