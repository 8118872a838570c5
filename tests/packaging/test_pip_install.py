#!/usr/bin/env python3
"""Installs the Python package into fresh venvs offline, as python/README.md says, and uses it.

usage: test_pip_install.py SOURCE_DIR PYTHON...

For each interpreter: `python -m venv`, then with pip forbidden to reach any index
(PIP_NO_INDEX=1), `pip install SOURCE_DIR/python` (a wheel built by the package's own
standard-library build backend), `pip install -e` (an editable install), and an sdist built
by the backend installed in a third venv. Each venv then imports picklejar from where pip
put it, finds its py.typed marker beside it (PEP 561: type checkers read its hints), and
saves and reads a session.
"""
import os
import pathlib
import subprocess
import sys
import tarfile
import tempfile
import unittest
import zipfile

SOURCE_DIR = None
PYTHONS = []

USE = """
import os, sys, picklejar
path = os.path.join(sys.argv[1], "state.pj")
with picklejar.Session(path) as s:
    s["recent"] = ["notes.txt", "todo.txt"]
with picklejar.Session(path) as s:
    print(picklejar.__version__, s["recent"], picklejar.__file__)
print("py.typed", os.path.isfile(os.path.join(os.path.dirname(picklejar.__file__), "py.typed")))
"""


def run(command, env=None, cwd=None):
    result = subprocess.run([str(c) for c in command], capture_output=True, text=True, env=env,
                            cwd=cwd)
    if result.returncode != 0:
        raise AssertionError("%s exited %d:\n%s%s" % (" ".join(map(str, command)),
                                                      result.returncode, result.stdout,
                                                      result.stderr))
    return result.stdout


def offline_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PIP_"))}
    env.update(PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_CACHE_DIR="1")
    return env


class PipInstall(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="picklejar-pip-")
        self.addCleanup(self.tmp.cleanup)
        self.root = pathlib.Path(self.tmp.name)
        self.package = pathlib.Path(SOURCE_DIR) / "python"
        self.version = run([sys.executable, "-c",
                            "import re,sys; print(re.search(r'^version = \"([^\"]+)\"', "
                            "open(sys.argv[1]).read(), re.M).group(1))",
                            self.package / "pyproject.toml"]).strip()

    def venv(self, python, name):
        where = self.root / name
        run([python, "-m", "venv", where])
        return where / "bin" / "python"

    def check_use(self, python, expected_home, how):
        data = self.root / ("data-%s-%s" % (python.parent.parent.name, how))
        data.mkdir()
        # Run from an empty folder: the package must come from the install, not the cwd.
        out = run([python, "-c", USE, data], env=offline_env(), cwd=data).split()
        self.assertEqual(out[0], self.version)
        self.assertEqual(" ".join(out[1:3]), "['notes.txt', 'todo.txt']")
        self.assertTrue(pathlib.Path(out[3]).resolve().is_relative_to(expected_home.resolve()),
                        out[3])
        self.assertEqual(out[4:], ["py.typed", "True"])

    def test_install_editable_install_and_sdist_offline(self):
        # One venv per interpreter (making one is the slow part), installed into three ways in
        # turn, each replacing the one before.
        dist = self.root / "dist"
        dist.mkdir()
        sys.path.insert(0, str(self.package / "build_backend"))
        try:
            import picklejar_build
            sdist = dist / picklejar_build.build_sdist(str(dist))
            wheel = dist / picklejar_build.build_wheel(str(dist))
        finally:
            sys.path.pop(0)
        with tarfile.open(sdist) as archive:  # it holds all a wheel is built from
            names = archive.getnames()
        for needed in ("pyproject.toml", "README.md", "LICENSE", "PKG-INFO",
                       "build_backend/picklejar_build.py", "picklejar/__init__.py",
                       "picklejar/py.typed"):
            self.assertIn("picklejar-%s/%s" % (self.version, needed), names)
        with zipfile.ZipFile(wheel) as archive:
            self.assertIsNone(archive.testzip())
            record = archive.read("picklejar-%s.dist-info/RECORD" % self.version)
            self.assertEqual(len(record.decode().splitlines()), len(archive.namelist()))
            self.assertIn("picklejar/py.typed", archive.namelist())

        for number, interpreter in enumerate(PYTHONS):
            with self.subTest(python=interpreter):
                python = self.venv(interpreter, "venv%d" % number)
                home = python.parent.parent
                pip = [python, "-m", "pip", "install", "-q"]
                run(pip + [self.package], env=offline_env())
                self.check_use(python, home, "wheel")
                listed = run([python, "-m", "pip", "show", "-f", "picklejar"], env=offline_env())
                self.assertIn("License: MIT", listed)
                self.assertIn("picklejar/session.py", listed)
                self.assertIn("picklejar/py.typed", listed)
                self.assertNotIn("build_backend", listed)

                run(pip + ["-e", self.package], env=offline_env())
                self.check_use(python, self.package / "picklejar", "editable")

                run(pip + ["--force-reinstall", sdist], env=offline_env())
                self.check_use(python, home, "sdist")


if __name__ == "__main__":
    SOURCE_DIR = sys.argv[1]
    PYTHONS = sys.argv[2:]
    del sys.argv[1:]
    unittest.main(verbosity=2)
