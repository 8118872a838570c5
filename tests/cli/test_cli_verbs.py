#!/usr/bin/env python3
"""The command's own surface (issue 16 §6): --version, the unknown-verb message, the bash and
zsh completion scripts generated from the verbs' definitions, `rm --json`, `verify --json`,
and `set` refusing to change an entry's Python type without --force."""
import json
import os
import pickle
import re
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from test_cli_session_support import BIN, make_session, run  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.environ["PICKLEJAR_FORMAT_DOC"]))


class WindowGeometry:  # pickled as __main__.WindowGeometry, or this module's name
    def __init__(self, x, y):
        self.x, self.y = x, y


def verbs():
    """The verbs, from the unknown-command message."""
    result = run(["bogus"])
    return result.stderr.decode().split("the commands are: ")[1].strip().split(", ")


def long_options(verb):
    """The long options `VERB --help` lists (the option lines: "  -p,--protocol INT ...")."""
    lines = run([verb, "--help"]).stdout.decode().splitlines()
    return {m.group(1) for line in lines
            for m in [re.match(r"  (?:-\w,)?(--[a-z][a-z0-9-]*)", line)] if m}


class Surface(unittest.TestCase):
    def test_version_is_the_projects(self):
        with open(os.path.join(ROOT, "meson.build"), encoding="utf-8") as f:
            version = re.search(r"version: '([^']+)'", f.read()).group(1)
        result = run(["--version"])
        self.assertEqual((result.returncode, result.stdout.decode()), (0, f"picklejar {version}\n"))

    def test_unknown_verb_names_it_and_lists_the_verbs(self):
        result = run(["bogus", "x.pj"])
        self.assertEqual(result.returncode, 2)
        self.assertEqual(result.stdout, b"")
        self.assertIn("picklejar: unknown command 'bogus'", result.stderr.decode())
        for verb in ["dump", "dis", "get", "set", "rm", "verify", "export", "completion"]:
            self.assertIn(verb, verbs())
        help_text = run(["--help"]).stdout.decode()
        for verb in verbs():
            self.assertIn(verb, help_text)

    def complete(self, *words):
        script = run(["completion", "bash"]).stdout.decode()
        words_text = " ".join(f"'{w}'" for w in words)
        program = (f"{script}\nCOMP_WORDS=(picklejar {words_text}); COMP_CWORD={len(words)};"
                   " _picklejar; printf '%s\\n' \"${COMPREPLY[@]}\"")
        result = subprocess.run(["bash", "-c", program], capture_output=True, timeout=60,
                                cwd=tempfile.gettempdir())
        self.assertEqual(result.returncode, 0, result.stderr)
        return set(result.stdout.decode().split())

    def test_bash_completes_every_verb_and_every_option(self):
        self.assertEqual(self.complete(""), set(verbs()) | {"--help", "--version"})
        self.assertEqual(self.complete("ve"), {"verify"})
        for verb in verbs():
            with self.subTest(verb=verb):
                options = long_options(verb)
                self.assertTrue(options)
                self.assertLessEqual(options, self.complete(verb, "--"))
        self.assertEqual(self.complete("get", "--for"), {"--format"})

    def test_the_installed_scripts_are_the_generated_ones(self):
        """lib/cli/completion/meson.build installs what the command prints."""
        built = os.path.join(os.path.dirname(BIN), "completion")
        for shell, name in [("bash", "picklejar"), ("zsh", "_picklejar")]:
            with open(os.path.join(built, name), "rb") as f:
                self.assertEqual(f.read(), run(["completion", shell]).stdout)

    def test_zsh_script_names_every_verb_and_option(self):
        script = run(["completion", "zsh"]).stdout.decode()
        self.assertTrue(script.startswith("#compdef picklejar\n"))
        for verb in verbs():
            case = re.search(rf"^    {re.escape(verb)}\) _arguments(.*);;$", script, re.M)
            self.assertIsNotNone(case, verb)
            for option in long_options(verb) - {"--help"}:
                self.assertIn(f"'{option}", case.group(1), (verb, option))


class SessionVerbs(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.file = os.path.join(tmp.name, "s.pj")

    def ok(self, *args):
        result = run(args)
        self.assertEqual((result.returncode, result.stderr.decode()), (0, ""))
        return result.stdout.decode()

    def test_rm_json_lists_removed_and_missing_keys(self):
        make_session(self.file, {"a": pickle.dumps(1), "b": pickle.dumps(2)})
        out = self.ok("rm", "--json", "--force", self.file, "a", "zz")
        self.assertEqual(json.loads(out), {"removed": ["a"], "missing": ["zz"]})
        result = run(["rm", "--json", self.file, "b", "zz"])
        self.assertEqual((result.returncode, result.stdout), (1, b""))
        self.assertEqual(json.loads(self.ok("rm", "--json", self.file, "b")),
                         {"removed": ["b"], "missing": []})

    def test_verify_json(self):
        make_session(self.file, {"a": pickle.dumps([1]), "b": pickle.dumps("x")})
        self.assertEqual(json.loads(self.ok("verify", "--json", self.file)),
                         {"file": self.file, "ok": True, "entries": 2, "bad_entries": 0,
                          "database_ok": True, "problems": []})
        import sqlite3
        db = sqlite3.connect(self.file)
        db.execute("UPDATE entries SET pickle = ? WHERE key = 'b'", (pickle.dumps("y"),))
        db.commit()
        db.close()
        result = run(["verify", "--json", self.file])
        self.assertEqual(result.returncode, 4)
        report = json.loads(result.stdout)
        self.assertEqual((report["ok"], report["bad_entries"], len(report["problems"])),
                         (False, 1, 1))
        self.assertIn("'b'", report["problems"][0])

    def test_set_refuses_to_change_the_python_type_without_force(self):
        make_session(self.file, {"window": pickle.dumps(WindowGeometry(10, 20), 4),
                                 "count": pickle.dumps(3), "pair": pickle.dumps((1, 2))})
        before = self.ok("get", self.file, "window")
        for key, text, old, new in [("window", '{"x": 10, "y": 20}', "WindowGeometry", "a dict"),
                                    ("count", "true", "a int", "a bool"),
                                    ("pair", "[1, 2]", "a tuple", "a list")]:
            with self.subTest(key=key):
                result = run(["set", self.file, key, "--json", text])
                self.assertEqual(result.returncode, 1)
                message = result.stderr.decode()
                self.assertIn(f"key '{key}' holds", message)
                self.assertIn(old, message)
                self.assertIn(new, message)
                self.assertIn("--force", message)
        self.assertEqual(self.ok("get", self.file, "window"), before)
        self.ok("set", self.file, "count", "--json", "4")  # same type: fine
        self.ok("set", self.file, "new", "--json", "[]")   # a new key: fine
        self.ok("set", "--force", self.file, "window", "--json", '{"x": 1}')
        self.assertEqual(self.ok("get", self.file, "window"), "{'x': 1}\n")


if __name__ == "__main__":
    unittest.main()
