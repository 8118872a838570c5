#!/usr/bin/env python3
"""Makes the differential test corpus: pickles written by the python3 on the machine (the
expectations come from CPython 3.11.7, the pyenv python3; Debian's 3.11.2 writes the same
bytes), with Python's own description of each value.

    python3 tests/gen/make_corpus.py OUTDIR

For every case and protocol 0-5 it writes OUTDIR/<name>.p<N>.pkl, .desc and .dis, plus
OUTDIR/<name>.repr for values made only of built-in types (see tests/corpus.hpp). A case that
a protocol cannot express (e.g. an int of more than 4300 digits as protocol 0 text) has no
files for that protocol.

The description is a canonical text form of the object graph that tests/describe.cpp computes
the same way from a decoded picklejar::Value:
    None | True | False
    int:<decimal>              float:<16 hex digits of the IEEE-754 bits, big-endian>
    str:<hex of UTF-8 with surrogatepass>   bytes:<hex>   bytearray#<id>:<hex>
    list#<id>[a,b]   tuple(a,b)   dict#<id>{k=v,k=v}   odict#<id>{k=v}[state=<attributes>]
    set#<id>{a,b}   frozenset{a,b}   global:<module>.<qualname>
    object#<id>:<form>(<callable>;<args>;<kwargs>;<state>;[listitems];{dictitems})
    @<id>                      a node already described (shared reference or cycle)
Ids number the mutable nodes (list, dict, set, bytearray, object) in depth-first pre-order,
children in the order written above. Containers list their items in iteration order, which
pickle preserves.

The description is of what the pickle at that protocol denotes, computed from the Python
object independently of the bytes, by following the pickler's own rules:
  - objects are described through copyreg.dispatch_table or __reduce_ex__(protocol), the recipe
    the pickler writes, with copyreg.__newobj__/__newobj_ex__/_reconstructor(cls, object, None)
    folded into the newobj/newobj_ex/reconstructor forms exactly as the decoder does (below
    protocol 4, __newobj_ex__ is written as functools.partial(cls.__new__, cls, ...)());
  - a global is named as pickle.whichmodule() finds it; below protocol 4 a dotted qualname is
    written as getattr(parent, name), an object; below protocol 3 names go through
    _compat_pickle's reverse mapping on write and the forward mapping on read, as
    pickle.dumps/loads(fix_imports=True) do;
  - protocol 0 writes a float as repr() text, so the value read back is float(repr(x)) (a NaN
    loses its sign and payload there; protocols 1+ keep the exact bits);
  - type(None), type(NotImplemented) and type(...) are written as type(singleton).
"""
import _compat_pickle
import collections
import copyreg
import functools
import os
import pickle
import pickletools
import struct
import sys
import types

import pjtestmod

PROTOCOLS = range(0, 6)
DEFAULT_INT_DIGITS = sys.get_int_max_str_digits()
SINGLETON_TYPES = {type(None): None, type(NotImplemented): NotImplemented, type(...): ...}


def python_name(module, name, protocol):
    """The (module, name) that pickle.loads resolves for a global pickle.dumps wrote."""
    if protocol >= 3:
        return module, name
    if (module, name) in _compat_pickle.REVERSE_NAME_MAPPING:
        module, name = _compat_pickle.REVERSE_NAME_MAPPING[(module, name)]
    elif module in _compat_pickle.REVERSE_IMPORT_MAPPING:
        module = _compat_pickle.REVERSE_IMPORT_MAPPING[module]
    if (module, name) in _compat_pickle.NAME_MAPPING:
        module, name = _compat_pickle.NAME_MAPPING[(module, name)]
    elif module in _compat_pickle.IMPORT_MAPPING:
        module = _compat_pickle.IMPORT_MAPPING[module]
    return module, name


class Describer:
    def __init__(self, protocol):
        self.protocol = protocol
        self.ids = {}
        self.keep = []  # keeps described objects alive so that ids stay unique

    def identity(self, obj):
        """Returns ('@n', None) if seen, else (None, '#n') after numbering obj."""
        key = id(obj)
        if key in self.ids:
            return "@%d" % self.ids[key], None
        self.ids[key] = len(self.ids)
        self.keep.append(obj)
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
            loaded = float(repr(obj)) if self.protocol == 0 else obj
            return "float:" + struct.pack(">d", loaded).hex()
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
            text = name + tag + "{" + self.pairs(obj.items()) + "}"
            if t is collections.OrderedDict and vars(obj):  # attributes set on the OrderedDict
                text += "state=" + self(vars(obj))
            return text
        if t is set:
            seen, tag = self.identity(obj)
            return seen or "set%s{" % tag + ",".join(self(x) for x in obj) + "}"
        if t is frozenset:
            return "frozenset{" + ",".join(self(x) for x in obj) + "}"
        return self.describe_other(obj)

    def pairs(self, items):
        return ",".join("%s=%s" % (self(k), self(v)) for k, v in items)

    def describe_other(self, obj):
        """Everything the pickler saves through save_type, save_global or save_reduce, in the
        order _pickle.c's save() tries them."""
        if id(obj) in self.ids:
            return "@%d" % self.ids[id(obj)]
        t = type(obj)
        if t is type and obj in SINGLETON_TYPES:
            return self.describe_reduce(obj, (type, (SINGLETON_TYPES[obj],)))
        if t is types.FunctionType:
            return self.describe_global(obj)
        reducer = copyreg.dispatch_table.get(t)
        if reducer is None and issubclass(t, type):
            return self.describe_global(obj)
        rv = reducer(obj) if reducer else obj.__reduce_ex__(self.protocol)
        if isinstance(rv, str):
            return self.describe_global(obj, rv)
        return self.describe_reduce(obj, rv)

    def describe_global(self, obj, name=None):
        if name is None:
            name = getattr(obj, "__qualname__", None) or obj.__name__
        module_name = pickle.whichmodule(obj, name)
        module = sys.modules[module_name]
        parent = module
        for part in name.split(".")[:-1]:
            parent = getattr(parent, part)
        if self.protocol < 4 and parent is not module:
            # save_global writes getattr(parent, lastname) and memoizes it as obj.
            return self.describe_reduce(obj, (getattr, (parent, name.rpartition(".")[2])))
        module_name, name = python_name(module_name, name, self.protocol)
        return "global:%s.%s" % (module_name, name)

    def describe_reduce(self, obj, rv):
        seen, tag = self.identity(obj)
        if seen:
            return seen
        rv = tuple(rv) + (None,) * (6 - len(rv))
        func, args, state, listitems, dictitems, state_setter = rv
        assert state_setter is None, "the corpus does not use state_setter"
        kwargs = None
        form = "reduce"
        func_name = getattr(func, "__name__", "")
        if self.protocol >= 2 and func_name == "__newobj_ex__":
            cls, cls_args, cls_kwargs = args
            if self.protocol >= 4:
                form, func, args, kwargs = "newobj_ex", cls, cls_args, cls_kwargs
            else:  # the pickler writes partial(cls.__new__, cls, *args, **kwargs)()
                func = functools.partial(cls.__new__, cls, *cls_args, **cls_kwargs)
                args = ()
        elif self.protocol >= 2 and func_name == "__newobj__":
            form, func, args = "newobj", args[0], args[1:]
        callable_desc = self(func)
        if (func is copyreg._reconstructor and len(args) == 3 and args[1] is object
                and args[2] is None):
            # The decoder folds this only when the class is a plain global (not getattr()).
            cls_desc = self(args[0])
            if cls_desc.startswith("global:"):
                form, callable_desc, args_desc = "reconstructor", cls_desc, "tuple()"
            else:
                args_desc = "tuple(%s,%s,None)" % (cls_desc, self(object))
        else:
            args_desc = self(tuple(args))
        listitems = list(listitems) if listitems is not None else []
        dictitems = list(dictitems) if dictitems is not None else []
        parts = [callable_desc, args_desc, self(kwargs), self(state),
                 "[" + ",".join(self(x) for x in listitems) + "]",
                 "{" + self.pairs(dictitems) + "}"]
        return "object%s:%s(%s)" % (tag, form, ";".join(parts))


def describe(value, protocol):
    sys.set_int_max_str_digits(0)  # descriptions spell out every int
    try:
        return Describer(protocol)(value)
    finally:
        sys.set_int_max_str_digits(DEFAULT_INT_DIGITS)


def builtin_only(obj, seen=None):
    """True when repr(obj) is the repr of built-in types only (so ours must match)."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return True
    t = type(obj)
    if t in (type(None), bool, int, float, str, bytes, bytearray):
        return True
    if t is collections.OrderedDict and vars(obj):
        return False  # picklejar shows the attributes Python's repr leaves out
    if t in (list, tuple, set, frozenset, dict, collections.OrderedDict):
        seen.add(id(obj))
        items = obj.items() if isinstance(obj, dict) else [(x, None) for x in obj]
        return all(builtin_only(k, seen) and builtin_only(v, seen) for k, v in items)
    return False


def cases():
    """(name, value) pairs. Names are file-name safe and unique."""
    values = pjtestmod.corpus_values()
    names = [name for name, _ in values]
    duplicates = {name for name in names if names.count(name) > 1}
    if duplicates:
        sys.exit("make_corpus: duplicate case names %s" % sorted(duplicates))
    return values


def write(outdir, name, protocol, data, value):
    base = os.path.join(outdir, "%s.p%d" % (name, protocol))
    with open(base + ".pkl", "wb") as f:
        f.write(data)
    with open(base + ".desc", "w", encoding="utf-8") as f:
        f.write(describe(value, protocol))
    with open(base + ".dis", "w", encoding="utf-8") as f:
        pickletools.dis(data, out=f)


def write_repr(outdir, name, value):
    try:
        text = repr(value)
    except ValueError:
        return  # an int beyond sys.get_int_max_str_digits(): Python has no repr to compare
    with open(os.path.join(outdir, name + ".repr"), "w", encoding="utf-8") as f:
        f.write(text)


def main(outdir):
    sys.setrecursionlimit(20000)  # the describer recurses a few frames per nesting level
    os.makedirs(outdir, exist_ok=True)
    count = 0
    for name, value in cases():
        for protocol in PROTOCOLS:
            try:
                data = pickle.dumps(value, protocol=protocol)
            except (pickle.PicklingError, ValueError, TypeError):
                continue  # not expressible at this protocol (e.g. huge int text at 0/1)
            write(outdir, name, protocol, data, value)
            count += 1
        repr_file = os.path.join(outdir, name + ".repr")
        if builtin_only(value):
            write_repr(outdir, name, value)
        elif os.path.exists(repr_file):
            os.remove(repr_file)  # from an older generator, for which the case was plain data
    if count == 0:
        sys.exit("make_corpus: no cases written")


if __name__ == "__main__":
    main(sys.argv[1])
