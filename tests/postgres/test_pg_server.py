"""scripts/pg-server: a cluster it starts answers on its socket and on TCP (with the password
from PGPASSFILE only), `stop` ends it and deletes its directory, and a start that fails at any
step leaves no server and no directory behind."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import unittest

import psycopg2

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts",
                      "pg-server")
DEBIAN_BIN = "/usr/lib/postgresql/15/bin"


class PgServerTest(unittest.TestCase):
    def setUp(self) -> None:
        parent = tempfile.mkdtemp(prefix="pg-server-test.")
        os.chmod(parent, 0o711)  # as root, the server's own user must reach its directory
        self.addCleanup(shutil.rmtree, parent, True)
        self.parent = parent

    def pg_server(self, *args: str, bindir: str | None = None) -> subprocess.CompletedProcess:
        env = dict(os.environ, PICKLEJAR_PG_PARENT=self.parent)
        env.pop("PICKLEJAR_PG_DIR", None)
        if bindir:
            env["PICKLEJAR_PG_BINDIR"] = bindir
        return subprocess.run([SCRIPT, *args], env=env, capture_output=True, text=True,
                              timeout=180)

    def test_start_env_stop(self) -> None:
        started = self.pg_server("start")
        self.assertEqual(started.returncode, 0, started.stderr)
        lines = dict(line.removeprefix("export ").split("=", 1)
                     for line in started.stdout.splitlines())
        directory = lines["PICKLEJAR_PG_DIR"]
        self.addCleanup(self.pg_server, "stop", directory)
        self.assertEqual(os.path.dirname(directory), self.parent)
        self.assertEqual(self.pg_server("env", directory).stdout, started.stdout)
        with open(lines["PGPASSFILE"]) as f:
            password = f.read().strip().rsplit(":", 1)[1]
        self.assertNotIn(password, started.stdout + started.stderr)
        no_password = os.path.join(self.parent, "empty-pgpass")
        open(no_password, "w").close()
        base = {"user": lines["PGUSER"], "dbname": lines["PGDATABASE"], "port": lines["PGPORT"]}
        for host, passfile in ((lines["PGHOST"], no_password),
                               ("127.0.0.1", lines["PGPASSFILE"])):
            conn = psycopg2.connect(host=host, passfile=passfile, **base)
            cur = conn.cursor()
            cur.execute("SELECT current_user, current_setting('fsync')")
            self.assertEqual(cur.fetchone(), ("picklejar", "off"))
            conn.close()
        with self.assertRaisesRegex(psycopg2.OperationalError, "password"):
            psycopg2.connect(host="127.0.0.1", passfile=no_password, **base)
        stopped = self.pg_server("stop", directory)
        self.assertEqual(stopped.returncode, 0, stopped.stderr)
        self.assertFalse(os.path.exists(directory))
        with self.assertRaises(psycopg2.OperationalError):
            psycopg2.connect(host="127.0.0.1", passfile=lines["PGPASSFILE"], **base)

    def fake_bindir(self, failing: str) -> str:
        """Debian's binaries, but `failing` (initdb, or pg_ctl's start) exits 1."""
        bindir = tempfile.mkdtemp(prefix="fake-bin.")
        os.chmod(bindir, 0o755)
        self.addCleanup(shutil.rmtree, bindir, True)
        for name in ("initdb", "pg_ctl", "postgres"):
            path = os.path.join(bindir, name)
            with open(path, "w") as f:
                fails = name == failing
                f.write("#!/bin/sh\n" + (f'[ "$1" = start ] && exit 1\n' if fails and
                                        name == "pg_ctl" else "exit 1\n" if fails else "")
                        + f'exec {DEBIAN_BIN}/{name} "$@"\n')
            os.chmod(path, 0o755)
        return bindir

    def test_a_failed_start_leaves_nothing_behind(self) -> None:
        for failing in ("initdb", "pg_ctl"):
            with self.subTest(failing=failing):
                result = self.pg_server("start", bindir=self.fake_bindir(failing))
                self.assertNotEqual(result.returncode, 0)
                self.assertEqual(result.stdout, "")
                self.assertEqual(os.listdir(self.parent), [])

    def test_stop_deletes_only_its_own_directories(self) -> None:
        other = os.path.join(self.parent, "not-a-cluster")
        os.mkdir(other)
        result = self.pg_server("stop", other)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("not a pg-server cluster directory", result.stderr)
        self.assertTrue(os.path.isdir(other))


if __name__ == "__main__":
    unittest.main()
