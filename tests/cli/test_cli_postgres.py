#!/usr/bin/env python3
"""The command on stores of a PostgreSQL server (issue 17 §7): every session verb with a
postgresql:// URL where it takes FILE, `picklejar copy` between files and stores (compared
per entry with sqlite3 and psycopg2, past the library), `stores` and `delete-store`, and no
password ever printed.

Runs against the private server scripts/test starts (scripts/pg-server: PGHOST, PGPORT,
PGUSER, PGPASSFILE); without one the suite fails, never skips. It works in a database of its
own, dropped at the end, and in a scratch directory that must never get a file named after a
URL."""
import contextlib
import datetime
import json
import os
import pickle
import sqlite3
import sys
import tempfile
import unittest

import psycopg2

sys.path.insert(0, os.path.dirname(__file__))
from test_cli_session_support import digest, key_id, make_session, rows, run  # noqa: E402

DATABASE = f"pj_cli_{os.getpid()}"
KEY = b"the integrity key\n"
_counter = [0]


def admin(statement):
    """A statement outside a transaction (CREATE DATABASE, ...), over the socket."""
    conn = psycopg2.connect(dbname=os.environ.get("PGDATABASE", "postgres"))
    try:
        conn.autocommit = True
        conn.cursor().execute(statement)
    finally:
        conn.close()


def setUpModule():
    if not os.environ.get("PGHOST") or not os.environ.get("PGPORT"):
        raise RuntimeError("no PostgreSQL server: run scripts/test, or first "
                           'eval "$(scripts/pg-server start)"')
    admin(f"CREATE DATABASE {DATABASE}")  # a name of our own, not data


def tearDownModule():
    admin(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


def password():
    """The cluster's password over TCP (scripts/pg-server keeps it in PGPASSFILE)."""
    with open(os.environ["PGPASSFILE"], encoding="utf-8") as f:
        return f.readline().rstrip("\n").rsplit(":", 1)[1]


def database_url(database=DATABASE, with_password=False):
    """Over TCP to 127.0.0.1 (libpq takes the password from PGPASSFILE unless it is given)."""
    who = f"picklejar:{password()}@" if with_password else ""
    return f"postgresql://{who}127.0.0.1:{os.environ['PGPORT']}/{database}"


def shown(database=DATABASE):
    """A URL as the command shows it: no password."""
    return f"postgresql://127.0.0.1:{os.environ['PGPORT']}/{database}"


def unique(base):
    _counter[0] += 1
    return f"{base}-{os.getpid()}-{_counter[0]}"


def store_url(name, **kwargs):
    return f"{database_url(**kwargs)}?store={name}"


def db():
    conn = psycopg2.connect(dbname=DATABASE)
    conn.autocommit = True
    return contextlib.closing(conn)


def store_rows(name):
    """{key: (pickle, protocol, digest)} of a store, read with psycopg2 (None: no store)."""
    with db() as conn:
        cur = conn.cursor()
        cur.execute("SELECT store_id FROM picklejar.store WHERE name = %s", (name,))
        if cur.fetchone() is None:
            return None
        cur.execute("SELECT e.key, e.pickle, e.protocol, e.digest FROM picklejar.entry e "
                    "JOIN picklejar.store s USING (store_id) WHERE s.name = %s", (name,))
        return {bytes(k).decode("utf-8"): (bytes(p), n, bytes(d)) for k, p, n, d in cur}


def store_meta(name):
    with db() as conn:
        cur = conn.cursor()
        cur.execute("SELECT app_schema_version, default_protocol, integrity_scheme, key_id, "
                    "revision, modified_us, encode(file_id, 'hex') FROM picklejar.store "
                    "WHERE name = %s", (name,))
        row = cur.fetchone()
    keys = ("app_schema_version", "default_protocol", "integrity_scheme", "key_id", "revision",
            "modified_us", "file_id")
    return dict(zip(keys, row)) if row else None


def file_rows(path):
    """{key: (pickle, protocol, digest)} of a session file, read with sqlite3."""
    return {k: (bytes(r[0]), r[1], bytes(r[2])) for k, r in rows(path).items()}


def file_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def file_meta(path):
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        m = dict(conn.execute("SELECT name, value FROM meta"))
    return {"app_schema_version": int(m["app_schema_version"]),
            "default_protocol": int(m["default_protocol"]),
            "integrity_scheme": m["integrity_scheme"], "key_id": m["key_id"],
            "file_id": m.get("file_id")}


def tamper_store(name, key):
    """Flips the last byte of the entry's stored pickle, leaving its digest."""
    with db() as conn:
        conn.cursor().execute(
            "UPDATE picklejar.entry SET pickle = set_byte(pickle, length(pickle) - 1, "
            "get_byte(pickle, length(pickle) - 1) # 1) WHERE key = convert_to(%s, 'UTF8') AND "
            "store_id = (SELECT store_id FROM picklejar.store WHERE name = %s)", (key, name))


PICKLES = {
    "counter": (pickle.dumps(41, 2), 2),
    "window": (pickle.dumps({"x": 10, "size": (640, 480)}, 4), 4),
    "\u00e9t\u00e9 \U0001f389": (pickle.dumps("caf\u00e9" * 300, 5), 5),
    "nul\x00key": (pickle.dumps([1.5, None, b"\x00\xff"], 0), 0),
}


class Scratch(unittest.TestCase):
    """Each test in a scratch directory of its own, which must end without any file named
    after a URL (postgresql:...) in it."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="pj-cli-pg-")
        self.old_cwd = os.getcwd()
        os.chdir(self.dir)
        self.addCleanup(os.chdir, self.old_cwd)
        with open("app.key", "wb") as f:
            f.write(KEY)
        with open("other.key", "wb") as f:
            f.write(b"another key")

    def tearDown(self):
        self.assertEqual([n for n in os.listdir(self.dir) if n.startswith("postgres")], [])

    def path(self, name):
        return os.path.join(self.dir, name)

    def keyed_file(self, name="source.pj"):
        """A session file made by FORMAT.md alone, signed with KEY, app schema version 3 and
        default protocol 2."""
        path = self.path(name)
        make_session(path, PICKLES, key=KEY, protocol=2)
        with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as conn:
            conn.execute("UPDATE meta SET value = 3 WHERE name = 'app_schema_version'")
        return path

    def ok(self, args, data=None):
        result = run(args, data)
        self.assertEqual(result.returncode, 0, result)
        return result.stdout.decode("utf-8")


class CopyTest(Scratch):
    def test_file_to_server_to_file_keeps_every_pickle_protocol_and_digest(self):
        source = self.keyed_file()
        name = unique("round-trip")
        out = self.ok(["copy", "--key-file", "app.key", source, store_url(name)])
        self.assertEqual(out, f"{source} -> {shown()}?store={name}: 4 entries copied (app schema "
                              "version 3, default protocol 2, hmac-sha256), revision 1\n")
        self.assertEqual(store_rows(name), file_rows(source))
        meta = store_meta(name)
        self.assertEqual(meta["file_id"], file_meta(source)["file_id"])  # the copy takes it
        for key, (data, _, stored) in store_rows(name).items():
            self.assertEqual(stored, digest(KEY, key, data, meta["file_id"]))  # FORMAT.md's
        self.assertEqual((meta["app_schema_version"], meta["default_protocol"],
                          meta["integrity_scheme"], meta["key_id"]),
                         (3, 2, "hmac-sha256", key_id(KEY)))
        back = self.path("back.pj")
        self.ok(["copy", "--key-file", "app.key", store_url(name), back])
        self.assertEqual(file_rows(back), file_rows(source))
        self.assertEqual(file_meta(back), file_meta(source))
        self.assertEqual(json.loads(self.ok(["get", "--key-file", "app.key", "--format", "json",
                                             back, "window"])),
                         {"x": 10, "size": {"$tuple": [640, 480]}})

    def test_server_to_server_and_file_to_file(self):
        source = self.keyed_file()
        first, second = unique("first"), unique("second")
        self.ok(["copy", "--key-file", "app.key", source, store_url(first)])
        self.ok(["copy", "--key-file", "app.key", store_url(first), store_url(second)])
        self.assertEqual(store_rows(second), file_rows(source))
        self.ok(["copy", "--key-file", "app.key", source, self.path("copy.pj")])
        self.assertEqual(file_rows(self.path("copy.pj")), file_rows(source))

    def test_a_tampered_entry_stops_the_copy_and_leaves_the_destination(self):
        source = self.keyed_file()
        with contextlib.closing(sqlite3.connect(source, isolation_level=None)) as conn:
            data = conn.execute("SELECT pickle FROM entries WHERE key = 'window'").fetchone()[0]
            conn.execute("UPDATE entries SET pickle = ? WHERE key = 'window'",
                         (data[:-1] + bytes([data[-1] ^ 1]),))
        name = unique("never-made")
        result = run(["copy", "--key-file", "app.key", source, store_url(name)])
        self.assertEqual(result.returncode, 4, result)
        self.assertIn("integrity check failed for key 'window'", result.stderr.decode())
        self.assertIsNone(store_rows(name))  # not even created
        # A store whose bytea was changed: an existing destination stays as it was.
        good = self.keyed_file("good.pj")
        tampered = unique("tampered")
        self.ok(["copy", "--key-file", "app.key", good, store_url(tampered)])
        tamper_store(tampered, "counter")
        destination = self.path("destination.pj")
        make_session(destination, {"mine": pickle.dumps(1)}, key=KEY)
        before = file_rows(destination), file_bytes(destination)
        result = run(["copy", "--replace", "--key-file", "app.key", store_url(tampered),
                      destination])
        self.assertEqual(result.returncode, 4, result)
        self.assertIn("integrity check failed for key 'counter'", result.stderr.decode())
        self.assertEqual((file_rows(destination), file_bytes(destination)), before)
        other = unique("other")
        self.ok(["copy", "--key-file", "app.key", good, store_url(other)])
        before = store_rows(other), store_meta(other)
        result = run(["copy", "--replace", "--key-file", "app.key", store_url(tampered),
                      store_url(other)])
        self.assertEqual(result.returncode, 4, result)
        self.assertEqual((store_rows(other), store_meta(other)), before)

    def test_an_hmac_store_needs_its_key(self):
        name = unique("keyed")
        self.ok(["copy", "--key-file", "app.key", self.keyed_file(), store_url(name)])
        for args in (["copy", store_url(name), self.path("plain.pj")],
                     ["copy", "--key-file", "other.key", store_url(name), self.path("other.pj")],
                     ["ls", store_url(name)], ["get", store_url(name), "counter"]):
            with self.subTest(args[0]):
                result = run(args)
                self.assertEqual(result.returncode, 4, result)
                self.assertIn("key", result.stderr.decode())
        self.assertFalse(os.path.exists(self.path("plain.pj")))
        self.assertFalse(os.path.exists(self.path("other.pj")))
        # A destination of another key (or none) is refused too, and left as it was.
        plain = unique("plain")
        self.ok(["set", store_url(plain), "x", "--json", "1"])
        result = run(["copy", "--replace", "--key-file", "app.key", store_url(name),
                      store_url(plain)])
        self.assertEqual(result.returncode, 4, result)
        self.assertEqual(list(store_rows(plain)), ["x"])

    def test_a_destination_with_entries_is_replaced_only_when_asked(self):
        source = self.keyed_file()
        name = unique("occupied")
        self.ok(["set", "--key-file", "app.key", store_url(name), "mine", "--json", "1"])
        before = store_rows(name)
        result = run(["copy", "--key-file", "app.key", source, store_url(name)])
        self.assertEqual(result.returncode, 1, result)
        self.assertIn("it holds 1 entry", result.stderr.decode())
        self.assertIn("--replace", result.stderr.decode())
        self.assertEqual(store_rows(name), before)
        self.ok(["copy", "--replace", "--key-file", "app.key", source, store_url(name)])
        self.assertEqual(store_rows(name), file_rows(source))  # "mine" is gone


class VerbsTest(Scratch):
    def test_reading_verbs(self):
        name = unique("read")
        url = store_url(name)
        self.ok(["copy", "--key-file", "app.key", self.keyed_file(), url])
        k = ["--key-file", "app.key"]
        self.assertEqual(self.ok(["ls"] + k + [url]).splitlines(),
                         ["counter", "nul\\x00key", "window", "\u00e9t\u00e9 \U0001f389"])
        listed = json.loads(self.ok(["ls", "--json"] + k + [url]))
        self.assertEqual([(e["key"], e["protocol"]) for e in listed],
                         [("counter", 2), ("nul\x00key", 0), ("window", 4),
                          ("\u00e9t\u00e9 \U0001f389", 5)])
        self.assertIn("  p2  ", self.ok(["ls", "--long"] + k + [url]))
        self.assertEqual(self.ok(["get"] + k + [url, "window"]), "{'x': 10, 'size': (640, 480)}\n")
        pickled = run(["get", "--format", "pickle"] + k + [url, "counter"])
        self.assertEqual(pickled.stdout, PICKLES["counter"][0])
        info = json.loads(self.ok(["info", "--json"] + k + [url]))
        self.assertEqual(info["store"], f"postgresql://picklejar@127.0.0.1:"
                                        f"{os.environ['PGPORT']}/{DATABASE}?store={name}")
        self.assertEqual((info["entries"], info["app_schema_version"], info["default_protocol"],
                          info["journal_mode"], info["key_id"]),
                         (4, 3, 2, "postgresql", key_id(KEY)))
        self.assertNotIn("file_bytes", info)
        self.assertIn("store:              postgresql://picklejar@", self.ok(["info"] + k + [url]))
        self.assertEqual(self.ok(["verify"] + k + [url]),
                         f"{shown()}?store={name}: 4 entries, 0 bad; a store: its database is "
                         "the server's to check\n")
        report = json.loads(self.ok(["verify", "--json", "--strict"] + k + [url]))
        self.assertEqual((report["ok"], report["entries"], report["database_ok"]), (True, 4, None))
        document = json.loads(self.ok(["export"] + k + [url]))
        self.assertEqual(document["entries"]["counter"], 41)
        self.ok(["export", "-o", "out.json"] + k + [url])
        self.assertEqual(os.stat("out.json").st_mode & 0o777, 0o600)

    def test_verify_finds_a_tampered_bytea(self):
        name = unique("verify")
        self.ok(["copy", "--key-file", "app.key", self.keyed_file(), store_url(name)])
        tamper_store(name, "window")
        result = run(["verify", "--key-file", "app.key", store_url(name)])
        self.assertEqual(result.returncode, 4, result)
        self.assertIn("integrity check failed for key 'window'", result.stdout.decode())
        self.assertIn("1 bad", result.stdout.decode())

    def test_writing_verbs(self):
        name = unique("write")
        url = store_url(name)
        self.ok(["set", "--schema-version", "5", url, "a", "--json", "[1, 2]"])
        self.assertEqual(store_meta(name)["app_schema_version"], 5)
        result = run(["set", "--schema-version", "6", url, "b", "--json", "1"])
        self.assertEqual(result.returncode, 1, result)
        self.assertIn("has app schema version 5, not 6", result.stderr.decode())
        self.ok(["set", url, "b", "--json", "2"])
        self.ok(["rm", url, "a"])
        self.assertEqual(list(store_rows(name)), ["b"])
        self.assertEqual(run(["rm", url, "a"]).returncode, 1)
        self.assertEqual(self.ok(["convert-protocol", url, "0"]),
                         f"{shown()}?store={name}: 1 entry re-encoded with pickle protocol 0, "
                         "now the file's default protocol\n")
        self.assertEqual(store_rows(name)["b"][1], 0)
        self.assertEqual(self.ok(["upgrade", url]),
                         f"{shown()}?store={name}: store format version 2 is current; nothing "
                         "to do\n")
        self.assertIn("signed with key id", self.ok(["rekey", url, "--new-key-file", "app.key"]))
        self.assertEqual(store_meta(name)["key_id"], key_id(KEY))
        self.assertEqual(self.ok(["get", "--key-file", "app.key", url, "b"]), "2\n")
        self.ok(["rekey", url, "--old-key-file", "app.key"])
        self.assertEqual(store_meta(name)["integrity_scheme"], "sha256")
        # import: into a new store, and a failed import leaves no store behind
        with open("doc.json", "w", encoding="utf-8") as f:
            json.dump({"picklejar_export": 1, "app_schema_version": 2, "default_protocol": 3,
                       "entries": {"k": {"$tuple": [1]}}}, f)
        imported = unique("imported")
        self.ok(["import", store_url(imported), "doc.json"])
        self.assertEqual((store_meta(imported)["app_schema_version"],
                          store_meta(imported)["default_protocol"], store_rows(imported)["k"][1]),
                         (2, 3, 3))
        with open("bad.json", "w", encoding="utf-8") as f:
            f.write('{"picklejar_export": 1, "entries": {"' + "k" * 3000 + '": 1}}')
        failed = unique("failed-import")
        result = run(["import", store_url(failed), "bad.json"])
        self.assertEqual(result.returncode, 1, result)
        self.assertIn("2048 bytes", result.stderr.decode())
        self.assertIsNone(store_rows(failed))  # the store it created is gone again

    def test_file_only_verbs_and_options_refuse_a_store_by_name(self):
        name = unique("files-only")
        url = store_url(name)
        self.ok(["set", url, "x", "--json", "1"])
        cases = [
            (["backup", url, "b.pj"], "backup", "picklejar copy"),
            (["backup", self.keyed_file(), url], "backup", "picklejar copy"),
            (["restore", url, "b.pj"], "restore", "picklejar copy --replace"),
            (["restore", self.path("source.pj"), url], "restore", "picklejar copy --replace"),
            (["restore", "--list", url], "restore", "restore puts back"),
            (["vacuum", url], "vacuum", "autovacuum"),
            (["set", "--file-mode", "600", url, "y", "--json", "1"], "set", "--file-mode"),
            (["ls", "--follow-symlinks", url], "ls", "--follow-symlinks"),
            (["export", "--key-file", "app.key", self.path("source.pj"), "-o", url], "export",
             "is a store"),
        ]
        for args, verb, hint in cases:
            with self.subTest(args=args):
                result = run(args)
                self.assertEqual((result.returncode, result.stdout), (1, b""), result)
                err = result.stderr.decode()
                self.assertTrue(err.startswith(f"picklejar {verb}: "), err)
                self.assertIn(f"?store={name}'", err)
                self.assertIn(hint, err)
        self.assertEqual(list(store_rows(name)), ["x"])


class StoresTest(Scratch):
    def setUp(self):
        super().setUp()
        self.database = f"{DATABASE}_{self._testMethodName[5:20]}"
        admin(f"CREATE DATABASE {self.database}")
        self.addCleanup(admin, f"DROP DATABASE {self.database} WITH (FORCE)")

    def test_stores_lists_every_store_in_code_point_order(self):
        url = database_url(self.database)
        self.assertEqual(self.ok(["stores", url]), "")  # no tables: no stores, none made
        self.assertEqual(json.loads(self.ok(["stores", "--json", url])), [])
        for name in ["b", "a", "Z", "%C3%A9", "a%20b"]:
            self.ok(["set", f"{url}?store={name}", "x", "--json", "1"])
        self.ok(["copy", "--key-file", "app.key", self.keyed_file(), f"{url}?store=keyed"])
        self.ok(["set", f"{url}?store=b", "y", "--json", "2"])
        listed = json.loads(self.ok(["stores", "--json", url]))
        self.assertEqual([s["name"] for s in listed], ["Z", "a", "a b", "b", "keyed", "\u00e9"])
        conn = psycopg2.connect(dbname=self.database)
        with contextlib.closing(conn):
            cur = conn.cursor()
            cur.execute("SELECT name, format_version, revision, modified_us, integrity_scheme "
                        "FROM picklejar.store")
            expected = {}
            for name, version, revision, modified_us, scheme in cur:
                modified = datetime.datetime(1970, 1, 1) + datetime.timedelta(
                    microseconds=modified_us)
                expected[name] = {"name": name, "format_version": version, "revision": revision,
                                  "modified": modified.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                                  "integrity_scheme": scheme}
        self.assertEqual(listed, [expected[s["name"]] for s in listed])
        lines = self.ok(["stores", url]).splitlines()
        self.assertEqual(len(lines), 6)
        b = expected["b"]
        self.assertEqual(lines[3], f"{b['revision']:>10}  {b['modified'][:19]}Z  sha256       b")
        self.assertIn("  hmac-sha256  keyed", lines[4])
        result = run(["stores", f"{url}?store=a"])
        self.assertEqual(result.returncode, 1, result)
        self.assertIn("names a database, without ?store=NAME", result.stderr.decode())

    def test_delete_store_removes_the_store_and_its_entries(self):
        url = database_url(self.database)
        self.ok(["set", f"{url}?store=doomed", "x", "--json", "1"])
        self.ok(["set", f"{url}?store=kept", "x", "--json", "1"])
        self.assertEqual(self.ok(["delete-store", f"{url}?store=doomed"]),
                         f"{shown(self.database)}?store=doomed: deleted\n")
        self.assertEqual([s["name"] for s in json.loads(self.ok(["stores", "--json", url]))],
                         ["kept"])
        conn = psycopg2.connect(dbname=self.database)
        with contextlib.closing(conn):
            cur = conn.cursor()
            cur.execute("SELECT count(*) FROM picklejar.entry")
            self.assertEqual(cur.fetchone()[0], 1)
        result = run(["delete-store", f"{url}?store=doomed"])
        self.assertEqual(result.returncode, 1, result)
        self.assertIn("no such store", result.stderr.decode())
        self.assertEqual(self.ok(["delete-store", "--missing-ok", f"{url}?store=doomed"]),
                         f"{shown(self.database)}?store=doomed: no such store; nothing deleted\n")

    def test_delete_store_waits_for_the_lock_then_exits_3(self):
        url = database_url(self.database)
        self.ok(["set", f"{url}?store=busy", "x", "--json", "1"])
        conn = psycopg2.connect(dbname=self.database)
        with contextlib.closing(conn):
            cur = conn.cursor()
            cur.execute("SELECT 1 FROM picklejar.store WHERE name = 'busy' FOR UPDATE")
            result = run(["delete-store", "--timeout", "200", f"{url}?store=busy"])
            self.assertEqual(result.returncode, 3, result)
            self.assertIn("?store=busy", result.stderr.decode())
            result = run(["set", "--timeout", "200", f"{url}?store=busy", "y", "--json", "1"])
            self.assertEqual(result.returncode, 3, result)
            conn.rollback()
        self.ok(["delete-store", f"{url}?store=busy"])


class PasswordTest(Scratch):
    def test_no_verb_ever_prints_the_password(self):
        secret = password()
        name = unique("secret")
        url = store_url(name, with_password=True)
        wrong = url.replace(secret, "Wr0ngPassw0rd")
        source = self.keyed_file()
        k = ["--key-file", "app.key"]
        runs = [
            (["copy"] + k + [source, url], 0), (["ls"] + k + [url], 0),
            (["ls", "--json"] + k + [url], 0), (["get"] + k + [url, "window"], 0),
            (["get"] + k + [url, "missing"], 1), (["info"] + k + [url], 0),
            (["info", "--json"] + k + [url], 0), (["verify"] + k + [url], 0),
            (["verify", "--json"] + k + [url], 0), (["export"] + k + [url], 0),
            (["set"] + k + [url, "n", "--json", "1"], 0), (["rm"] + k + [url, "nope"], 1),
            (["upgrade"] + k + [url], 0), (["convert-protocol"] + k + [url, "3"], 0),
            (["copy"] + k + [url, self.path("back.pj")], 0), (["copy"] + k + [source, url], 1),
            (["backup", url, "x.pj"], 1), (["vacuum", url], 1), (["ls", url], 4),
            (["ls", "--file-mode", "600", url], 1), (["ls", "--key-file", "none.key", url], 1),
            (["stores", database_url(with_password=True)], 0),
            (["stores", store_url(name, with_password=True)], 1),
            (["ls", wrong], 1), (["copy"] + k + [source, wrong], 1), (["stores", wrong.split("?")[0]], 1),
            (["delete-store", wrong], 1),
            (["delete-store", url], 0), (["delete-store", url], 1),
        ]
        for args, status in runs:
            with self.subTest(args=args[:2]):
                result = run(args)
                self.assertEqual(result.returncode, status, result)
                output = result.stdout + result.stderr
                self.assertNotIn(secret.encode(), output)
                self.assertNotIn(b"Wr0ngPassw0rd", output)
                if status != 0:
                    self.assertIn(b"postgresql://picklejar@127.0.0.1:", result.stderr)
        self.assertIsNone(store_rows(name))  # deleted by the last runs


if __name__ == "__main__":
    unittest.main()
