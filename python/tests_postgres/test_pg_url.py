"""Naming a store (docs/FORMAT-POSTGRES.md "Naming a store: the URL"): the store parameter
taken out, the rest of the URL handed to libpq as it is, the URL shown without its password;
and the package's statements are only the page's."""

from __future__ import annotations

import os
import re
import unittest

from pg_support import PACKAGE_ROOT, execute, unique

from picklejar import Session
from picklejar._backends.postgres_url import parse


class UrlTest(unittest.TestCase):
    def test_the_store_is_taken_out_and_the_rest_kept(self) -> None:
        url = parse("postgresql://ada:s3cret@db.example:5433/state?sslmode=require"
                    "&store=caf%C3%A9+%2F1&connect_timeout=5")
        self.assertEqual(url.name, "café+/1")  # percent-decoded; "+" is a plus
        self.assertEqual(url.dsn, "postgresql://ada:s3cret@db.example:5433/state?"
                                  "sslmode=require&connect_timeout=5")
        self.assertEqual(url.shown, "postgresql://ada@db.example:5433/state?store=caf%C3%A9%2B%2F1")
        self.assertNotIn("s3cret", url.shown)
        self.assertEqual(parse("postgres:///db?store=x").dsn, "postgres:///db")
        self.assertEqual(parse("postgresql://[::1]:5432/db?store=x").shown,
                         "postgresql://[::1]:5432/db?store=x")
        self.assertEqual(parse("postgresql://?store=x&host=%2Ftmp").dsn,
                         "postgresql://?host=%2Ftmp")

    def test_a_file_name_that_looks_like_a_url_is_a_file_written_as_a_path(self) -> None:
        folder = os.path.join(os.environ.get("TMPDIR", "/tmp"), unique("url-like"))
        os.makedirs(folder)
        try:
            path = os.path.join(folder, "postgresql:x")
            with Session(path) as s:
                s["a"] = 1
            self.assertTrue(os.path.isfile(path))
        finally:
            for name in os.listdir(folder):
                os.unlink(os.path.join(folder, name))
            os.rmdir(folder)

    def test_libpq_parameters_in_the_url_reach_the_server(self) -> None:
        name = unique("libpq")
        with Session(f"postgresql://?application_name=pj-url-test&store={name}") as s:
            backend = s._state.store.conn.info.backend_pid
            rows = execute("SELECT application_name FROM pg_stat_activity WHERE pid = %s",
                           (backend,))
        self.assertEqual(rows, [("pj-url-test",)])


class ParameterizedTest(unittest.TestCase):
    def test_every_statement_sent_is_one_of_the_page_s(self) -> None:
        folder = os.path.join(PACKAGE_ROOT, "picklejar", "_backends")
        sent = 0
        for name in sorted(os.listdir(folder)):
            if not name.startswith("postgres") or not name.endswith(".py"):
                continue
            with open(os.path.join(folder, name), encoding="utf-8") as f:
                text = f.read()
            for call in re.finditer(r"\b(execute|execute_batch)\((.*?)[,)]", text):
                sent += 1
                argument = call.group(2).strip()
                if call.group(1) == "execute_batch":
                    argument = text[call.end():].split(",")[0].strip()
                with self.subTest(file=name, call=call.group(0)):
                    self.assertRegex(argument, r'^(SQL\[("\w+"|begin)\]|"(COMMIT|ROLLBACK)"'
                                               r'|"COMMIT" if self\.wrote else "ROLLBACK")$')
        self.assertGreater(sent, 15)


if __name__ == "__main__":
    unittest.main()
