"""The pre-scan's rules for numpy's recipes: the checks the C++ ``picklejar::NdArray`` makes
(docs/MAPPING.md, "numpy arrays"), made before numpy runs.

numpy's own unpickling trusts its input more than a session may: ``_frombuffer`` and
``ndarray.__setstate__`` size an array from the pickle's shape, and ``dtype.__setstate__``
takes fields, subarrays and object types. So the admitted numpy globals (``_numpy``) are
called only as numpy writes them:

- ``numpy.dtype(type string, bool, bool)`` of a plain type NdArray reads (bool, ints, floats,
  complex, ``S``, ``U``, datetime64, timedelta64; never object, void or structured), then one
  BUILD of the state numpy writes for it (version 3, or 4 with the metadata: for
  datetime64/timedelta64 ``({...}, (unit, count, 1, 1))``, else a dict);
- ``_reconstruct(numpy.ndarray, (0,), b'b')``, then one BUILD ``(1, shape, dtype, is_fortran,
  bytes)``; ``_frombuffer(bytes or bytearray, dtype, shape, order[, axis_order])``;
  ``scalar(dtype, bytes)``: a shape of at most 64 non-negative ints whose byte size equals
  the data's length exactly (numpy's "buffer size does not match array size") and fits in
  64 bits, checked before anything is built.

A dtype or ``_reconstruct`` array that never has its BUILD is refused at STOP. These are the
C++ reader's checks (lib/src/numpy/read.cpp, dtype.cpp), rule for rule: what one refuses, the
other does (tests/test_numpy_prescan.cpp runs both on the same mutated pickles).
"""

from __future__ import annotations

import re
from typing import Any, Callable, Dict, List, Optional, Tuple

from ._numpy import NUMPY_NAMES
from ._prescan import VALUE_BYTES, Scanner
from ._prescan_globals import Key, make_object, refuse_call, text_of
from ._prescan_values import (
    BYTEARRAY, DICT, GLOBAL, LIST, OBJECT, TUPLE, GlobalInfo, Node, is_bytes, is_kind, is_str,
    items_of, kind_name, size_of,
)

NUMPY_DTYPE = "numpy.dtype"
NUMPY_ARRAY = "numpy.ndarray"
NUMPY_SCALAR = "numpy scalar"

MAX_DIMS = 64
INT64_MAX = (1 << 63) - 1
_UNITS = {"generic", "Y", "M", "W", "D", "h", "m", "s", "ms", "us", "ns", "ps", "fs", "as"}
_TYPE = re.compile(r"([biufcSUMm])([0-9]{1,11})\Z")
_SIZES = {"b": (1,), "i": (1, 2, 4, 8), "u": (1, 2, 4, 8), "f": (2, 4, 8), "c": (8, 16),
          "M": (8,), "m": (8,)}


def _item_size(type_string: str) -> Optional[int]:
    """Bytes per item of a type string NdArray reads ('f8' -> 8, 'U3' -> 12), else None."""
    match = _TYPE.match(type_string)
    if not match:
        return None
    kind, size = match.group(1), int(match.group(2))
    if kind in "SU":  # 'S0' is a dtype, but arrays of it are refused (_check_size)
        return size * (4 if kind == "U" else 1)
    return size if size in _SIZES[kind] else None


def _dtype(s: Scanner, g: GlobalInfo, items: List[Any], depth: int) -> Node:
    if len(items) != 3 or not is_str(items[0]) or type(items[1]) is not bool or \
            type(items[2]) is not bool:
        refuse_call(s, g, items, "dtype(type string, bool, bool)")
    type_string = text_of(s, items[0])
    size = _item_size(type_string)
    if size is None:
        s.forbid(g.module, g.name, f"numpy dtype {type_string[:40]!r} is not one a session "
                 "loads (bool, ints, floats, complex, S, U, datetime64, timedelta64)")
    return _needs_build(s, make_object(s, NUMPY_DTYPE, g.key, depth, (type_string, size)))


def _needs_build(s: Scanner, node: Node) -> Node:
    """Refuses, at STOP, a dtype or array that never had its BUILD (numpy always writes it)."""
    made_at = s.op_offset

    def check() -> None:
        if not node.info.built:
            s.fail(f"the {node.info.flavor} made at offset {made_at} never had its BUILD "
                   "(numpy writes its state right after it)")
    s.at_stop.append(check)
    return node


def _build_dtype(s: Scanner, target: Node, state: Any) -> None:
    """The state numpy writes (descriptor.c, arraydescr_reduce): (3, endian, None, None, None,
    elsize, alignment, flags), or version 4 with a ninth item, the metadata: a dict, or for
    datetime64/timedelta64 (dict, (unit, count, 1, 1)). endian is '|' for single-byte items,
    else '<' or '>'; flags 0, or 8 (NPY_NEEDS_INIT)."""
    type_string, size = target.info.text
    time = type_string[0] in "Mm"
    flexible = type_string[0] in "SU"
    items = items_of(state) if is_kind(state, TUPLE) else []
    want_size = size if flexible else -1
    want_alignment = (4 if type_string[0] == "U" else 1) if flexible else -1
    single_bytes = type_string[0] in "bS" or (type_string[0] in "iu" and size == 1)
    ok = len(items) in (8, 9) and type(items[0]) is int and items[0] == len(items) - 5 and \
        (len(items) == 9 or not time) and \
        (items[1] == "|" if single_bytes else items[1] in ("<", ">")) and \
        items[2:5] == [None, None, None] and all(type(i) is int for i in items[5:8]) and \
        items[5] == want_size and items[6] == want_alignment and \
        items[7] in (0, 8)  # NPY_NEEDS_INIT ('U'); the others change how items are pickled
    if ok and len(items) == 9:
        ok = _time_unit(items[8]) if time else is_kind(items[8], DICT)
    if not ok:
        s.fail(f"a numpy dtype {type_string!r}'s state must be the one numpy writes for it, got "
               f"'{kind_name(state)}'")


def _time_unit(meta: Any) -> bool:
    """A datetime64/timedelta64's (metadata dict, (unit, count, 1, 1))."""
    pair = items_of(meta) if is_kind(meta, TUPLE) else []
    info = items_of(pair[1]) if len(pair) == 2 and is_kind(pair[1], TUPLE) else []
    if len(info) != 4 or not is_kind(pair[0], DICT) or type(info[0]) not in (bytes, str):
        return False
    unit = info[0].decode("latin-1") if type(info[0]) is bytes else info[0]
    return unit in _UNITS and all(type(f) is int for f in info[1:]) and \
        1 <= info[1] < 1 << 31 and info[2] == 1 and info[3] == 1


def _shape(s: Scanner, x: Any) -> Tuple[int, ...]:
    if not is_kind(x, TUPLE) or len(items_of(x)) > MAX_DIMS:
        s.fail(f"a numpy array's shape must be a tuple of at most {MAX_DIMS} dimensions, got "
               f"'{kind_name(x)}'" + (f" of {len(items_of(x))}" if is_kind(x, TUPLE) else ""))
    dims = tuple(items_of(x))
    if not all(type(d) is int and d >= 0 for d in dims):
        s.fail("a numpy array's dimensions must be non-negative ints")
    return dims


def _built_dtype(s: Scanner, x: Any) -> int:
    """The item size of a numpy dtype that had its BUILD."""
    if not (is_kind(x, OBJECT) and x.info.flavor == NUMPY_DTYPE and x.info.built):
        s.fail(f"a numpy array's dtype must be a numpy.dtype, got '{kind_name(x)}'")
    item_size: int = x.info.text[1]
    return item_size


def _check_size(s: Scanner, shape: Tuple[int, ...], item_size: int, data: Any) -> None:
    """numpy's "buffer size does not match array size", before numpy sizes anything."""
    if not (is_bytes(data) or is_kind(data, BYTEARRAY)):
        s.fail(f"a numpy array's data must be bytes, got '{kind_name(data)}'")
    if item_size == 0:
        s.fail("a numpy array's items of a dtype of no bytes ('S0', 'U0')")
    nonzero = item_size
    for d in shape:
        nonzero *= d or 1
    if nonzero > INT64_MAX:  # numpy's own check looks at each dimension, zeros or not
        s.fail(f"numpy array: shape {shape} of {item_size}-byte items overflows")
    nbytes = nonzero if all(shape) else 0
    if nbytes != size_of(data):
        s.fail(f"numpy array: buffer size does not match array size: shape {shape} needs "
               f"{nbytes} bytes, the data has {size_of(data)}")
    s.spend(VALUE_BYTES + nbytes)  # numpy may copy it


def _reconstruct(s: Scanner, g: GlobalInfo, items: List[Any], depth: int) -> Node:
    if len(items) != 3 or not is_kind(items[0], GLOBAL) or \
            items[0].info.key != ("numpy", "ndarray") or not is_kind(items[1], TUPLE) or \
            items_of(items[1]) != [0] or type(items_of(items[1])[0]) is not int or \
            items[2] != b"b":
        refuse_call(s, g, items, "_reconstruct(numpy.ndarray, (0,), b'b')")
    node = make_object(s, NUMPY_ARRAY, ("numpy", "ndarray"), depth)
    node.cost = None  # arrays are unhashable
    return _needs_build(s, node)


def _build_array(s: Scanner, target: Node, state: Any) -> None:
    items = items_of(state) if is_kind(state, TUPLE) else []
    if len(items) != 5 or type(items[0]) is not int or items[0] != 1 or \
            type(items[3]) is not bool:
        s.fail("a numpy array's state must be (1, shape, dtype, is_fortran, data), got "
               f"'{kind_name(state)}'")
    _check_size(s, _shape(s, items[1]), _built_dtype(s, items[2]), items[4])


def _frombuffer(s: Scanner, g: GlobalInfo, items: List[Any], depth: int) -> Node:
    if len(items) not in (4, 5) or items[3] not in ("C", "F", "K"):
        refuse_call(s, g, items, "_frombuffer(buffer, dtype, shape, 'C' or 'F'"
                    "[, or 'K' and axis_order])")
    shape = _shape(s, items[2])
    axis_order = items[4] if len(items) == 5 else None
    if (items[3] == "K") != (len(items) == 5):  # older numpys' _frombuffer takes 4 arguments
        s.fail("numpy's _frombuffer takes an axis_order with order 'K' and only then")
    if len(items) == 5 and (
            not (is_kind(axis_order, TUPLE) or is_kind(axis_order, LIST)) or
            not all(type(a) is int for a in items_of(axis_order)) or
            sorted(items_of(axis_order)) != list(range(len(shape)))):
        s.fail("numpy's axis_order must be a permutation of the axes")
    _check_size(s, shape, _built_dtype(s, items[1]), items[0])
    node = make_object(s, NUMPY_ARRAY, ("numpy", "ndarray"), depth)
    node.cost = None
    node.info.built = True  # complete: no BUILD follows
    return node


def _scalar(s: Scanner, g: GlobalInfo, items: List[Any], depth: int) -> Node:
    if len(items) != 2:
        refuse_call(s, g, items, "scalar(dtype, bytes)")
    _check_size(s, (), _built_dtype(s, items[0]), items[1])
    node = make_object(s, NUMPY_SCALAR, g.key, depth)
    node.h = None  # hashable, but its hash is numpy's to say
    node.info.built = True
    return node


NUMPY_RULES: Dict[Key, Callable[[Scanner, GlobalInfo, List[Any], int], Any]] = {
    key: {"_reconstruct": _reconstruct, "_frombuffer": _frombuffer, "scalar": _scalar,
          "dtype": _dtype}[key[1]]
    for key in NUMPY_NAMES if key[1] != "ndarray"
}

NUMPY_BUILDS: Dict[str, Callable[[Scanner, Node, Any], None]] = {
    NUMPY_DTYPE: _build_dtype,
    NUMPY_ARRAY: _build_array,
}
