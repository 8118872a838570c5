"""A store's name: a libpq URL with one more query parameter, ``store``
(docs/FORMAT-POSTGRES.md "Naming a store: the URL"). The parameter is taken out and the rest
handed to libpq unchanged; people see the URL without its password."""

from __future__ import annotations

import urllib.parse
from typing import Any, NamedTuple, Optional

from ..errors import StoreError

SCHEMES = ("postgresql://", "postgres://")
MAX_NAME_BYTES = 255


class StoreUrl(NamedTuple):
    dsn: str  # what libpq gets: the URL without store=
    name: str  # the store's name
    shown: str  # the URL as people see it (no password)


def _shown(user: Optional[str], host: Optional[str], port: Any, dbname: Optional[str],
           name: str) -> str:
    where = ""
    if host:
        # A Unix socket's directory is a host too; a URL spells its slashes %2F.
        where = urllib.parse.quote(host, safe="") if host.startswith("/") else \
            (f"[{host}]" if ":" in host else host)
    if port:
        where += f":{port}"
    who = f"{urllib.parse.quote(user, safe='')}@" if user else ""
    database = f"/{urllib.parse.quote(dbname, safe='')}" if dbname else ""
    return f"postgresql://{who}{where}{database}?store={urllib.parse.quote(name, safe='')}"


def parse(url: str) -> StoreUrl:
    """The URL's libpq part, store name and shown form. StoreError (naming the URL without its
    password) when ``store`` is missing, repeated, empty, longer than 255 bytes or not UTF-8."""
    parts = urllib.parse.urlsplit(url)
    netloc = parts.netloc.rpartition("@")
    user = urllib.parse.unquote(netloc[0].partition(":")[0]) if netloc[1] else None
    hostport = netloc[2]
    host, port = hostport, None
    if hostport.startswith("["):
        host, _, rest = hostport[1:].partition("]")
        port = rest[1:] or None
    elif ":" in hostport and "," not in hostport:
        host, _, port = hostport.rpartition(":")
    host = urllib.parse.unquote(host) or None
    dbname = urllib.parse.unquote(parts.path[1:]) if len(parts.path) > 1 else None
    names, kept = [], []
    for pair in parts.query.split("&") if parts.query else []:
        key, _, value = pair.partition("=")
        if urllib.parse.unquote(key) == "store":
            names.append(value)
        else:
            kept.append(pair)
    shown_without = _shown(user, host, port, dbname, "")[:-len("?store=")]
    if len(names) != 1:
        raise StoreError(f"cannot open '{shown_without}': a PostgreSQL URL names its store "
                         f"with ?store=NAME exactly once ({len(names)} found)", shown_without)
    raw = urllib.parse.unquote_to_bytes(names[0])
    try:
        name = raw.decode("utf-8")
    except UnicodeDecodeError:
        name = ""
    if not name or len(raw) > MAX_NAME_BYTES:
        raise StoreError(f"cannot open '{shown_without}': the store's name must be 1 to "
                         f"{MAX_NAME_BYTES} bytes of UTF-8 (got {len(raw)} bytes: {raw[:40]!r})",
                         shown_without)
    base = url.partition("#")[0].partition("?")[0]  # urlunsplit would drop an empty host's //
    dsn = base + ("?" + "&".join(kept) if kept else "")
    return StoreUrl(dsn, name, _shown(user, host, port, dbname, name))


def shown_connected(info: Any, name: str) -> str:
    """The shown URL with what libpq connected to (psycopg2's connection.info): user, host,
    port and database, defaults included."""
    return _shown(info.user, info.host, info.port, info.dbname, name)
