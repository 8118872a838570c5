"""The stores of a PostgreSQL database as a whole: picklejar.list_stores and
picklejar.delete_store (docs/FORMAT-POSTGRES.md "Listing and deleting stores"). psycopg2 is
imported only when one is called."""

from __future__ import annotations

import dataclasses
import datetime
from typing import List, Union

from ._options import seconds
from .errors import StoreError

_SCHEMES = ("postgresql://", "postgres://")
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


@dataclasses.dataclass(frozen=True)
class StoreInfo:
    """One store of a database, as :func:`list_stores` found it."""

    name: str  # what ?store=NAME names
    format_version: int
    revision: int  # its global revision (0 until the first save)
    modified: datetime.datetime  # of the last save (UTC); its creation before one
    integrity_scheme: str  # "sha256" or "hmac-sha256"


def _url(url: str, doing: str) -> str:
    if not isinstance(url, str):
        raise TypeError(f"url must be a str, not {type(url).__name__}")
    if not url.startswith(_SCHEMES):
        raise StoreError(f"{doing} '{url}': not a postgresql:// URL (a session file is "
                         "one store)", url)
    return url


def list_stores(url: str) -> List[StoreInfo]:
    """The stores of the PostgreSQL database ``url`` names (a ``postgresql://`` URL without
    ``?store=``; libpq's own parameters, ``PG*`` variables and ``~/.pgpass`` apply), by name
    in code point order. Empty when the database has no picklejar tables (nothing is
    created). ServerError (``sqlstate``) when the server cannot be reached or refuses;
    FormatError when its picklejar layout is too new to read. Messages show the URL without
    its password."""
    from ._backends import postgres_stores

    rows = postgres_stores.list_stores(_url(url, "cannot list the stores of"))
    return [StoreInfo(name, version, revision,
                      _EPOCH + datetime.timedelta(microseconds=modified_us), scheme)
            for name, version, revision, modified_us, scheme in rows]


def delete_store(url: str, *, lock_timeout: Union[float, datetime.timedelta] = 5.0,
                 missing_ok: bool = False) -> bool:
    """Deletes the store ``url`` names (``postgresql://...?store=NAME``) with all its entries,
    in one transaction. It waits for the store's lock like a save — sessions in ``save()`` or
    ``transact()`` on it finish first — up to ``lock_timeout`` seconds (LockTimeout). Sessions
    still open on it fail their next load or save with StoreError ("was deleted").

    Returns whether the store existed; StoreError when it did not, unless ``missing_ok``.
    ServerError (``sqlstate``) when the server cannot be reached or refuses; FormatError when
    the database's picklejar layout is newer than this picklejar's."""
    from ._backends import postgres_stores

    return postgres_stores.delete_store(_url(url, "cannot delete"), seconds(lock_timeout),
                                        missing_ok)
