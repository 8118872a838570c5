// What a session file is: the pragmas and schema written, and every file that is not one
// (random bytes, another database, empty, truncated, a newer or inconsistent format) refused
// with FormatError naming the file, the file left byte-for-byte untouched.

#include <doctest/doctest.h>

#include <string>

#include <picklejar/session.hpp>

#include "session_support.hpp"
#include "store/sqlite/format.hpp"
#include "store/sqlite/format_steps.hpp"

using picklejar::FormatError;
using picklejar::OpenMode;
using picklejar::Session;
using picklejar::SessionOptions;
using picklejar::Value;
using picklejar::test::fast;
using picklejar::test::RawDb;
using picklejar::test::ScratchDir;
using picklejar::test::snapshot;

namespace {

// Opening `file` in every mode throws FormatError naming it (and `expect` in the message),
// and leaves the file exactly as it was.
void check_refused(const std::filesystem::path& file, const std::string& expect) {
  const auto before = snapshot(file);
  REQUIRE(before.exists);
  for (const OpenMode mode : {OpenMode::create, OpenMode::read_write, OpenMode::read_only}) {
    CAPTURE(static_cast<int>(mode));
    try {
      Session s(file, fast(mode));
      FAIL("opened a file that is not a picklejar file");
    } catch (const FormatError& e) {
      const std::string what = e.what();
      CHECK(e.path() == file.string());
      CHECK(what.find(file.string()) != std::string::npos);
      CHECK_MESSAGE(what.find(expect) != std::string::npos, what);
    }
    CHECK(snapshot(file) == before);
  }
}

void make_session(const std::filesystem::path& file, int entries = 1) {
  SessionOptions options;
  options.durability = picklejar::Durability::fast;
  Session s(file, options);
  for (int i = 0; i < entries; ++i) s.set("k" + std::to_string(i), Value(std::string(500, 'x')));
  s.save();
}

}  // namespace

TEST_CASE("Session files: application_id, user_version and the meta rows") {
  ScratchDir dir;
  const auto file = dir / "a.pj";
  make_session(file);
  RawDb raw(file);
  CHECK(raw.integer("PRAGMA application_id") == 0x504A4152);
  CHECK(raw.integer("PRAGMA user_version") == 2);
  CHECK(raw.text("PRAGMA journal_mode") == "wal");
  CHECK(raw.integer("SELECT value FROM meta WHERE name = 'format_version'") == 2);
  CHECK(raw.integer("SELECT value FROM meta WHERE name = 'min_reader_version'") == 2);
  CHECK(raw.text("SELECT typeof(value) FROM meta WHERE name = 'file_id'") == "text");
  CHECK(raw.integer("SELECT value FROM meta WHERE name = 'revision'") == 1);
  CHECK(raw.text("SELECT value FROM meta WHERE name = 'integrity_scheme'") == "sha256");
  CHECK(raw.text("SELECT typeof(value) FROM meta WHERE name = 'key_id'") == "null");
  CHECK(raw.text("SELECT typeof(value) FROM meta WHERE name = 'created_us'") == "integer");
  CHECK(raw.integer("SELECT count(*) FROM meta") == 15);
  CHECK(raw.integer("SELECT revision FROM entries WHERE key = 'k0'") == 1);
  CHECK(raw.integer("SELECT length(digest) FROM entries WHERE key = 'k0'") == 32);
  CHECK(raw.text("PRAGMA integrity_check") == "ok");
}

TEST_CASE("Session files: random bytes, other databases and damaged files are refused") {
  ScratchDir dir;
  SUBCASE("random bytes") {
    std::string bytes;
    for (int i = 0; i < 3000; ++i) bytes += static_cast<char>((i * 7919) % 251);
    picklejar::test::write_file(dir / "r.pj", bytes);
    check_refused(dir / "r.pj", "not a picklejar file");
  }
  SUBCASE("a text file") {
    picklejar::test::write_file(dir / "t.pj", "key = value\n");
    check_refused(dir / "t.pj", "not a picklejar file");
  }
  SUBCASE("another SQLite database") {
    {
      RawDb raw(dir / "o.db");
      raw.exec("CREATE TABLE t (x); INSERT INTO t VALUES (1)");
    }
    check_refused(dir / "o.db", "application_id 0x00000000");
  }
  SUBCASE("a database of another application") {
    {
      RawDb raw(dir / "o.db");
      raw.exec("PRAGMA application_id = 1; CREATE TABLE meta (name, value)");
    }
    check_refused(dir / "o.db", "application_id 0x00000001");
  }
  SUBCASE("our application_id with format version 0") {
    {
      RawDb raw(dir / "z.pj");
      raw.exec("PRAGMA application_id = 1347043666; CREATE TABLE meta (name, value)");
    }
    check_refused(dir / "z.pj", "file format version 0");
  }
  SUBCASE("a missing meta row") {
    make_session(dir / "m.pj");
    {
      RawDb raw(dir / "m.pj");
      raw.exec("DELETE FROM meta WHERE name = 'revision'");
    }
    check_refused(dir / "m.pj", "meta row 'revision' is missing");
  }
  SUBCASE("a meta row of the wrong type") {
    make_session(dir / "m.pj");
    {
      RawDb raw(dir / "m.pj");
      raw.exec("UPDATE meta SET value = 'one' WHERE name = 'revision'");
    }
    check_refused(dir / "m.pj", "meta row 'revision' has the wrong type");
  }
  SUBCASE("user_version and meta disagree") {
    make_session(dir / "m.pj");
    {
      RawDb raw(dir / "m.pj");
      raw.exec("UPDATE meta SET value = 3 WHERE name = 'format_version'");
    }
    check_refused(dir / "m.pj", "meta format_version is 3");
  }
  SUBCASE("a missing table") {
    make_session(dir / "m.pj");
    {
      RawDb raw(dir / "m.pj");
      raw.exec("DROP TABLE tombstones");
    }
    check_refused(dir / "m.pj", "table 'tombstones': missing");
  }
}

TEST_CASE("Session files: truncated files are refused") {
  ScratchDir dir;
  const auto whole = dir / "whole.pj";
  make_session(whole, 300);  // about 40 pages
  const std::string bytes = picklejar::test::read_file(whole);
  REQUIRE(bytes.size() > 40 * 4096);
  for (const std::size_t cut :
       {std::size_t{20}, std::size_t{100}, std::size_t{1000}, std::size_t{4096}, std::size_t{8192},
        bytes.size() / 2, bytes.size() - 4096, bytes.size() - 1}) {
    CAPTURE(cut);
    const auto file = dir / ("cut" + std::to_string(cut) + ".pj");
    picklejar::test::write_file(file, bytes.substr(0, cut));
    check_refused(file, "");
  }
}

TEST_CASE("Session files: a session opened through a symlink while its WAL holds pages") {
  // SQLite keeps the WAL next to the symlink's target; the truncation check must look there,
  // or the main file (behind its WAL) looks truncated.
  ScratchDir dir;
  const auto real = dir / "real.pj";
  const auto link = dir / "link.pj";
  SessionOptions options;
  options.durability = picklejar::Durability::fast;
  Session writer(real, options);
  for (int i = 0; i < 300; ++i) writer.set("k" + std::to_string(i), Value(std::string(500, 'x')));
  writer.save();  // stays in the WAL while `writer` keeps the file open
  REQUIRE(std::filesystem::file_size(dir / "real.pj-wal") > 0);
  std::filesystem::create_symlink(real, link);
  // A link of the user's own: followed only when asked (SessionOptions::follow_symlinks).
  CHECK_THROWS_WITH_AS(Session(link, fast(OpenMode::read_write)),
                       doctest::Contains("it is a symbolic link"), picklejar::StoreError);
  SessionOptions follow = fast(OpenMode::read_write);
  follow.follow_symlinks = true;
  Session reader(link, follow);
  CHECK(reader.size() == 300);
  CHECK(reader.get("k299") == Value(std::string(500, 'x')));
}

TEST_CASE("Session files: an empty file is a new session only with OpenMode::create") {
  ScratchDir dir;
  const auto file = dir / "empty.pj";
  picklejar::test::write_file(file, "");
  const auto before = snapshot(file);
  for (const OpenMode mode : {OpenMode::read_write, OpenMode::read_only}) {
    try {
      Session s(file, fast(mode));
      FAIL("opened an empty file without create");
    } catch (const FormatError& e) {
      CHECK(std::string(e.what()).find("it is empty") != std::string::npos);
    }
    CHECK(snapshot(file) == before);
  }
  {
    Session s(file, fast(OpenMode::create));
    s.set("a", 1);
    s.save();
  }
  Session s(file, fast(OpenMode::read_write));
  CHECK(s.get<int>("a") == 1);
}

TEST_CASE("Session files: newer file formats") {
  ScratchDir dir;
  const auto file = dir / "new.pj";
  make_session(file);
  SUBCASE("readable by this version: only read_only opens it") {
    {
      RawDb raw(file);
      raw.exec(
          "PRAGMA user_version = 99; UPDATE meta SET value = 99 WHERE name = "
          "'format_version'");
    }
    const auto before = snapshot(file);
    for (const OpenMode mode : {OpenMode::create, OpenMode::read_write}) {
      try {
        Session s(file, fast(mode));
        FAIL("opened a newer format for writing");
      } catch (const FormatError& e) {
        const std::string what = e.what();
        CHECK(what.find("file format version 99 is newer than this picklejar's (2)") !=
              std::string::npos);
        CHECK(what.find("read_only") != std::string::npos);
      }
      CHECK(snapshot(file) == before);
    }
    Session s(file, fast(OpenMode::read_only));
    CHECK(s.file_info().format_version == 99);
    CHECK(s.get("k0") == Value(std::string(500, 'x')));
    CHECK(snapshot(file) == before);
  }
  SUBCASE("needing a newer reader: refused in every mode") {
    {
      RawDb raw(file);
      raw.exec(
          "PRAGMA user_version = 99; UPDATE meta SET value = 99 WHERE name = "
          "'format_version'; UPDATE meta SET value = 7 WHERE name = 'min_reader_version'");
    }
    check_refused(file, "reading it needs format version 7 or later");
  }
}

TEST_CASE("Session files: the format upgrade machinery runs its steps in one transaction") {
  ScratchDir dir;
  const auto file = dir / "a.pj";
  make_session(file);
  // The library's own chain is 1 -> 2 (tests/test_session_file_id.cpp runs it); a pretend
  // format 1 -> 3 chain exercises the machinery on a real file.
  REQUIRE(picklejar::store::format_steps().size() == 1);
  CHECK(picklejar::store::format_steps()[0].from == 1);
  CHECK(picklejar::store::format_steps()[0].to == 2);
  const picklejar::store::Signer key(std::nullopt);
  static std::vector<int> ran;
  ran.clear();
  const picklejar::store::FormatStep steps[] = {
      {2, 3,
       [](picklejar::store::Db& db, const picklejar::store::Signer&) {
         ran.push_back(2);
         db.exec("ALTER TABLE entries ADD COLUMN extra INTEGER");
       }},
      {1, 2, [](picklejar::store::Db&, const picklejar::store::Signer&) { ran.push_back(1); }},
  };
  SUBCASE("a chain that reaches the target") {
    auto db = picklejar::store::Db::open(file, picklejar::store::Db::Access::read_write,
                                         picklejar::store::DbLimits{});
    picklejar::store::Transaction txn(*db, picklejar::store::Transaction::Kind::write);
    picklejar::store::upgrade_format(*db, 1, 3, steps, key);
    txn.commit();
    CHECK(ran == std::vector<int>{1, 2});
    RawDb raw(file);
    CHECK(raw.integer("PRAGMA user_version") == 3);
    CHECK(raw.integer("SELECT value FROM meta WHERE name = 'format_version'") == 3);
    CHECK(raw.integer("SELECT value FROM meta WHERE name = 'revision'") == 2);
    CHECK(raw.integer("SELECT count(extra) FROM entries") == 0);
  }
  SUBCASE("no chain: FormatError, and the transaction leaves the file as it was") {
    const auto before = snapshot(file);
    {
      auto db = picklejar::store::Db::open(file, picklejar::store::Db::Access::read_write,
                                           picklejar::store::DbLimits{});
      picklejar::store::Transaction txn(*db, picklejar::store::Transaction::Kind::write);
      CHECK_THROWS_WITH_AS(picklejar::store::upgrade_format(*db, 1, 4, steps, key),
                           doctest::Contains("no upgrade from file format version 3 to 4"),
                           FormatError);
    }  // rolled back
    RawDb raw(file);
    CHECK(raw.integer("PRAGMA user_version") == picklejar::store::kFormatVersion);
    CHECK(raw.integer("SELECT value FROM meta WHERE name = 'revision'") == 1);
    CHECK_THROWS(raw.integer("SELECT count(extra) FROM entries"));
    CHECK(snapshot(file).bytes == before.bytes);
  }
}
