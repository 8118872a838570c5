// File format 2: every HMAC digest is bound to the file's id (docs/FORMAT.md "Integrity"), so
// a row of another file signed with the same key no longer verifies; format-1 files are
// upgraded at a writable open; rekey, backups and restores keep the rules. Format-1 files
// are made by python3's sqlite3/hmac alone, as a format-1 writer would have left them.

#include <doctest/doctest.h>

#include <fmt/format.h>

#include <string>

#include <picklejar/pickle.hpp>
#include <picklejar/session.hpp>

#include "python.hpp"
#include "session_support.hpp"
#include "store/integrity.hpp"

using picklejar::FormatError;
using picklejar::IntegrityError;
using picklejar::OpenMode;
using picklejar::Session;
using picklejar::SessionOptions;
using picklejar::Value;
using picklejar::test::RawDb;
using picklejar::test::ScratchDir;

namespace {

SessionOptions with_key(std::optional<std::string> key, OpenMode mode = OpenMode::create) {
  SessionOptions options = picklejar::test::fast(mode);
  options.integrity_key = std::move(key);
  return options;
}

std::string hex(const std::string& bytes) {
  std::string out;
  for (const char c : bytes) out += fmt::format("{:02x}", static_cast<unsigned char>(c));
  return out;
}

std::string digest_of(const std::filesystem::path& file, const std::string& key) {
  return hex(RawDb(file).blob("SELECT digest FROM entries WHERE key = '" + key + "'"));
}

std::int64_t revision_of(const std::filesystem::path& file, const std::string& key) {
  return RawDb(file).integer("SELECT revision FROM entries WHERE key = '" + key + "'");
}

// Rewrites the closed session file `file` as format 1 wrote it, with python3's standard
// library only: user_version and the version rows 1, no file_id row, and every digest made by
// format 1's rule (HMAC keyed with the key itself). `damaged` keys get a digest that does not
// verify.
void make_format1(const std::filesystem::path& file, const std::optional<std::string>& key,
                  const std::string& damaged = "") {
  picklejar::test::run_python(
      "import hashlib, hmac, sqlite3, struct\n"
      "KEY = " +
      (key ? "b'" + *key + "'" : std::string("None")) + "\nPATH = r'" + file.string() +
      "'\nDAMAGED = '" + damaged + "'\n" + R"py(
db = sqlite3.connect(PATH, isolation_level=None)
db.execute("BEGIN IMMEDIATE")
db.execute("PRAGMA user_version = 1")
db.execute("UPDATE meta SET value = 1 WHERE name IN ('format_version', 'min_reader_version')")
db.execute("DELETE FROM meta WHERE name = 'file_id'")
for name, data in db.execute("SELECT key, pickle FROM entries").fetchall():
    encoded = name.encode("utf-8")
    if KEY is None:
        digest = hashlib.sha256(data).digest()
    else:
        digest = hmac.new(KEY, struct.pack(">I", len(encoded)) + encoded + data, "sha256").digest()
    if name == DAMAGED:
        digest = bytes(32)
    db.execute("UPDATE entries SET digest = ? WHERE key = ?", (digest, name))
db.execute("COMMIT")
db.close()
)py");
}

IntegrityError integrity_error(const Session& s, const std::string& key) {
  try {
    (void)s.find(key);
  } catch (const IntegrityError& e) {
    return e;
  }
  FAIL("no IntegrityError for " << key);
  return IntegrityError("", std::nullopt, "");
}

}  // namespace

TEST_CASE("Session file id: format 2's test vector (docs/FORMAT.md), in the library and a file") {
  const std::string vector_id = "000102030405060708090a0b0c0d0e0f";
  const auto id = picklejar::store::parse_file_id(vector_id);
  REQUIRE(id.has_value());
  const picklejar::store::Signer key(std::string_view("picklejar test key"));
  CHECK(key.key_id() == "cc5347e103cf3801");
  CHECK(key.for_file(id).key_id() == "cc5347e103cf3801");  // of K, not of the file's key
  const std::string pickle = picklejar::dumps(Value("hello"));
  CHECK(hex(pickle) == "80049509000000000000008c0568656c6c6f942e");
  const auto digest = key.for_file(id).digest("greeting", pickle);
  CHECK(hex(std::string(reinterpret_cast<const char*>(digest.data()), digest.size())) ==
        "2a07cb257b09b5ad9f3bbe77b86d99f7fc665dd020beac714503fccb7e218f5a");
  CHECK_FALSE(picklejar::store::parse_file_id("000102030405060708090A0B0C0D0E0F"));  // upper
  CHECK_FALSE(picklejar::store::parse_file_id("000102030405060708090a0b0c0d0e0"));   // short

  // A file whose id is the vector's writes the vector's digest.
  ScratchDir dir;
  const auto file = dir / "v.pj";
  { Session s(file, with_key("picklejar test key")); }
  RawDb(file).exec("UPDATE meta SET value = '" + vector_id + "' WHERE name = 'file_id'");
  {
    Session s(file, with_key("picklejar test key"));
    CHECK(s.file_info().file_id == vector_id);
    CHECK(s.file_info().format_version == 2);
    s.set("greeting", "hello");
    s.save();
  }
  CHECK(digest_of(file, "greeting") ==
        "2a07cb257b09b5ad9f3bbe77b86d99f7fc665dd020beac714503fccb7e218f5a");
  RawDb raw(file);
  CHECK(raw.integer("PRAGMA user_version") == 2);
  CHECK(raw.integer("SELECT value FROM meta WHERE name = 'min_reader_version'") == 2);
}

TEST_CASE("Session file id: a new file gets a random id of its own, kept by every write") {
  ScratchDir dir;
  std::string first;
  {
    Session a(dir / "a.pj", with_key(std::nullopt));
    first = a.file_info().file_id;
    CHECK(first.size() == 32);
    CHECK(first.find_first_not_of("0123456789abcdef") == std::string::npos);
    a.set("x", 1);
    a.save();
    CHECK(a.file_info().file_id == first);
  }
  CHECK(RawDb(dir / "a.pj").text("SELECT value FROM meta WHERE name = 'file_id'") == first);
  CHECK(RawDb(dir / "a.pj").text("SELECT typeof(value) FROM meta WHERE name = 'file_id'") ==
        "text");
  Session b(dir / "b.pj", with_key(std::nullopt));
  CHECK(b.file_info().file_id != first);
}

TEST_CASE("Session file id: a row of another file with the same key fails; an older one passes") {
  // What the HMAC covers, as docs/FORMAT.md "Integrity" says, tested: rows cannot move
  // between files, but a row rolled back to an older version of this file still verifies.
  ScratchDir dir;
  const auto a = dir / "a.pj";
  const auto b = dir / "b.pj";
  for (const auto& [file, value] : {std::pair{a, 1}, std::pair{b, 2}}) {
    Session s(file, with_key("shared key"));
    s.set("token", value);
    s.set("older", "first");
    s.save();
  }
  const std::string older_pickle = RawDb(a).blob("SELECT pickle FROM entries WHERE key='older'");
  const std::string older_digest = RawDb(a).blob("SELECT digest FROM entries WHERE key='older'");
  {
    Session s(a, with_key("shared key"));
    s.set("older", "second");
    s.save();
  }
  {  // b's row, same key name, same key: copied into a
    RawDb raw(a);
    raw.exec_with_blob("UPDATE entries SET pickle = ?1 WHERE key = 'token'",
                       RawDb(b).blob("SELECT pickle FROM entries WHERE key = 'token'"));
    raw.exec_with_blob("UPDATE entries SET digest = ?1 WHERE key = 'token'",
                       RawDb(b).blob("SELECT digest FROM entries WHERE key = 'token'"));
    // a's own older row of 'older', put back
    raw.exec_with_blob("UPDATE entries SET pickle = ?1 WHERE key = 'older'", older_pickle);
    raw.exec_with_blob("UPDATE entries SET digest = ?1 WHERE key = 'older'", older_digest);
  }
  Session s(a, with_key("shared key"));
  const IntegrityError e = integrity_error(s, "token");
  CHECK(e.key() == "token");
  CHECK(e.path() == a.string());
  CHECK_MESSAGE(std::string(e.what()).find("'token'") != std::string::npos, e.what());
  CHECK(s.get("older") == Value("first"));  // a rollback within the file is not detected
}

TEST_CASE("Session file id: a format-1 file is upgraded at a writable open") {
  ScratchDir dir;
  for (const bool keyed : {true, false}) {
    CAPTURE(keyed);
    const auto file = dir / (keyed ? "keyed.pj" : "plain.pj");
    const std::optional<std::string> key = keyed ? std::optional<std::string>("k1") : std::nullopt;
    {
      Session s(file, with_key(key));
      s.set("a", Value::list({1, 2}));
      s.set("b", "two");
      s.set("damaged", 3);
      s.save();
    }
    make_format1(file, key, keyed ? "damaged" : "");
    if (!keyed) {  // a damaged pickle, which no rule verifies
      RawDb(file).exec_with_blob("UPDATE entries SET pickle = ?1 WHERE key = 'damaged'",
                                 picklejar::dumps(Value(4)));
    }
    const std::string damaged_digest = digest_of(file, "damaged");
    const std::string plain_digest = digest_of(file, "a");

    // A read-only open is refused, the file left as it was.
    const auto before = picklejar::test::snapshot(file);
    CHECK_THROWS_WITH_AS(Session(file, with_key(key, OpenMode::read_only)),
                         doctest::Contains("must first be upgraded"), FormatError);
    CHECK(picklejar::test::snapshot(file) == before);

    // A writable open upgrades it: good entries re-signed, a damaged one still fails.
    CHECK(RawDb(file).integer("SELECT value FROM meta WHERE name = 'revision'") == 1);
    Session s(file, with_key(key, OpenMode::read_write));
    const picklejar::SessionFileInfo info = s.file_info();
    CHECK(info.format_version == 2);
    CHECK(info.revision == 2);
    CHECK(info.file_id.size() == 32);
    CHECK(s.get("a") == Value::list({1, 2}));
    CHECK(s.get("b") == Value("two"));
    CHECK(integrity_error(s, "damaged").key() == "damaged");
    {
      RawDb raw(file);
      CHECK(raw.integer("PRAGMA user_version") == 2);
      CHECK(raw.integer("SELECT value FROM meta WHERE name = 'format_version'") == 2);
      CHECK(raw.integer("SELECT value FROM meta WHERE name = 'min_reader_version'") == 2);
      CHECK(raw.text("SELECT value FROM meta WHERE name = 'file_id'") == info.file_id);
    }
    CHECK(digest_of(file, "damaged") == damaged_digest);  // kept as it was
    CHECK(revision_of(file, "damaged") == 1);
    if (keyed) {  // re-signed, with the upgrade's revision
      CHECK(digest_of(file, "a") != plain_digest);
      CHECK(revision_of(file, "a") == 2);
    } else {  // SHA-256 does not depend on the id: no entry rewritten
      CHECK(digest_of(file, "a") == plain_digest);
      CHECK(revision_of(file, "a") == 1);
    }
    s.set("c", 5);
    s.save();
    Session again(file, with_key(key, OpenMode::read_only));
    CHECK(again.get("a") == Value::list({1, 2}));
    CHECK(again.get<int>("c") == 5);
    CHECK(again.file_info().file_id == info.file_id);
  }
}

TEST_CASE("Session file id: a format-1 row put into a format-2 file fails to verify") {
  ScratchDir dir;
  const auto old_file = dir / "old.pj";
  const auto file = dir / "new.pj";
  {
    Session s(old_file, with_key("k"));
    s.set("x", 1);
    s.save();
  }
  make_format1(old_file, "k");
  {
    Session s(file, with_key("k"));
    s.set("x", 2);
    s.save();
  }
  RawDb raw(file);
  raw.exec_with_blob("UPDATE entries SET pickle = ?1 WHERE key = 'x'",
                     RawDb(old_file).blob("SELECT pickle FROM entries WHERE key = 'x'"));
  raw.exec_with_blob("UPDATE entries SET digest = ?1 WHERE key = 'x'",
                     RawDb(old_file).blob("SELECT digest FROM entries WHERE key = 'x'"));
  Session s(file, with_key("k"));
  CHECK(integrity_error(s, "x").key() == "x");
}

TEST_CASE("Session file id: a malformed file_id row refuses the file, naming it") {
  ScratchDir dir;
  const auto file = dir / "a.pj";
  { Session s(file, with_key(std::nullopt)); }
  for (const char* bad : {"'0A0102030405060708090a0b0c0d0e0f'", "'abc'", "x'00'", "7", "NULL"}) {
    CAPTURE(bad);
    RawDb(file).exec(std::string("UPDATE meta SET value = ") + bad + " WHERE name = 'file_id'");
    CHECK_THROWS_WITH_AS(Session(file, with_key(std::nullopt, OpenMode::read_only)),
                         doctest::Contains("meta row 'file_id'"), FormatError);
  }
  RawDb(file).exec("DELETE FROM meta WHERE name = 'file_id'");
  CHECK_THROWS_WITH_AS(Session(file, with_key(std::nullopt, OpenMode::read_only)),
                       doctest::Contains("meta row 'file_id' is missing"), FormatError);
}

TEST_CASE("Session file id: rekey keeps the id; a backup holds it") {
  ScratchDir dir;
  const auto file = dir / "a.pj";
  Session s(file, with_key("old"));
  const std::string id = s.file_info().file_id;
  s.set("x", 1);
  s.save();
  s.rekey("new");
  CHECK(s.file_info().file_id == id);
  CHECK(RawDb(file).text("SELECT value FROM meta WHERE name = 'file_id'") == id);
  CHECK(Session(file, with_key("new", OpenMode::read_only)).get<int>("x") == 1);
  s.rekey(std::nullopt);
  CHECK(Session(file, with_key(std::nullopt, OpenMode::read_only)).file_info().file_id == id);
  s.rekey("again");
  s.backup_to(dir / "copy.pj");
  CHECK(RawDb(dir / "copy.pj").text("SELECT value FROM meta WHERE name = 'file_id'") == id);
  CHECK(Session(dir / "copy.pj", with_key("again", OpenMode::read_only)).get<int>("x") == 1);
}

TEST_CASE("Session file id: restore_from a format-1 backup and from another file's backup") {
  ScratchDir dir;
  const auto file = dir / "live.pj";
  Session live(file, with_key("k"));
  const std::string id = live.file_info().file_id;
  live.set("live", 0);
  live.save();

  SUBCASE("a format-1 backup: verified by format 1's rule, signed for this file") {
    {
      Session old(dir / "old.pj", with_key("k"));
      old.set("x", 1);
      old.set("y", "why");
      old.save();
    }
    make_format1(dir / "old.pj", "k");
    live.restore_from(dir / "old.pj");
    CHECK(live.keys() == std::vector<std::string>{"x", "y"});
    Session again(file, with_key("k", OpenMode::read_only));
    CHECK(again.get<int>("x") == 1);
    CHECK(again.get("y") == Value("why"));
    CHECK(again.file_info().file_id == id);
    CHECK(again.file_info().format_version == 2);
    CHECK(RawDb(dir / "old.pj").integer("PRAGMA user_version") == 1);  // the backup unchanged
  }
  SUBCASE("a format-1 backup with an entry that does not verify: nothing restored") {
    {
      Session old(dir / "old.pj", with_key("k"));
      old.set("x", 1);
      old.save();
    }
    make_format1(dir / "old.pj", "k", "x");
    CHECK_THROWS_WITH_AS(live.restore_from(dir / "old.pj"),
                         doctest::Contains("'x' does not verify"), IntegrityError);
    CHECK(Session(file, with_key("k", OpenMode::read_only)).get<int>("live") == 0);
  }
  SUBCASE("another file's backup with the same key: verified under its id, signed for this one") {
    {
      Session other(dir / "other.pj", with_key("k"));
      other.set("x", 2);
      other.save();
      other.backup_to(dir / "other-backup.pj");
    }
    live.restore_from(dir / "other-backup.pj");
    Session again(file, with_key("k", OpenMode::read_only));
    CHECK(again.get<int>("x") == 2);
    CHECK(again.file_info().file_id == id);
    CHECK(digest_of(file, "x") != digest_of(dir / "other-backup.pj", "x"));
  }
  SUBCASE("a backup of this file: the same digests, byte for byte") {
    live.backup_to(dir / "mine.pj");
    live.set("live", 1);
    live.save();
    live.restore_from(dir / "mine.pj");
    CHECK(digest_of(file, "live") == digest_of(dir / "mine.pj", "live"));
    CHECK(live.get<int>("live") == 0);
  }
}

TEST_CASE("Session file id: copy_from carries the id; sessions open on the target must reopen") {
  ScratchDir dir;
  const auto from = dir / "from.pj";
  const auto to = dir / "to.pj";
  Session source(from, with_key("k"));
  source.set("x", 1);
  source.set("y", Value::list({2, 3}));
  source.save();
  Session target(to, with_key("k"));
  target.set("old", 0);
  target.save();
  Session watcher(to, with_key("k", OpenMode::read_only));
  CHECK(watcher.get<int>("old") == 0);
  CHECK(target.file_info().file_id != source.file_info().file_id);

  target.copy_from(source, true);
  CHECK(target.file_info().file_id == source.file_info().file_id);
  CHECK(RawDb(to).text("SELECT value FROM meta WHERE name = 'file_id'") ==
        source.file_info().file_id);
  for (const char* key : {"x", "y"}) CHECK(digest_of(to, key) == digest_of(from, key));
  CHECK(target.get<int>("x") == 1);  // this session signs for the new id
  target.set("z", 4);
  target.save();
  CHECK(Session(to, with_key("k", OpenMode::read_only)).get<int>("z") == 4);

  try {
    (void)watcher.load();
    FAIL("no IntegrityError");
  } catch (const IntegrityError& e) {
    CHECK(e.path() == to.string());
    CHECK_MESSAGE(std::string(e.what()).find("file id changed while open") != std::string::npos,
                  e.what());
  }
}
