"""A store's name: a libpq URL with one more query parameter, ``store``
(docs/FORMAT-POSTGRES.md "Naming a store: the URL"). The parameter is taken out and the rest
handed to libpq unchanged; people see the URL without its password."""

from __future__ import annotations

import urllib.parse
from typing import Any, List, NamedTuple, Optional

from ..errors import StoreError

SCHEMES = ("postgresql://", "postgres://")
MAX_NAME_BYTES = 255


class StoreUrl(NamedTuple):
    dsn: str  # what libpq gets: the URL without store=
    name: str  # the store's name
    shown: str  # the URL as people see it (no password)


def _shown(user: Optional[str], host: Optional[str], port: Any, dbname: Optional[str],
           name: Optional[str]) -> str:
    where = ""
    if host:
        # A Unix socket's directory is a host too; a URL spells its slashes %2F.
        where = urllib.parse.quote(host, safe="") if host.startswith("/") else \
            (f"[{host}]" if ":" in host else host)
    if port:
        where += f":{port}"
    who = f"{urllib.parse.quote(user, safe='')}@" if user else ""
    database = f"/{urllib.parse.quote(dbname, safe='')}" if dbname else ""
    store = "" if name is None else f"?store={urllib.parse.quote(name, safe='')}"
    return f"postgresql://{who}{where}{database}{store}"


class _Split(NamedTuple):
    dsn: str  # the URL without store=
    names: List[str]  # the store= values, percent-encoded
    shown: str  # the URL as people see it, without store=


def _split(url: str) -> _Split:
    parts = urllib.parse.urlsplit(url)
    netloc = parts.netloc.rpartition("@")
    user = urllib.parse.unquote(netloc[0].partition(":")[0]) if netloc[1] else None
    hostport = netloc[2]
    host: Optional[str] = hostport
    port = None
    if hostport.startswith("["):
        host, _, rest = hostport[1:].partition("]")
        port = rest[1:] or None
    elif ":" in hostport and "," not in hostport:
        host, _, port = hostport.rpartition(":")
    host = urllib.parse.unquote(host or "") or None
    dbname = urllib.parse.unquote(parts.path[1:]) if len(parts.path) > 1 else None
    names, kept = [], []
    for pair in parts.query.split("&") if parts.query else []:
        key, _, value = pair.partition("=")
        if urllib.parse.unquote(key) == "store":
            names.append(value)
        else:
            kept.append(pair)
    base = url.partition("#")[0].partition("?")[0]  # urlunsplit would drop an empty host's //
    dsn = base + ("?" + "&".join(kept) if kept else "")
    return _Split(dsn, names, _shown(user, host, port, dbname, None))


def parse(url: str) -> StoreUrl:
    """The URL's libpq part, store name and shown form. StoreError (naming the URL without its
    password) when ``store`` is missing, repeated, empty, longer than 255 bytes or not UTF-8."""
    split = _split(url)
    shown_without = split.shown
    if len(split.names) != 1:
        raise StoreError(f"cannot open '{shown_without}': a PostgreSQL URL names its store "
                         f"with ?store=NAME exactly once ({len(split.names)} found)",
                         shown_without)
    raw = urllib.parse.unquote_to_bytes(split.names[0])
    try:
        name = raw.decode("utf-8")
    except UnicodeDecodeError:
        name = ""
    if not name or len(raw) > MAX_NAME_BYTES:
        raise StoreError(f"cannot open '{shown_without}': the store's name must be 1 to "
                         f"{MAX_NAME_BYTES} bytes of UTF-8 (got {len(raw)} bytes: {raw[:40]!r})",
                         shown_without)
    return StoreUrl(split.dsn, name, shown_without + f"?store={urllib.parse.quote(name, safe='')}")


def parse_database(url: str, doing: str) -> StoreUrl:
    """A URL naming a database, not a store (``name`` is empty): StoreError when it has a
    ``store`` parameter."""
    split = _split(url)
    if split.names:
        raise StoreError(f"{doing} '{split.shown}': the URL names a database, without "
                         "?store=NAME", split.shown)
    return StoreUrl(split.dsn, "", split.shown)


def shown_connected(info: Any, name: Optional[str]) -> str:
    """The shown URL with what libpq connected to (psycopg2's connection.info): user, host,
    port and database, defaults included; without ?store= when ``name`` is None."""
    return _shown(info.user, info.host, info.port, info.dbname, name)
