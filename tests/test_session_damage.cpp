// Damaged and hostile rows: a column of the wrong type is a FormatError naming the key and
// the file (never a value SQLite made up by converting it), a meta integer the library does
// arithmetic with is range-checked (revision + 1 and time points cannot overflow), and a
// corpus of byte-flipped files makes every open and read throw only picklejar::Error.

#include <doctest/doctest.h>
#include <stdlib.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <typeinfo>

#include <fmt/format.h>

#include <picklejar/session.hpp>

#include "session_support.hpp"

using picklejar::FormatError;
using picklejar::OpenMode;
using picklejar::Session;
using picklejar::SessionOptions;
using picklejar::Value;
using picklejar::test::RawDb;
using picklejar::test::ScratchDir;

namespace {

void make_session(const std::filesystem::path& file) {
  SessionOptions options;
  options.filesystem = picklejar::FilesystemCheck::network;  // one file: no WAL left behind
  Session s(file, options);
  s.set("a", Value::list({1, 2}));
  s.set("b", Value("text"));
  s.save();
}

// Inserts a row of any types into `table`, as a damaged or hostile file holds one: the
// table's types and constraints are lifted for the insert and put back, so the schema stays
// the format's. `values` is SQL.
void plant(const std::filesystem::path& file, const std::string& table, const std::string& values) {
  const std::string original =
      RawDb(file).text("SELECT sql FROM sqlite_master WHERE name = '" + table + "'");
  const std::string loose =
      table == "entries"
          ? "CREATE TABLE entries (key PRIMARY KEY, pickle, protocol, digest, revision, "
            "modified_us)"
          : "CREATE TABLE tombstones (key PRIMARY KEY NOT NULL, revision) WITHOUT ROWID";
  const auto set_sql = [&](const std::string& sql) {
    RawDb raw(file);
    raw.exec("PRAGMA writable_schema = ON");
    raw.exec_with_blob(
        "UPDATE sqlite_master SET sql = CAST(?1 AS TEXT) WHERE name = '" + table + "'", sql);
  };
  set_sql(loose);
  RawDb(file).exec("INSERT INTO " + table + " VALUES (" + values + ")");
  set_sql(original);
}

// Opening `file` read-only throws FormatError naming the file and `expect`.
std::string format_error(const std::filesystem::path& file, const std::string& expect) {
  SessionOptions options;
  options.mode = OpenMode::read_only;
  try {
    Session s(file, options);
    FAIL("opened a damaged file");
  } catch (const FormatError& e) {
    const std::string what = e.what();
    CHECK(e.path() == file.string());
    CHECK_MESSAGE(what.find(file.string()) != std::string::npos, what);
    CHECK_MESSAGE(what.find(expect) != std::string::npos, what);
    return what;
  }
  return "";
}

const char* const kDigest = "zeroblob(32)";

}  // namespace

TEST_CASE("Damaged rows: a column of the wrong type names the key and the file") {
  ScratchDir dir;
  struct Case {
    std::string row;
    std::string expect;
  };
  const std::string good = "x'80044b012e'";
  const Case cases[] = {
      {"'k', 'a text pickle', 4, " + std::string(kDigest) + ", 1, 0",
       "malformed entry 'k' in '{}': its pickle is TEXT, not BLOB"},
      {"'k', NULL, 4, " + std::string(kDigest) + ", 1, 0", "its pickle is NULL, not BLOB"},
      {"'k', 2500000000, 4, " + std::string(kDigest) + ", 1, 0", "its pickle is INTEGER, not BLOB"},
      {"'k', " + good + ", 4, 'a text digest', 1, 0", "its digest is TEXT, not BLOB"},
      {"'k', " + good + ", 4, NULL, 1, 0", "its digest is NULL, not BLOB"},
      {"'k', " + good + ", '4', " + kDigest + ", 1, 0", "its protocol is TEXT, not INTEGER"},
      {"'k', " + good + ", 99, " + kDigest + ", 1, 0", "its protocol 99 is not 0-5"},
      {"'k', " + good + ", 4, " + kDigest + ", 2.5, 0", "its revision is REAL, not INTEGER"},
      {"'k', " + good + ", 4, " + kDigest + ", 1, 4611686018427387904",
       "its modified_us 4611686018427387904 is out of range"},
      {"42, " + good + ", 4, " + kDigest + ", 1, 0",
       "malformed row in table 'entries' of '{}': its key is the INTEGER 42, not TEXT"},
      {"x'6b00', " + good + ", 4, " + kDigest + ", 1, 0", "its key is the BLOB x'6b00', not TEXT"},
      {"NULL, " + good + ", 4, " + kDigest + ", 1, 0", "its key is a NULL, not TEXT"},
  };
  int n = 0;
  for (const Case& c : cases) {
    CAPTURE(c.row);
    const auto file = dir / ("f" + std::to_string(n++) + ".pj");
    make_session(file);
    plant(file, "entries", c.row);
    std::string expect = c.expect;
    if (const auto at = expect.find("{}"); at != std::string::npos)
      expect.replace(at, 2, file.string());
    format_error(file, expect);
  }
}

TEST_CASE("Damaged rows: a bad row written after the open fails the load, not the session") {
  ScratchDir dir;
  const auto file = dir / "s.pj";
  make_session(file);
  Session s(file);
  plant(file, "tombstones", "x'676f6e65', 5");
  RawDb(file).exec("UPDATE meta SET value = 5 WHERE name = 'revision'");
  CHECK_THROWS_WITH_AS(s.load(), doctest::Contains("malformed row in table 'tombstones'"),
                       FormatError);
  CHECK(s.get("a") == Value::list({1, 2}));
}

TEST_CASE("Damaged rows: meta integers out of range") {
  ScratchDir dir;
  struct Case {
    const char* name;
    const char* value;
    const char* expect;
  };
  const Case cases[] = {
      // revision + 1 would overflow (undefined behaviour before this check)
      {"revision", "9223372036854775807",
       "meta row 'revision' is out of range (allowed: 0 to 9223372036854775806)"},
      {"revision", "-1", "meta row 'revision' is out of range"},
      {"purged_revision", "5", "meta row 'purged_revision' (5) is above 'revision' (1)"},
      {"default_protocol", "99", "meta row 'default_protocol' is out of range (allowed: 0 to 5)"},
      // a nanosecond time point would overflow
      {"created_us", "4611686018427387904", "meta row 'created_us' is out of range"},
      {"modified_us", "-4611686018427387904", "meta row 'modified_us' is out of range"},
      {"format_version", "0", "meta row 'format_version' is out of range"},
  };
  int n = 0;
  for (const Case& c : cases) {
    CAPTURE(std::string(c.name) + " = " + c.value);
    const auto file = dir / ("m" + std::to_string(n++) + ".pj");
    make_session(file);
    RawDb(file).exec(std::string("UPDATE meta SET value = ") + c.value + " WHERE name = '" +
                     c.name + "'");
    if (std::string(c.name) == "format_version") RawDb(file).exec("PRAGMA user_version = 0");
    format_error(file,
                 std::string(c.name) == "format_version" ? "file format version 0" : c.expect);
    CHECK_THROWS_AS(Session::open(file), FormatError);  // writers too
  }
}

TEST_CASE("Damaged files: 300 byte flips throw only picklejar::Error") {
  // On a RAM file system when there is one: 600 opens for writing cost an fsync each.
  std::string base = std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp";
  std::string pattern = base + "/picklejar-flips-XXXXXX";
  REQUIRE(::mkdtemp(pattern.data()) != nullptr);
  const std::filesystem::path dir = pattern;
  const auto original = dir / "original.pj";
  {
    SessionOptions options;
    options.filesystem = picklejar::FilesystemCheck::network;
    Session s(original, options);
    for (int i = 0; i < 12; ++i)
      s.set(
          "key" + std::to_string(i),
          Value::dict({{Value("n"), Value(i)}, {Value("text"), Value(std::string(i * 40, 'x'))}}));
    s.save();
    s.erase("key3");
    s.save();
  }
  const std::string bytes = picklejar::test::read_file(original);
  std::mt19937 rng(14);
  std::map<std::string, int> outcomes;
  for (int flip = 0; flip < 300; ++flip) {
    std::string damaged = bytes;
    const std::size_t offset = rng() % damaged.size();
    damaged[offset] = static_cast<char>(damaged[offset] ^ (1 << (rng() % 8)));
    const auto file = dir / ("flip" + std::to_string(flip) + ".pj");
    picklejar::test::write_file(file, damaged);
    for (const OpenMode mode : {OpenMode::read_only, OpenMode::read_write}) {
      CAPTURE(flip);
      CAPTURE(offset);
      CAPTURE(static_cast<int>(mode));
      try {
        SessionOptions options;
        options.mode = mode;
        options.durability = picklejar::Durability::fast;
        Session s(file, options);
        for (const std::string& key : s.keys()) {
          try {
            s.find(key);
          } catch (const picklejar::IntegrityError&) {  // a damaged entry fails alone
          } catch (const picklejar::DecodeError&) {
          }
          s.entry_info(key);
          s.find_pickle(key, false);
        }
        s.file_info();
        s.check_database();
        s.load();
        if (mode == OpenMode::read_write) {
          s.set("new", 1);
          s.save();
        }
        ++outcomes["opened"];
      } catch (const picklejar::Error& e) {
        ++outcomes[typeid(e).name()];
      } catch (const std::exception& e) {
        FAIL("not a picklejar::Error: " << typeid(e).name() << ": " << e.what());
      }
    }
    for (const char* suffix : {"", "-journal", "-wal", "-shm", ".lock"})
      std::filesystem::remove(file.string() + suffix);
  }
  std::string summary;
  for (const auto& [what, count] : outcomes) summary += " " + what + "=" + std::to_string(count);
  MESSAGE("300 byte flips x 2 modes:" << summary);
  CHECK(outcomes["opened"] > 0);
  CHECK(outcomes.size() > 1);
  std::filesystem::remove_all(dir);
}

// A writer killed while checkpointing leaves the file's own pages of two states; its WAL is
// whole and every reader reads through it. The first look, which reads the file alone, must
// not call that file damaged (seen once in 400 kills of session_crash's fast mode).
TEST_CASE("Damaged files: a file torn by a checkpoint, its WAL whole, opens and reads") {
  ScratchDir dir;
  const auto file = dir / "torn.pj";
  {
    Session s(file);
    for (int i = 0; i < 200; ++i)
      s.set(fmt::format("k{:03}", i), Value(std::string(500, 'a' + i % 26)));
    s.save();
  }
  RawDb wal_keeper(file);  // open while the Session opens: its WAL is not checkpointed away
  wal_keeper.exec("PRAGMA journal_mode = WAL");
  wal_keeper.exec("PRAGMA wal_autocheckpoint = 0");
  wal_keeper.exec("VACUUM");  // every page of the file again, in the WAL
  const auto size = std::filesystem::file_size(file);
  REQUIRE(size > 4096);
  {
    std::FILE* f = std::fopen(file.c_str(), "r+b");
    REQUIRE(f != nullptr);
    const std::string garbage(size - 100, '\xff');  // all but the header: a half-copied file
    REQUIRE(std::fseek(f, 100, SEEK_SET) == 0);
    REQUIRE(std::fwrite(garbage.data(), 1, garbage.size(), f) == garbage.size());
    std::fclose(f);
  }
  for (const OpenMode mode : {OpenMode::read_only, OpenMode::read_write}) {
    CAPTURE(static_cast<int>(mode));
    SessionOptions options;
    options.mode = mode;
    Session s(file, options);
    CHECK(s.keys().size() == 200);
    CHECK(s.get<std::string>("k025") == std::string(500, 'z'));
  }
}
