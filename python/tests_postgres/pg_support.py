"""Helpers of the PostgreSQL tests: psycopg2 connections of their own to the server the PG*
variables name (to look at and tamper with the tables as any client could), store URLs, and
children running the package."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
import urllib.parse
from typing import Any, Dict, List

import psycopg2

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE_ROOT = os.path.dirname(HERE)
REPO_ROOT = os.path.dirname(PACKAGE_ROOT)
_RUN = f"{os.getpid()}-{time.time_ns()}"


def unique(name: str) -> str:
    """A store name no other test run uses."""
    return f"{name}-{_RUN}"


def socket_url(store: str) -> str:
    return f"postgresql://?store={urllib.parse.quote(store, safe='')}"


def tcp_url(store: str, user: str = "", password: str = "") -> str:
    """Over TCP to 127.0.0.1 (the user's password from PGPASSFILE unless given)."""
    who = ""
    if user:
        who = urllib.parse.quote(user, safe="")
        if password:
            who += ":" + urllib.parse.quote(password, safe="")
        who += "@"
    host = os.environ.get("PICKLEJAR_PG_TCP", "127.0.0.1")
    return (f"postgresql://{who}{host}:{os.environ['PGPORT']}/{os.environ['PGDATABASE']}"
            f"?store={urllib.parse.quote(store, safe='')}")


def execute(statement: str, parameters: Any = None) -> List[tuple]:
    """One statement in a transaction of its own, over the socket; its rows (if any)."""
    conn = psycopg2.connect("")
    try:
        with conn, conn.cursor() as cur:
            cur.execute(statement, parameters)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()


def store_row(store: str, database: str = "") -> Dict[str, Any]:
    """The picklejar.store row named ``store`` in ``database`` (default: libpq's, from PG*)."""
    conn = psycopg2.connect(dbname=database) if database else psycopg2.connect("")
    try:
        cur = conn.cursor()
        cur.execute("SELECT * FROM picklejar.store WHERE name = %s", (store,))
        row = cur.fetchone()
        return {} if row is None else dict(zip([d[0] for d in cur.description], row))
    finally:
        conn.close()


def entry_row(store: str, key: str) -> Dict[str, Any]:
    rows = execute("SELECT e.pickle, e.protocol, e.digest FROM picklejar.entry e JOIN "
                   "picklejar.store s USING (store_id) WHERE s.name = %s AND e.key = %s",
                   (store, key.encode()))
    return {} if not rows else {"pickle": bytes(rows[0][0]), "protocol": rows[0][1],
                                "digest": bytes(rows[0][2])}


def child_env() -> Dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = PACKAGE_ROOT + os.pathsep + HERE
    return env


def start_python(code: str, *args: str, env: Any = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *args],
                            env=env or child_env(), stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen, timeout: float = 240) -> str:
    out, err = process.communicate(timeout=timeout)
    if process.returncode != 0:
        raise AssertionError(f"child failed ({process.returncode}):\n{out}\n{err}")
    return out
