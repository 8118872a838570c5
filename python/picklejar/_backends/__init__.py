"""Where a session's entries live: the narrow interface the session logic (_state.py,
session.py, _transact.py, _operations.py, _migrations.py, _changes.py) uses, and its two
implementations, a SQLite file (sqlite.py, docs/FORMAT.md) and a store on a PostgreSQL server
(postgres.py, docs/FORMAT-POSTGRES.md). Mirrors lib/src/store/'s backend seam.

The session logic — the snapshot view, pending changes, conflicts, lazy verified decoding,
migrations, integrity, which keys changed — is written once, against ``Store``. A store only
moves rows: it opens or creates the place, reads a snapshot of what changed since a revision,
writes one change set as one revision under the exclusive lock, and says cheaply whether
anything changed."""

from __future__ import annotations

from typing import (TYPE_CHECKING, Any, ContextManager, Dict, Iterable, List, Optional, Protocol,
                    Sequence, Set, Tuple)

if TYPE_CHECKING:
    from .sqlite import SqliteStore

# An upsert as write_revision() takes it: (key, pickle, protocol, digest, revision, modified_us).
Upsert = Tuple[str, bytes, int, bytes, int, int]


class Transaction(Protocol):
    """What reading()/writing() yield: commit() ends it; leaving the block without it rolls
    back."""

    def commit(self) -> None:
        ...


class Store:
    """One session's place. ``shown`` names it in every message (a file's path; a server's URL
    without its password). Methods marked "inside" run inside reading() or writing()."""

    kind = ""  # "file" or "postgresql"
    shown = ""

    def reading(self, doing: str) -> ContextManager[Transaction]:
        """One consistent snapshot, blocking no writer; errors raised inside become the
        store's typed errors, naming it ("<doing> '<shown>': why")."""
        raise NotImplementedError

    def writing(self, doing: str) -> ContextManager[Transaction]:
        """The exclusive lock (LockTimeout naming the store past options.lock_timeout) and one
        write transaction: what another writer committed before is visible inside."""
        raise NotImplementedError

    def errors(self, doing: str) -> ContextManager[None]:
        """Turns the backend's own errors inside the block into typed ones naming the store."""
        raise NotImplementedError

    # ---- inside a transaction -----------------------------------------------------------------

    def before_read(self) -> None:
        """Checks what must hold before anything is read (a file's schema)."""

    def revision(self) -> int:
        """The store's global revision (-1 when it has none)."""
        raise NotImplementedError

    def read_meta(self) -> Any:
        """The meta rows (a _format.Meta), checked as opening checks them."""
        raise NotImplementedError

    def entries_since(self, seen: int) -> List[Tuple[str, Any]]:
        """(key, _state.Entry) of every entry written at a revision above ``seen`` (all when 0),
        each row checked; FormatError naming the key otherwise."""
        raise NotImplementedError

    def tombstones_since(self, seen: int) -> List[str]:
        raise NotImplementedError

    def all_keys(self) -> Set[str]:
        raise NotImplementedError

    def set_meta(self, name: str, value: Any) -> None:
        """Inside writing(): a meta row this transaction changes (app_schema_version,
        default_protocol, integrity_scheme, key_id; a store's format upgrade: format_version,
        min_reader_version)."""
        raise NotImplementedError

    def write_revision(self, revision: int, now: int, upserts: Sequence[Upsert],
                       erased: Iterable[str], purged_revision: int,
                       writer: Tuple[str, str, str]) -> int:
        """Inside writing(): writes ``upserts`` and erases ``erased`` (with tombstones) as
        ``revision``, purges old tombstones, records revision, time and ``writer`` (name,
        version, app); returns the purged_revision now in force (docs/FORMAT.md "Revisions")."""
        raise NotImplementedError

    # ---- outside transactions -----------------------------------------------------------------

    def change_feed(self) -> Any:
        """A _watch.ChangeFeed: version() that moves when another connection commits, wait()."""
        raise NotImplementedError

    def sizes(self, in_transaction: bool) -> Dict[str, int]:
        """SessionInfo's size fields, read now."""
        raise NotImplementedError

    def require_file(self, what: str) -> "SqliteStore":
        """The store as a file; StoreError when it is not (backups, vacuum, SQLite's
        checks)."""
        raise NotImplementedError

    def open(self, state: Any, session: Any) -> None:
        """Opens (or creates) the store for the session's ``state``. (A file is opened by
        _open.open_session, which needs more of the file than this interface.)"""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def abandon(self) -> Optional[Any]:
        """In a forked child: what must stay referenced and never be closed (the parent still
        uses the same descriptors)."""
        return self
