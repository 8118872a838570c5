"""The package itself: its version against the C++ library's, what it exports, that it stays
Python 3.8 syntax, and that its schema is docs/FORMAT.md's."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import tempfile
import textwrap
import unittest

import picklejar
from picklejar import _format

from support import PACKAGE_ROOT, REPO_ROOT, child_env, meta


def _read(*parts: str) -> str:
    with open(os.path.join(*parts), encoding="utf-8") as f:
        return f.read()


class PackageTest(unittest.TestCase):
    def test_version_is_the_cpp_librarys(self) -> None:
        meson = re.search(r"version:\s*'([^']+)'", _read(REPO_ROOT, "meson.build")).group(1)
        pyproject = re.search(r'^version = "([^"]+)"', _read(PACKAGE_ROOT, "pyproject.toml"),
                              re.M).group(1)
        self.assertEqual(picklejar.__version__, meson)
        self.assertEqual(pyproject, meson)

    def test_exports(self) -> None:
        for name in picklejar.__all__:
            self.assertTrue(hasattr(picklejar, name), name)
        self.assertTrue(issubclass(picklejar.FormatError, picklejar.StoreError))
        self.assertTrue(issubclass(picklejar.ForbiddenGlobal, picklejar.DecodeError))
        self.assertTrue(issubclass(picklejar.LockTimeout, TimeoutError))
        for cls in (picklejar.StoreError, picklejar.DecodeError, picklejar.EncodeError):
            self.assertTrue(issubclass(cls, picklejar.PicklejarError))

    def test_sources_are_python_3_8(self) -> None:
        folder = os.path.join(PACKAGE_ROOT, "picklejar")
        names = sorted(os.path.relpath(os.path.join(d, n), folder)
                       for d, _, files in os.walk(folder) for n in files if n.endswith(".py"))
        self.assertIn("session.py", names)
        self.assertIn(os.path.join("_backends", "postgres.py"), names)
        for name in names:
            with self.subTest(name):
                ast.parse(_read(folder, name), name, feature_version=(3, 8))

    def test_the_wheel_holds_every_module_subpackages_included(self) -> None:
        sys.path.insert(0, os.path.join(PACKAGE_ROOT, "build_backend"))
        try:
            import picklejar_build
        finally:
            sys.path.pop(0)
        in_wheel = {name for name, _ in picklejar_build._package_files()}
        folder = os.path.join(PACKAGE_ROOT, "picklejar")
        on_disk = {os.path.relpath(os.path.join(d, n), PACKAGE_ROOT).replace(os.sep, "/")
                   for d, _, files in os.walk(folder) for n in files
                   if n.endswith(".py") or n == "py.typed"}
        self.assertIn("picklejar/_backends/postgres.py", on_disk)
        self.assertIn("picklejar/py.typed", on_disk)  # type checkers read the hints
        self.assertEqual(in_wheel, on_disk)

    def test_schema_is_the_documented_one(self) -> None:
        text = _read(REPO_ROOT, "docs", "FORMAT.md")
        start = text.index("\n## Schema\n")
        block = re.compile(r"```sql\n(.*?)```", re.S).search(text, start).group(1)
        documented = [" ".join(s.split()) for s in block.split(";") if s.strip()]
        ours = [" ".join(s.split()) for s in _format.SCHEMA]
        self.assertEqual(ours, documented)

    def test_application_id_is_pjar(self) -> None:
        self.assertEqual(_format.APPLICATION_ID.to_bytes(4, "big"), b"PJAR")
        self.assertIn(str(_format.APPLICATION_ID), _read(REPO_ROOT, "docs", "FORMAT.md"))


    def test_a_url_without_psycopg2_says_what_to_install(self) -> None:
        code = """
            import sys
            sys.modules["psycopg2"] = None  # absent, even where Debian's package is installed
            import picklejar
            try:
                picklejar.Session("postgresql://localhost/db?store=x")
            except picklejar.StoreError as e:
                print(e)
        """
        out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=child_env(),
                             capture_output=True, text=True, check=True, timeout=60).stdout
        self.assertIn("needs psycopg2 (Debian: python3-psycopg2", out)

    def test_readme_examples_run(self) -> None:
        for readme, heading in ((os.path.join(REPO_ROOT, "README.md"),
                                 "The same file from Python"),
                                (os.path.join(PACKAGE_ROOT, "README.md"), "# picklejar (Python)")):
            with self.subTest(readme), tempfile.TemporaryDirectory() as folder:
                text = _read(readme)
                code = re.compile(r"```python\n(.*?)```", re.S).search(
                    text, text.index(heading)).group(1)
                subprocess.run([sys.executable, "-c", code], cwd=folder, env=child_env(),
                               check=True, timeout=60)
                state = os.path.join(folder, "state.pj")
                counts = {name: value for name, value in
                          _entries(state).items() if name in ("launches", "runs", "count")}
                self.assertEqual(set(counts.values()), {1})
                self.assertEqual(meta(state)["revision"], 2)


def _entries(path: str) -> dict:
    with picklejar.Session(path, mode="read_only") as s:
        return dict(s)


if __name__ == "__main__":
    unittest.main()
