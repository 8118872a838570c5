"""numpy's globals, admitted to the allowlist when numpy is importable.

numpy pickles an array as ``multiarray._reconstruct`` or ``numeric._frombuffer``, a scalar as
``multiarray.scalar``, and a dtype as ``numpy.dtype`` (under ``numpy.core`` for numpy 1.x,
``numpy._core`` for 2.x). Those five names (eight spellings) are the only numpy globals a
session admits, and only when a pickle names one: the package imports numpy then, never
before, and never needs it. Each is called only as numpy writes it, with the shape checked
against the data first (``_prescan_numpy``).
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

GlobalName = Tuple[str, str]

NUMPY_NAMES = frozenset(
    [(f"numpy.{core}.multiarray", name) for core in ("core", "_core")
     for name in ("_reconstruct", "scalar")]
    + [(f"numpy.{core}.numeric", "_frombuffer") for core in ("core", "_core")]
    + [("numpy", "ndarray"), ("numpy", "dtype")]
)

_objects: Optional[Dict[GlobalName, Any]] = None


def numpy_objects() -> Dict[GlobalName, Any]:
    """The objects of NUMPY_NAMES, from the numpy installed (both spellings name the same
    objects, so numpy 1.x reads numpy 2's pickles and the reverse); empty without numpy."""
    global _objects
    if _objects is None:
        try:
            import numpy

            try:  # numpy 2 (numpy.core's functions warn there); 1.26 has the alias too
                # (mypy checks against Debian 12's numpy 1.24, which has no numpy._core)
                from numpy._core import multiarray, numeric  # type: ignore[import]
            except ImportError:  # numpy 1.x
                from numpy.core import multiarray, numeric
            functions = {"_reconstruct": multiarray._reconstruct,
                         "scalar": multiarray.scalar, "_frombuffer": numeric._frombuffer}
            _objects = {("numpy", "ndarray"): numpy.ndarray, ("numpy", "dtype"): numpy.dtype}
            for module, name in NUMPY_NAMES:
                if name in functions:
                    _objects[(module, name)] = functions[name]
        except ImportError:
            _objects = {}
    return _objects
