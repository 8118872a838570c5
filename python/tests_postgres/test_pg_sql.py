"""The package sends docs/FORMAT-POSTGRES.md's statements word for word, and the file path
never needs psycopg2."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
import unittest

from pg_support import REPO_ROOT, child_env

from picklejar._backends.postgres_sql import DOC

_BLOCK = re.compile(r"^ *```sql (\w+)\n(.*?)^ *```", re.S | re.M)


class StatementsTest(unittest.TestCase):
    def test_every_statement_is_the_page_s_block_of_that_name(self) -> None:
        with open(f"{REPO_ROOT}/docs/FORMAT-POSTGRES.md", encoding="utf-8") as f:
            page = {name: textwrap.dedent(sql) for name, sql in _BLOCK.findall(f.read())}
        for name, sql in DOC.items():
            with self.subTest(name):
                self.assertIn(name, page)
                self.assertEqual(sql, page[name])

    def test_importing_and_opening_a_file_never_imports_psycopg2(self) -> None:
        code = """
            import sys, tempfile, os
            import picklejar
            with picklejar.Session(os.path.join(tempfile.mkdtemp(), "s.pj")) as s:
                s["x"] = 1
                s.save()
                s.wait_for_change(0)
            print(sorted(m for m in sys.modules if m.split(".")[0] == "psycopg2"))
            print(sorted(m for m in sys.modules if "postgres" in m))
        """
        out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=child_env(),
                             capture_output=True, text=True, check=True).stdout
        self.assertEqual(out, "[]\n[]\n")
        # and a URL does import it: the check above can see an import
        code = """
            import sys, picklejar
            try:
                picklejar.Session("postgresql://?store=import-check").close()
            finally:
                print("psycopg2" in sys.modules)
        """
        out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=child_env(),
                             capture_output=True, text=True, check=True).stdout
        self.assertEqual(out, "True\n")


if __name__ == "__main__":
    unittest.main()
