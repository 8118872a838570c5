"""What a session writes, a session with the same options reads.

``Session.__setitem__`` pickles a value with the standard pickler, which names any class or
function the value holds; the session loads entries through its allowlist
(:mod:`._safe_pickle`), which refuses what it does not list. A value naming such a global
would save fine and then fail on every load. :func:`check_loadable` refuses it at set time
instead, with an EncodeError that says what to register.

Plain data costs nothing: CPython's pickler names a global only with STACK_GLOBAL (byte 0x93)
at protocols 4-5, GLOBAL ("c") at 0-3, or EXT1/2/4 (0x82-0x84) for copyreg's extension
registry, so a pickle without those bytes names none (:func:`may_name_globals`). Otherwise
the pickle is loaded through the allowlist, exactly as the session will load it: the answer
is exact (a global reached through builtins.getattr, a registered class whose
``__setstate__`` fails, a value over the session's DecodeLimits), at the cost of one load:
the pre-scan (Python speed) and the unpickling (C speed, about what pickling cost).
"""

from __future__ import annotations

import copyreg
import pickle
from typing import Any, Optional, Sequence, Tuple

from ._limits import DecodeLimits
from ._safe_pickle import Allowlist, global_name_of, safe_loads
from .errors import EncodeError, ForbiddenGlobal, printable

_EXT_OPCODES = (b"\x82", b"\x83", b"\x84")


def may_name_globals(data: bytes, protocol: int) -> bool:
    """False when the pickle ``data`` (written by CPython's pickler at ``protocol``) names
    no global."""
    if (b"\x93" if protocol >= 4 else b"c") in data:
        return True
    # copyreg's private registry (what copyreg.add_extension fills): not in typeshed
    return bool(copyreg._extension_registry) and any(  # type: ignore[attr-defined]
        op in data for op in _EXT_OPCODES)


def registered_hint(classes: Sequence[Any], module: str, name: str) -> str:
    """For a refused module.name: the registered classes of the same name under another
    module or qualname, and why they do not count ("" when there are none)."""
    last = name.rpartition(".")[2]
    others = []
    for cls in classes:
        try:
            cls_module, cls_name = global_name_of(cls)
        except TypeError:
            continue
        if cls_name.rpartition(".")[2] == last and (cls_module, cls_name) != (module, name):
            others.append(f"{cls_module}.{cls_name}")
    if not others:
        return ""
    return (f" (registered classes: {', '.join(others)} is not {module}.{name}: a class is "
            "found by its __module__ and __qualname__, which must equal the name in the "
            "pickle)")


def check_loadable(data: bytes, allowlist: Allowlist, classes: Sequence[Any], key: str,
                   path: str, limits: Optional[DecodeLimits] = None) -> None:
    """EncodeError naming key and file unless a session with ``allowlist`` and ``limits``
    loads ``data`` (call it when :func:`may_name_globals`)."""
    try:
        safe_loads(data, allowlist, limits)
    except ForbiddenGlobal as e:
        raise _refused(e.module, e.name, classes, key, path) from None
    except Exception as e:
        raise EncodeError(f"cannot save key '{printable(key)}' in '{path}': its pickle would "
                          f"not load back: {e}") from e


def _refused(module: str, name: str, classes: Sequence[Any], key: str,
             path: str) -> EncodeError:
    return EncodeError(
        f"cannot save key '{printable(key)}' in '{path}': its pickle names {module}.{name}, "
        "which this session's allowlist would refuse on load (register the class with "
        f"Session(..., classes=[...]), or save plain data){registered_hint(classes, module, name)}"
    )


def pickled(value: Any, protocol: int, key: str, path: str) -> bytes:
    """``pickle.dumps(value, protocol)``; EncodeError naming key and file when it fails."""
    try:
        return pickle.dumps(value, protocol)
    except Exception as e:
        raise EncodeError(f"cannot save key '{printable(key)}' in '{path}': {e}") from e


__all__: Tuple[str, ...] = ("check_loadable", "may_name_globals", "pickled", "registered_hint")
