"""Loading pickles without running code: an Unpickler whose find_class serves an allowlist,
behind a pre-scan that bounds what the pickle may make it do.

A pickle can name any importable global and call it (``os.system`` with an argument is two
opcodes). The :class:`SafeUnpickler` never imports anything: every global a pickle names is
looked up in a fixed table of objects that only build data — built-in containers and scalars,
``datetime``, ``decimal.Decimal``, ``uuid.UUID``, ``collections.OrderedDict``, the ``copyreg``
reconstructors, ``pathlib`` paths and ``zoneinfo`` zones — plus the classes the caller
registers, and numpy's array, scalar and dtype recipes when numpy is installed (``_numpy``).
Anything else raises :class:`~picklejar.errors.ForbiddenGlobal` before a single call is made.

An allowlist stops imports, not resource use: ``bytearray(2500000000)`` is two allowed
opcodes, and CPython's unpickler has no limits of its own. So :func:`safe_loads` first runs
the pre-scan (``_prescan_ops.prescan``): one pass over the opcodes that enforces
:class:`~picklejar.DecodeLimits` and accepts the allowlisted callables only with the
arguments CPython's pickler writes for them. Only then does the unpickler run.

Registered classes are trusted as far as their own pickling methods go (``__setstate__``,
``__reduce__``, ``__new__``, and the arguments a pickle passes them): register only classes
whose unpickling does nothing but set data. They are outside the pre-scan's guarantees.
Persistent ids, extension codes and out-of-band buffers are refused.
"""

from __future__ import annotations

import _codecs
import _compat_pickle
import collections
import copyreg
import datetime
import decimal
import io
import pathlib
import pickle
import sys
import uuid
from typing import Any, Dict, Iterable, List, Optional, Set, Tuple

from ._limits import DecodeLimits
from ._numpy import NUMPY_NAMES, numpy_objects
from ._prescan_fast import plain_pickle
from ._prescan_ops import prescan
from .errors import ForbiddenGlobal

GlobalName = Tuple[str, str]


def _latin1_encode(text: Any, encoding: str = "utf-8", errors: str = "strict") -> bytes:
    """``_codecs.encode`` as pickle uses it for bytes at protocols 0-2: ``(str, 'latin1')``.

    Other codecs are refused: a codec name can reach modules the allowlist never listed."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1") or errors != "strict":
        raise ForbiddenGlobal(
            "_codecs", "encode", "_codecs.encode is allowed only as encode(str, 'latin1')"
        )
    return _codecs.encode(text, "latin1")


class _Namespace:
    """What a pickle gets for the class enclosing a registered nested class.

    Protocols 0-3 write ``Outer.Inner`` as ``getattr(Outer, 'Inner')``; this inert stand-in
    lets that form reach ``Inner`` without making ``Outer`` itself loadable: a stand-in that
    is not consumed by such a getattr makes the load fail with ForbiddenGlobal."""

    __slots__ = ("module", "qualname")

    def __init__(self, module: str, qualname: str) -> None:
        self.module = module
        self.qualname = qualname

    def __repr__(self) -> str:
        return f"<picklejar namespace {self.module}.{self.qualname}>"


GETATTR_ONLY = "builtins.getattr is allowed only to reach a registered nested class from its " \
    "outer class"


class _Getattr:
    """What a pickle gets for ``builtins.getattr``: a stand-in that reaches a registered nested
    class from its outer class (SafeUnpickler._getattr) while the load runs, and nothing after.

    A stand-in the pickle never calls makes the load fail with ForbiddenGlobal; one the pickle
    also keeps as a value (through its memo) is inert once the load has ended."""

    __slots__ = ("_unpickler", "called")

    def __init__(self, unpickler: "SafeUnpickler") -> None:
        self._unpickler: Optional["SafeUnpickler"] = unpickler
        self.called = False

    def __call__(self, obj: Any, name: Any, *default: Any) -> Any:
        if self._unpickler is None:
            raise ForbiddenGlobal("builtins", "getattr", GETATTR_ONLY)
        self.called = True
        return self._unpickler._getattr(obj, name, *default)

    def end(self) -> None:
        self._unpickler = None

    def __repr__(self) -> str:
        return "<picklejar getattr stand-in>"


# Objects that only build plain data, by the (module, name) pickle writes for them.
DEFAULT_ALLOWED: Dict[GlobalName, Any] = {
    **{
        ("builtins", obj.__name__): obj
        for obj in (
            object, set, frozenset, bytearray, bytes, complex, list, dict, tuple, str,
            int, float, bool, range, slice,
        )
    },
    ("builtins", "Ellipsis"): Ellipsis,
    ("builtins", "NotImplemented"): NotImplemented,
    ("_codecs", "encode"): _latin1_encode,
    # copyreg's private helpers, which pickles name: not in typeshed
    ("copyreg", "_reconstructor"): copyreg._reconstructor,  # type: ignore[attr-defined]
    ("copyreg", "__newobj__"): copyreg.__newobj__,  # type: ignore[attr-defined]
    **{
        ("datetime", cls.__name__): cls
        for cls in (
            datetime.date, datetime.time, datetime.datetime, datetime.timedelta,
            datetime.timezone,
        )
    },
    ("decimal", "Decimal"): decimal.Decimal,
    ("uuid", "UUID"): uuid.UUID,
    ("collections", "OrderedDict"): collections.OrderedDict,
    # Paths are plain data: a path class called with its parts parses strings and touches
    # no file (a concrete path of the other OS fails to load). Python 3.13 pickles them as
    # pathlib._local.X.
    **{
        (module, cls.__name__): cls
        for module in ("pathlib", "pathlib._local")
        for cls in (
            pathlib.PurePosixPath, pathlib.PureWindowsPath, pathlib.PosixPath,
            pathlib.WindowsPath,
        )
    },
}


# A zoneinfo.ZoneInfo pickles as getattr(ZoneInfo, '_unpickle')(key, from_cache): the zone of
# that key from the tz database (zoneinfo accepts only plain relative keys). ZoneInfo itself
# is only a way in (a namespace), not a callable. Python 3.9+.
DEFAULT_NAMESPACES: Set[GlobalName] = set()
if sys.version_info >= (3, 9):  # (a version check, not ImportError: type checkers follow it)
    import zoneinfo

    # (private, so not in typeshed: getattr)
    DEFAULT_ALLOWED[("zoneinfo", "ZoneInfo._unpickle")] = getattr(zoneinfo.ZoneInfo, "_unpickle")
    DEFAULT_NAMESPACES.add(("zoneinfo", "ZoneInfo"))


def global_name_of(obj: Any) -> GlobalName:
    """The (module, qualname) under which pickle writes ``obj``."""
    try:
        return obj.__module__, obj.__qualname__
    except AttributeError:
        raise TypeError(f"{obj!r} has no __module__ and __qualname__ to register") from None


class Allowlist:
    """The globals a :class:`SafeUnpickler` may hand out: the defaults plus ``classes``."""

    def __init__(self, classes: Iterable[Any] = ()) -> None:
        self.objects: Dict[GlobalName, Any] = dict(DEFAULT_ALLOWED)
        self.namespaces: Set[GlobalName] = set(DEFAULT_NAMESPACES)  # enclosing allowed ones
        self.registered: Set[GlobalName] = set()  # the caller's: called with any arguments
        for cls in classes:
            module, qualname = global_name_of(cls)
            self.objects[(module, qualname)] = cls
            # numpy's own globals stay held to numpy's forms (_prescan_numpy) even if passed.
            if DEFAULT_ALLOWED.get((module, qualname)) is not cls and \
                    (module, qualname) not in NUMPY_NAMES:
                self.registered.add((module, qualname))
            parts = qualname.split(".")
            self.namespaces.update((module, ".".join(parts[:i])) for i in range(1, len(parts)))

    def resolve(self, module: str, name: str) -> Tuple[str, str, bool]:
        """(module, name, is_namespace) of the allowed global module.name, after Python 2
        name mapping (protocols 0-2); ForbiddenGlobal naming it as given when not allowed."""
        if (module, name) in NUMPY_NAMES and (module, name) not in self.objects:
            admitted = numpy_objects()  # imports numpy, the first time a pickle names it
            if not admitted:
                raise ForbiddenGlobal(module, name, f"global '{module}.{name}' is numpy's, "
                                      "and numpy is not installed: numpy arrays load where it is")
            self.objects.update(admitted)
        mapped = _compat_pickle.IMPORT_MAPPING.get(module)
        for key in (
            (module, name),
            _compat_pickle.NAME_MAPPING.get((module, name)),
            None if mapped is None else (mapped, name),
        ):
            if key is not None and key in self.objects:
                return key[0], key[1], False
            if key is not None and key in self.namespaces:
                return key[0], key[1], True
        raise ForbiddenGlobal(module, name)


class SafeUnpickler(pickle.Unpickler):
    """A pickle.Unpickler that resolves globals through an :class:`Allowlist` only."""

    def __init__(self, file: io.BufferedIOBase, allowlist: Allowlist) -> None:
        super().__init__(file)
        self._allowlist = allowlist
        self._namespaces: List[_Namespace] = []  # stand-ins handed out, not yet consumed
        self._getattrs: List[_Getattr] = []  # getattr stand-ins handed out

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in (("builtins", "getattr"), ("__builtin__", "getattr")):
            self._getattrs.append(_Getattr(self))
            return self._getattrs[-1]
        module, name, is_namespace = self._allowlist.resolve(module, name)
        if is_namespace:
            self._namespaces.append(_Namespace(module, name))
            return self._namespaces[-1]
        return self._allowlist.objects[(module, name)]

    def _getattr(self, obj: Any, name: Any, *default: Any) -> Any:
        """``getattr`` restricted to reaching a registered nested class from its outer class."""
        if default or not isinstance(name, str):
            raise ForbiddenGlobal("builtins", "getattr", GETATTR_ONLY)
        if isinstance(obj, _Namespace):
            self._namespaces = [n for n in self._namespaces if n is not obj]
            return self.find_class(obj.module, f"{obj.qualname}.{name}")
        module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
        if not isinstance(module, str) or not isinstance(qualname, str) or \
                self._allowlist.objects.get((module, qualname)) is not obj:
            raise ForbiddenGlobal("builtins", "getattr", GETATTR_ONLY)
        return self.find_class(module, f"{qualname}.{name}")

    def load(self) -> Any:
        try:
            value = super().load()
        finally:
            for stand_in in self._getattrs:
                stand_in.end()
        if self._namespaces:  # an outer class used as a value, not as a way in
            raise ForbiddenGlobal(self._namespaces[0].module, self._namespaces[0].qualname)
        if any(not g.called for g in self._getattrs):  # getattr as a value, never as a way in
            raise ForbiddenGlobal("builtins", "getattr", GETATTR_ONLY)
        return value


_DEFAULT_LIMITS = DecodeLimits()


def safe_loads(data: bytes, allowlist: Allowlist, limits: Optional[DecodeLimits] = None) -> Any:
    """``pickle.loads(data)`` with globals limited to ``allowlist``, once the pre-scan has
    found it within ``limits`` (default: DecodeLimits()); extra bytes are refused.

    A small pickle of plain data that the fast path (``_prescan_fast``) recognizes is
    unpickled at once: the scan would accept it or CPython raises, and when CPython raises,
    the scan and the unpickler below run as for any other pickle, raising what they raise."""
    if limits is None:
        limits = _DEFAULT_LIMITS
    if plain_pickle(data, limits):
        try:
            return pickle.loads(data)
        except Exception:  # noqa: BLE001 - reported by the scan (or the unpickler) below
            pass
    prescan(data, allowlist, limits)
    stream = io.BytesIO(data)
    value = SafeUnpickler(stream, allowlist).load()
    if stream.tell() != len(data):
        raise pickle.UnpicklingError(
            f"{len(data) - stream.tell()} bytes after the pickle's STOP opcode"
        )
    return value
