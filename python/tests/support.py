"""Helpers for the picklejar Python tests: scratch directories, "untouched" file snapshots,
raw SQLite access to inspect and tamper with session files, and child processes running
this package (with the same interpreter)."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest
from typing import Any, Dict, List, Optional, Sequence, Tuple

PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # python/
REPO_ROOT = os.path.dirname(PACKAGE_ROOT)


# The store the Session behaviour tests run against: "file" (a session file in a scratch
# directory), or "postgresql" (a store on the server the PG* variables name, as
# scripts/test's private one): python/tests_postgres/run_backends.py sets it and runs every
# test class whose BACKENDS lists it.
BACKEND_VARIABLE = "PICKLEJAR_TEST_BACKEND"
_RUN = f"{os.getpid()}-{time.time_ns()}"


def backend() -> str:
    return os.environ.get(BACKEND_VARIABLE, "file")


def store_url(name: str) -> str:
    """A URL naming the store ``name`` on the server the PG* variables name."""
    import urllib.parse

    return f"postgresql://?store={urllib.parse.quote(name, safe='')}"


class ScratchTest(unittest.TestCase):
    """A test case with a fresh directory ``self.dir`` removed afterwards. Classes that test
    only the Session API, and so hold for every store, say so with
    ``BACKENDS = BOTH_BACKENDS``: their ``self.path()`` then names a fresh store on the
    server when the run's backend is "postgresql"."""

    BACKENDS: Tuple[str, ...] = ("file",)

    def setUp(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="picklejar-py-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def path(self, name: str = "s.pj") -> str:
        if backend() == "postgresql":
            digest = hashlib.sha256(f"{self.id()}/{name}".encode()).hexdigest()[:20]
            return store_url(f"test-{_RUN}-{digest}")
        return os.path.join(self.dir, name)

    def shown(self, name: str = "s.pj") -> str:
        """How sessions name ``self.path(name)`` in messages: a file's path; a store's URL as
        libpq connected to it (from the PG* variables), without a password."""
        path = self.path(name)
        if not path.startswith("postgresql://"):
            return path
        import urllib.parse

        env = os.environ
        host = urllib.parse.quote(env["PGHOST"], safe="")
        return (f"postgresql://{env['PGUSER']}@{host}:{env['PGPORT']}/{env['PGDATABASE']}"
                f"?{path.partition('?')[2]}")


BOTH_BACKENDS = ("file", "postgresql")


def close_dropping(session: Any) -> None:
    """Closes a session, dropping its unsaved changes on purpose (no ResourceWarning): the
    cleanup of tests that leave changes unsaved."""
    if not session.closed:
        session.discard()
        session.close()


def snapshot(path: str) -> Optional[Tuple[bytes, int]]:
    """A file's bytes and mtime; equal snapshots mean it was not touched (None: missing)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
        return data, os.stat(path).st_mtime_ns
    except FileNotFoundError:
        return None


def untouched(path: str) -> Any:
    """What shows whether a session file (its bytes and mtime) or a store (its row: every
    write moves its revision) was written: equal results, nothing written in between."""
    if path.startswith("postgresql://"):
        return store_row(path)
    return snapshot(path)


def sibling_files(path: str) -> List[str]:
    """Which of the database's companion files exist (-wal, -shm, -journal)."""
    return [s for s in ("-wal", "-shm", "-journal") if os.path.exists(path + s)]


def raw(path: str) -> sqlite3.Connection:
    """A plain autocommit sqlite3 connection to a session file, to inspect or tamper with it."""
    return sqlite3.connect(path, isolation_level=None)


def sql(path: str, statement: str, parameters: Sequence[Any] = ()) -> List[tuple]:
    db = raw(path)
    try:
        return db.execute(statement, parameters).fetchall()
    finally:
        db.close()


def meta(path: str) -> Dict[str, Any]:
    """A session file's meta rows, or a store's row (the same names), as they are now."""
    if path.startswith("postgresql://"):
        return store_row(path)
    return dict(sql(path, "SELECT name, value FROM meta"))


def store_row(url: str) -> Dict[str, Any]:
    """The picklejar.store row of the store ``url`` names, read with psycopg2 alone."""
    import urllib.parse

    import psycopg2

    name = urllib.parse.unquote(url.partition("?store=")[2].partition("&")[0])
    conn = psycopg2.connect("")
    try:
        cur = conn.cursor()
        cur.execute("SELECT * FROM picklejar.store WHERE name = %s", (name,))
        row = cur.fetchone()
        return {} if row is None else dict(zip([d[0] for d in cur.description], row))
    finally:
        conn.close()


def child_env() -> Dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = PACKAGE_ROOT + os.pathsep + os.path.dirname(os.path.abspath(__file__))
    return env


def run_python(code: str, *args: str, timeout: float = 120, check: bool = True,
               ) -> subprocess.CompletedProcess:
    """Runs ``code`` (dedented) in a child of this interpreter with the package importable."""
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        env=child_env(), capture_output=True, text=True, timeout=timeout,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"child failed ({result.returncode}):\n{result.stdout}\n"
                             f"{result.stderr}")
    return result


def start_python(code: str, *args: str) -> subprocess.Popen:
    """Starts ``code`` in a child; its stdout is a pipe, read it with readline()."""
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        env=child_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )


# A child that takes the lock file's lock with plain fcntl.lockf, as docs/LOCKING.md says,
# prints "locked", and holds it until its stdin closes.
HOLD_LOCKF = """
    import fcntl, os, sys
    fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o666)
    fcntl.lockf(fd, fcntl.LOCK_EX if sys.argv[2] == "exclusive" else fcntl.LOCK_SH)
    print("locked", flush=True)
    sys.stdin.read()
"""


class Holder:
    """A child process holding the lock file of ``database`` until stop()."""

    def __init__(self, database: str, exclusive: bool = True) -> None:
        self.process = start_python(HOLD_LOCKF, database + ".lock",
                                    "exclusive" if exclusive else "shared")
        line = self.process.stdout.readline().strip()
        if line != "locked":
            self.stop()
            raise AssertionError(f"lock holder did not start: {line!r}")

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            self.process.wait(timeout=30)
        self.process.stdout.close()

    def __enter__(self) -> "Holder":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def plant_entry(path: str, key: str, data: bytes) -> None:
    """Stores ``data`` as entry ``key`` of the session file ``path`` (created when missing)
    with a valid SHA-256 digest: what someone who can write the file can do."""
    import hashlib

    from picklejar import Session

    with Session(path) as s:
        s[key] = "placeholder"
        s.save()
    db = raw(path)
    try:
        db.execute("UPDATE entries SET pickle = ?, digest = ? WHERE key = ?",
                   (data, hashlib.sha256(data).digest(), key))
    finally:
        db.close()


# Runs one child (argv[1:] is its command) under an address-space and CPU-time cap, and
# prints its exit status, output, wall time and peak RSS as JSON. Being the only child of
# this process, its RUSAGE_CHILDREN is that child's own.
_BOUNDED_RUNNER = """
import json, resource, subprocess, sys, time
address_space, cpu_seconds, timeout = (int(a) for a in sys.argv[1:4])
def cap():
    resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
start = time.monotonic()
try:
    done = subprocess.run(sys.argv[4:], capture_output=True, text=True, timeout=timeout,
                          preexec_fn=cap)
    returncode, stdout, stderr = done.returncode, done.stdout, done.stderr
except subprocess.TimeoutExpired as e:
    returncode, stdout, stderr = "timeout", e.stdout or "", e.stderr or ""
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"returncode": returncode, "stdout": str(stdout), "stderr": str(stderr)[-2000:],
                  "seconds": time.monotonic() - start, "maxrss_kb": usage.ru_maxrss}))
"""


def run_bounded(code: str, *args: str, address_space: int = 1 << 30, cpu_seconds: int = 120,
                timeout: int = 180) -> Dict[str, Any]:
    """Runs ``code`` in a grandchild capped at ``address_space`` bytes and ``cpu_seconds``;
    returns {"returncode" (negative: killed by that signal; "timeout"), "stdout", "stderr",
    "seconds", "maxrss_kb"} (its peak RSS, from getrusage(RUSAGE_CHILDREN))."""
    import json

    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_BOUNDED_RUNNER), str(address_space),
         str(cpu_seconds), str(timeout), sys.executable, "-c", textwrap.dedent(code), *args],
        env=child_env(), capture_output=True, text=True, timeout=timeout + 60,
    )
    if result.returncode != 0:
        raise AssertionError(f"bounded runner failed: {result.stderr}")
    return json.loads(result.stdout)
