// docs/FORMAT.md against the library, through python3 and its standard library only: files
// the library writes are read by the doc's own read_session() example; files Python makes
// from the doc's schema and rules are opened, read and written by the library; and the
// schema the library creates is the doc's.

#include <doctest/doctest.h>

#include <cstdlib>
#include <span>
#include <string>

#include <picklejar/pickle.hpp>
#include <picklejar/session.hpp>

#include "python.hpp"
#include "session_support.hpp"

using picklejar::Session;
using picklejar::SessionOptions;
using picklejar::Value;
using picklejar::test::run_python;
using picklejar::test::ScratchDir;

namespace {

SessionOptions fast(std::optional<std::string> key = std::nullopt) {
  SessionOptions options;
  options.durability = picklejar::Durability::fast;
  options.integrity_key = std::move(key);
  return options;
}

// Python code defining doc(heading, language): the first ```language block after the line
// `heading` in docs/FORMAT.md ($PICKLEJAR_FORMAT_DOC).
const char* kDocBlocks = R"py(
import os, re
def doc(heading, language):
    text = open(os.environ["PICKLEJAR_FORMAT_DOC"], encoding="utf-8").read()
    start = text.index("\n" + heading + "\n")
    match = re.compile(r"```" + language + r"\n(.*?)```", re.S).search(text, start)
    return match.group(1)
)py";

// Python code that makes a session file at PATH by the doc alone: its schema, its meta rows,
// digests by its formula (the file's key derived from the key and its file_id), and the
// revision rules for one write of `entries` (a dict).
const char* kMakeByDoc = R"py(
import hashlib, hmac, os, pickle, sqlite3, struct, time
def digest(key, file_id, name, data):
    if key is None:
        return hashlib.sha256(data).digest()
    file_key = hmac.new(key, b"picklejar file key" + file_id, "sha256").digest()
    encoded = name.encode("utf-8")
    return hmac.new(file_key, struct.pack(">I", len(encoded)) + encoded + data, "sha256").digest()

def make_by_doc(path, entries, key=None, protocol=4):
    now = time.time_ns() // 1000
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("BEGIN IMMEDIATE")
    db.execute("PRAGMA application_id = 1347043666")
    db.execute("PRAGMA user_version = 2")
    for statement in doc("## Schema", "sql").split(";"):
        if statement.strip():
            db.execute(statement)
    key_id = None if key is None else hmac.new(key, b"picklejar key id", "sha256").digest()[:8].hex()
    file_id = os.urandom(16)
    meta = {"format_version": 2, "min_reader_version": 2, "app_schema_version": 0,
            "default_protocol": protocol, "revision": 0, "purged_revision": 0,
            "created_us": now, "modified_us": now, "created_by": "python-by-doc 1",
            "writer_name": "python-by-doc", "writer_version": "1", "writer_app": "test",
            "integrity_scheme": "sha256" if key is None else "hmac-sha256", "key_id": key_id,
            "file_id": file_id.hex()}
    db.executemany("INSERT INTO meta (name, value) VALUES (?, ?)", meta.items())
    db.execute("COMMIT")
    # One write transaction, as "Revisions: how writers write" says.
    db.execute("BEGIN IMMEDIATE")
    (revision,) = db.execute("SELECT value FROM meta WHERE name = 'revision'").fetchone()
    revision += 1
    for name, value in entries.items():
        data = pickle.dumps(value, protocol)
        db.execute("INSERT INTO entries (key, pickle, protocol, digest, revision, modified_us) "
                   "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET "
                   "pickle = excluded.pickle, protocol = excluded.protocol, "
                   "digest = excluded.digest, revision = excluded.revision, "
                   "modified_us = excluded.modified_us",
                   (name, data, protocol, digest(key, file_id, name, data), revision, now))
        db.execute("DELETE FROM tombstones WHERE key = ?", (name,))
    for name, value in [("revision", revision), ("modified_us", now)]:
        db.execute("UPDATE meta SET value = ? WHERE name = ?", (value, name))
    db.execute("COMMIT")
    db.close()
)py";

// A Python script: the helpers above, the doc's read_session(), PATH, then `body`.
std::string script(const std::filesystem::path& file, const std::string& body) {
  return std::string(kDocBlocks) + kMakeByDoc +
         "exec(doc(\"## Reading a session file from Python\", \"python\"))\n" + "PATH = r'" +
         file.string() + "'\n" + body;
}

// Values written from C++ and what Python must read for them.
void write_values(Session& s) {
  s.set("int", 42);
  s.set("big", Value::integer_from_decimal("-123456789012345678901234567890"));
  s.set("float", 1.5);
  s.set("str", "h\xc3\xa9llo \xe2\x9c\x93");
  s.set("bytes", Value::bytes(std::string("\x00\x01\xff", 3)));
  s.set("list", Value::list({1, Value("a"), Value(nullptr)}));
  s.set("tuple", Value::tuple({true, false}));
  s.set("dict", Value::dict({{Value("k"), Value::list({})}}));
  s.set("set", Value::set({1, 2}));
  s.set("frozenset", Value::frozenset({Value("x")}));
  s.set("typed", std::map<std::string, std::vector<int>>{{"sizes", {800, 600}}});
  s.set("\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87", "unicode key");
}
const char* kExpectedValues = R"py(
EXPECTED = {"int": 42, "big": -123456789012345678901234567890, "float": 1.5,
            "str": "h\u00e9llo \u2713", "bytes": b"\x00\x01\xff", "list": [1, "a", None],
            "tuple": (True, False), "dict": {"k": []}, "set": {1, 2},
            "frozenset": frozenset({"x"}), "typed": {"sizes": [800, 600]},
            "\u043a\u043b\u044e\u0447": "unicode key"}
)py";

}  // namespace

TEST_CASE("Session and Python: files the library writes are read by FORMAT.md's example") {
  ScratchDir dir;
  for (const bool keyed : {false, true}) {
    CAPTURE(keyed);
    const auto file = dir / (keyed ? "keyed.pj" : "plain.pj");
    {
      Session s(file, fast(keyed ? std::optional<std::string>("k3y") : std::nullopt));
      write_values(s);
      s.save();
      s.erase("int");
      s.save();
      s.set("int", 42);
      s.save();
    }
    const std::string out = run_python(script(file, std::string(kExpectedValues) + R"py(
key = b"k3y" if ")py" + (keyed ? "keyed" : "") + R"py(" else None
got = read_session(PATH, key)
assert got == EXPECTED, (got, EXPECTED)
db = sqlite3.connect(PATH)
types = dict(db.execute("SELECT name, typeof(value) FROM meta"))
assert all(types[n] == "integer" for n in ["format_version", "min_reader_version",
           "app_schema_version", "default_protocol", "revision", "purged_revision",
           "created_us", "modified_us"]), types
assert all(types[n] == "text" for n in ["created_by", "writer_name", "writer_version",
           "writer_app", "integrity_scheme", "file_id"]), types
meta = dict(db.execute("SELECT name, value FROM meta"))
assert meta["revision"] == 3 and meta["writer_name"] == "picklejar-cpp", meta
assert db.execute("SELECT revision FROM entries WHERE key = 'int'").fetchone() == (3,)
assert db.execute("SELECT revision FROM entries WHERE key = 'str'").fetchone() == (1,)
assert db.execute("SELECT count(*) FROM tombstones").fetchone() == (0,)
assert db.execute("SELECT DISTINCT protocol FROM entries").fetchall() == [(4,)]
if key is not None:
    assert meta["key_id"] == hmac.new(key, b"picklejar key id", "sha256").digest()[:8].hex()
print("ok")
)py"));
    CHECK(out == "ok\n");
  }
}

TEST_CASE("Session and Python: files made by FORMAT.md alone are the library's files") {
  ScratchDir dir;
  for (const bool keyed : {false, true}) {
    CAPTURE(keyed);
    const auto file = dir / (keyed ? "keyed.pj" : "plain.pj");
    const std::string key_literal = keyed ? "b'secret'" : "None";
    run_python(script(file, std::string(kExpectedValues) + "make_by_doc(PATH, EXPECTED, " +
                                key_literal + ", protocol=3)\n"));
    {
      Session s(file, fast(keyed ? std::optional<std::string>("secret") : std::nullopt));
      CHECK(s.file_info().writer == "python-by-doc 1");
      CHECK(s.file_info().revision == 1);
      CHECK(s.file_info().default_protocol == 3);
      CHECK(s.size() == 12);
      CHECK(s.get<int>("int") == 42);
      CHECK(s.get("big") == Value::integer_from_decimal("-123456789012345678901234567890"));
      CHECK(s.get("tuple") == Value::tuple({true, false}));
      CHECK(s.get<std::string>("\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87") == "unicode key");
      CHECK(s.entry_info("int")->protocol == 3);
      s.set("int", 43);  // written at the file's default protocol, 3
      s.erase("float");
      s.save();
    }
    const std::string out = run_python(script(file, std::string(kExpectedValues) + R"py(
key = )py" + key_literal + R"py(
EXPECTED["int"] = 43
del EXPECTED["float"]
assert read_session(PATH, key) == EXPECTED
db = sqlite3.connect(PATH)
meta = dict(db.execute("SELECT name, value FROM meta"))
assert meta["revision"] == 2 and meta["writer_name"] == "picklejar-cpp", meta
assert meta["created_by"] == "python-by-doc 1"
assert db.execute("SELECT revision, protocol FROM entries WHERE key = 'int'").fetchone() == (2, 3)
assert db.execute("SELECT revision FROM entries WHERE key = 'str'").fetchone() == (1,)
assert db.execute("SELECT key, revision FROM tombstones").fetchall() == [("float", 2)]
print("ok")
)py"));
    CHECK(out == "ok\n");
  }
}

TEST_CASE("Session and Python: the library creates FORMAT.md's schema and meta rows") {
  ScratchDir dir;
  { Session s(dir / "cpp.pj", fast()); }
  const std::string out = run_python(script(dir / "cpp.pj", R"py(
make_by_doc(PATH + ".doc", {})
def shape(path):
    db = sqlite3.connect(path)
    schema = db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name").fetchall()
    meta = db.execute("SELECT name, typeof(value) FROM meta ORDER BY name").fetchall()
    pragmas = [db.execute(f"PRAGMA {p}").fetchone() for p in ["application_id", "user_version", "journal_mode"]]
    return schema, meta, pragmas
cpp, by_doc = shape(PATH), shape(PATH + ".doc")
assert cpp == by_doc, (cpp, by_doc)
print("ok")
)py"));
  CHECK(out == "ok\n");
}

TEST_CASE("Session and Python: convert_protocol below 2 writes subclass instances Python loads") {
  // Instances of a dict and a list subclass as CPython writes them at protocols 2-5 (NEWOBJ
  // with SETITEMS/APPENDS): convert_protocol(0) must write copyreg._reconstructor(cls, dict,
  // {...}), which pickle.loads accepts, not _reconstructor(cls, object, None) + items, which it
  // refuses ("object.__new__(Registry) is not safe").
  const std::string module = R"py(
import pickle, sys, types
pjsub = types.ModuleType("pjsub")
exec("class Registry(dict): pass\nclass Tags(list): pass\n", pjsub.__dict__)
sys.modules["pjsub"] = pjsub
)py";
  const std::string made = run_python(module + R"py(
r = pjsub.Registry(a=1)
r.note = "attr"
sys.stdout.buffer.write(pickle.dumps(r, 2))
sys.stdout.buffer.write(pickle.dumps(pjsub.Tags([1, "two"]), 4))
)py");
  // Both pickles back to back: the first one's STOP tells where the second starts.
  const auto first = picklejar::load_prefix(std::as_bytes(std::span(made.data(), made.size())));
  const Value tags = picklejar::loads(std::string_view(made).substr(first.consumed));
  ScratchDir dir;
  const auto file = dir / "s.pj";
  Session s(file, fast());
  s.set("registry", first.value);
  s.set("tags", tags);
  // An int made by NEWOBJ (pickletester's bad_newobj) has no protocol 0-1 form: refused, and
  // nothing is written.
  s.set("int", Value::object(Value::global("builtins", "int"), Value::tuple(),
                             picklejar::ObjectForm::newobj));
  s.save();
  CHECK_THROWS_AS(s.convert_protocol(1), picklejar::EncodeError);
  CHECK(Session(file, fast()).file_info().default_protocol == 4);
  CHECK(Session(file, fast()).entry_info("registry")->protocol == 4);
  s.erase("int");
  s.save();
  s.convert_protocol(0);
  CHECK(s.entry_info("registry")->protocol == 0);
  CHECK(run_python(script(file, module + R"py(
got = read_session(PATH, None)
r = got["registry"]
assert type(r) is pjsub.Registry and r == {"a": 1} and r.note == "attr", r
assert type(got["tags"]) is pjsub.Tags and got["tags"] == [1, "two"], got["tags"]
print("ok")
)py")) == "ok\n");
}
