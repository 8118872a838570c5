"""A server restarted with `pg_ctl restart -m immediate` (a crash, for the server) while a
process saves in a loop: every save the process saw succeed is there after, and no save is
there in part. On a private cluster of its own (scripts/pg-server), not the suite's shared
one, which other suites use meanwhile."""

from __future__ import annotations

import glob
import os
import subprocess
import unittest

from pg_support import REPO_ROOT, child_env, start_python, unique

from picklejar import Session

SAVER = """
    import sys, time, picklejar
    from picklejar import ServerError
    s = picklejar.Session(sys.argv[1], lock_timeout=30)
    i, failures = 0, 0
    while not sys.stdin.closed:
        i += 1
        s[f"k{i}/a"] = i
        s[f"k{i}/b"] = -i
        while True:
            try:
                s.save()
                break
            except ServerError:  # the server is restarting: the changes stay pending
                failures += 1
                time.sleep(0.05)
        print(f"saved {i} {failures}", flush=True)
        if i >= int(sys.argv[2]):
            break
    s.close()
"""


def _server_command(directory: str, *args: str) -> None:
    bindir = os.environ.get("PICKLEJAR_PG_BINDIR") or \
        sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(d.split("/")[-2]))[-1]
    # -l: the restarted server's output goes to its log, not to pipes that stay open.
    command = [os.path.join(bindir, "pg_ctl"), *args, "-D", os.path.join(directory, "data"),
               "-l", os.path.join(directory, "server.log")]
    if os.getuid() == 0:  # the server runs as the directory's owner, never as root
        import pwd

        owner = pwd.getpwuid(os.stat(directory).st_uid).pw_name
        command = ["runuser", "-u", owner, "--", *command]
    subprocess.run(command, check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=120)


class RestartTest(unittest.TestCase):
    def setUp(self) -> None:
        started = subprocess.run([os.path.join(REPO_ROOT, "scripts", "pg-server"), "start"],
                                 capture_output=True, text=True, check=True, timeout=300)
        self.env = dict(os.environ)
        for line in started.stdout.splitlines():
            name, _, value = line.removeprefix("export ").partition("=")
            self.env[name] = value
        self.addCleanup(subprocess.run, [os.path.join(REPO_ROOT, "scripts", "pg-server"),
                                         "stop", self.env["PICKLEJAR_PG_DIR"]], timeout=120)

    def test_an_immediate_restart_loses_no_acknowledged_save(self) -> None:
        url = (f"postgresql://127.0.0.1:{self.env['PGPORT']}/postgres"
               f"?store={unique('restart')}")
        env = dict(child_env(), **{k: v for k, v in self.env.items() if k.startswith("PG")})
        saver = start_python(SAVER, url, "400", env=env)
        acknowledged = 0
        restarted = False
        for line in saver.stdout:
            acknowledged = int(line.split()[1])
            if acknowledged == 100 and not restarted:
                _server_command(self.env["PICKLEJAR_PG_DIR"], "restart", "-m", "immediate",
                                "-w", "-t", "60")
                restarted = True
        failures = int(line.split()[2])
        saver.wait(120)
        self.assertEqual(saver.returncode, 0, saver.stderr.read())
        saver.stderr.close()
        saver.stdin.close()
        saver.stdout.close()
        self.assertEqual(acknowledged, 400)
        self.assertGreater(failures, 0)  # the restart did hit saves
        old = dict(os.environ)
        os.environ.update({k: v for k, v in self.env.items() if k.startswith("PG")})
        try:
            with Session(url, mode="read_only") as s:
                found = dict(s)
        finally:
            os.environ.clear()
            os.environ.update(old)
        expected = {}
        for i in range(1, acknowledged + 1):
            expected[f"k{i}/a"], expected[f"k{i}/b"] = i, -i
        self.assertEqual(found, expected)


if __name__ == "__main__":
    unittest.main()
