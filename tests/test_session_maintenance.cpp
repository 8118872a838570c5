// Operations on the whole file: vacuum(), rekey() and set_app_schema_version().

#include <doctest/doctest.h>

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <picklejar/session.hpp>

#include "session_support.hpp"
#include "store/integrity.hpp"

using picklejar::IntegrityError;
using picklejar::Session;
using picklejar::SessionOptions;
using picklejar::StoreError;
using picklejar::test::RawDb;
using picklejar::test::ScratchDir;
using Keys = std::vector<std::string>;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

SessionOptions fast(std::optional<std::string> key = std::nullopt) {
  SessionOptions options;
  options.durability = picklejar::Durability::fast;
  options.integrity_key = std::move(key);
  return options;
}

std::uintmax_t size_on_disk(const fs::path& file) {
  std::error_code ignored;
  const std::uintmax_t wal = fs::file_size(file.string() + "-wal", ignored);
  return fs::file_size(file) + (ignored ? 0 : wal);
}

std::string meta_text(RawDb& raw, const std::string& name) {
  return raw.text("SELECT coalesce(value, 'NULL') FROM meta WHERE name = '" + name + "'");
}

// Every entry's digest, as stored.
std::vector<std::string> digests(const fs::path& file) {
  RawDb raw(file);
  std::vector<std::string> out;
  const auto n = raw.integer("SELECT count(*) FROM entries");
  for (std::int64_t i = 0; i < n; ++i)
    out.push_back(
        raw.blob(fmt::format("SELECT digest FROM entries ORDER BY key LIMIT 1 OFFSET {}", i)));
  return out;
}

}  // namespace

TEST_CASE("Session maintenance: vacuum() gives back the space of 5,000 erased 2 KB entries") {
  ScratchDir dir;
  const auto file = dir / "s.pj";
  Session s(file, fast());
  const std::string blob(2048, 'v');
  for (int i = 0; i < 5000; ++i) s.set(fmt::format("entry{:05}", i), picklejar::Value::bytes(blob));
  s.set("kept", 1);
  s.save();
  for (int i = 0; i < 5000; ++i) s.erase(fmt::format("entry{:05}", i));
  s.save();
  s.load();
  const std::uintmax_t before = size_on_disk(file);
  const auto info_before = s.file_info();
  CHECK(before > 10'000'000);
  CHECK(info_before.free_pages > 2000);

  Session other(file, fast());  // readers in another session are fine
  s.vacuum();
  const std::uintmax_t after = size_on_disk(file);
  MESSAGE("vacuum: " << before << " -> " << after << " bytes");
  CHECK(after < 1'000'000);
  CHECK(s.file_info().free_pages == 0);
  CHECK(s.file_info().revision == info_before.revision);  // nothing a reader must reload
  CHECK(s.keys() == Keys{"kept"});
  CHECK(other.load().empty());
  other.set("after", 2);
  other.save();
  CHECK(s.load().added == Keys{"after"});
  RawDb raw(file);
  CHECK(raw.text("PRAGMA integrity_check") == "ok");

  SUBCASE("refused read-only and inside transact()") {
    SessionOptions ro = fast();
    ro.mode = picklejar::OpenMode::read_only;
    CHECK_THROWS_AS(Session(file, ro).vacuum(), StoreError);
    CHECK_THROWS_AS(s.transact([](Session& t) { t.vacuum(); }), StoreError);
  }
}

TEST_CASE("Session maintenance: vacuum() and backup_to() check a schema changed after the open") {
  // VACUUM and VACUUM INTO rebuild every index (evaluating its expressions) with no time
  // limit, so the schema is checked first on the session's own connection.
  ScratchDir dir;
  const auto file = dir / "s.pj";
  Session s(file, fast());
  for (int i = 0; i < 200; ++i)
    s.set(fmt::format("entry{:03}", i), picklejar::Value::bytes(std::string(2048, 'v')));
  s.save();
  for (int i = 0; i < 200; ++i) s.erase(fmt::format("entry{:03}", i));
  s.set("kept", 1);
  s.save();
  RawDb raw(file);  // another program, after the open
  raw.exec("CREATE INDEX trap ON entries (CASE WHEN key = 'trap' THEN zeroblob(500000000) END)");
  const std::int64_t pages = raw.integer("PRAGMA page_count");
  CHECK_THROWS_WITH_AS(s.vacuum(), doctest::Contains("index 'trap' on table 'entries'"),
                       picklejar::FormatError);
  CHECK(raw.integer("PRAGMA page_count") == pages);  // not rebuilt
  const std::string refused = "'" + file.string() + "': its schema is not a session file's";
  CHECK_THROWS_WITH_AS(s.backup_to(dir / "b.pj"), doctest::Contains(refused.c_str()),
                       picklejar::FormatError);
  CHECK_FALSE(fs::exists(dir / "b.pj"));
  for (const auto& left : fs::directory_iterator(dir.path()))
    CHECK_MESSAGE(left.path().filename().string().starts_with("s.pj"), left.path());
}

TEST_CASE("Session maintenance: rekey() adds, changes and removes the integrity key") {
  ScratchDir dir;
  const auto file = dir / "s.pj";
  {
    Session s(file, fast());
    s.update({{"a", 1}, {"b", picklejar::Value::list({"x", "y"})}});
    s.save();
  }
  Session s(file, fast());
  const std::int64_t revision = s.file_info().revision;

  s.rekey("first key");  // sha256 -> hmac-sha256
  {
    RawDb raw(file);
    CHECK(meta_text(raw, "integrity_scheme") == "hmac-sha256");
    CHECK(meta_text(raw, "key_id") == picklejar::store::key_id("first key"));
    CHECK(raw.integer("SELECT count(*) FROM entries WHERE revision = " +
                      std::to_string(revision + 1)) == 2);
  }
  CHECK(s.file_info().key_id == picklejar::store::key_id("first key"));
  CHECK(s.get<int>("a") == 1);
  s.set("c", 3);  // the session goes on, signing with the new key
  s.save();
  CHECK_THROWS_AS(Session(file, fast()), IntegrityError);
  CHECK(Session(file, fast("first key")).get<int>("c") == 3);

  s.rekey("second key");  // one key -> another
  CHECK_THROWS_AS(Session(file, fast("first key")), IntegrityError);
  {
    Session reopened(file, fast("second key"));
    for (const auto& [key, value] : reopened) CHECK_FALSE(value.is_none());
  }

  s.rekey(std::nullopt);  // key -> none
  {
    RawDb raw(file);
    CHECK(meta_text(raw, "integrity_scheme") == "sha256");
    CHECK(meta_text(raw, "key_id") == "NULL");
  }
  Session plain(file, fast());
  CHECK(plain.keys() == Keys{"a", "b", "c"});
  CHECK(plain.get<std::vector<std::string>>("b") == Keys{"x", "y"});
}

TEST_CASE("Session maintenance: a tampered entry stops rekey(), which writes nothing") {
  ScratchDir dir;
  const auto file = dir / "s.pj";
  Session s(file, fast("old"));
  s.update({{"a", 1}, {"b", 2}, {"c", 3}});
  s.save();
  {
    RawDb raw(file);
    raw.exec("UPDATE entries SET pickle = X'80044b0b2e' WHERE key = 'b'");  // 11, unsigned
  }
  Session t(file, fast("old"));
  const auto before = digests(file);
  CHECK_THROWS_WITH_AS(t.rekey("new"), doctest::Contains("'b'"), IntegrityError);
  CHECK(digests(file) == before);
  RawDb raw(file);
  CHECK(meta_text(raw, "key_id") == picklejar::store::key_id("old"));
  CHECK(raw.integer("SELECT value FROM meta WHERE name = 'revision'") == 1);
  CHECK(t.get<int>("a") == 1);  // the session is unchanged and usable
  t.set("d", 4);
  t.save();
}

TEST_CASE("Session maintenance: another session open during a rekey is told to reopen") {
  ScratchDir dir;
  const auto file = dir / "s.pj";
  Session s(file, fast());
  s.set("a", 1);
  s.save();
  Session other(file, fast());
  s.rekey("key");
  CHECK_THROWS_WITH_AS(other.load(), doctest::Contains("re-keyed"), IntegrityError);
  other.set("b", 2);
  CHECK_THROWS_WITH_AS(other.save(), doctest::Contains("open it again with its new key"),
                       IntegrityError);
  SUBCASE("refused with unsaved changes, read-only and inside transact()") {
    s.set("x", 1);
    CHECK_THROWS_WITH_AS(s.rekey("other"), doctest::Contains("unsaved"), StoreError);
    s.discard();
    CHECK_THROWS_AS(s.transact([](Session& t) { t.rekey("k"); }), StoreError);
    SessionOptions ro = fast("key");
    ro.mode = picklejar::OpenMode::read_only;
    CHECK_THROWS_AS(Session(file, ro).rekey(std::nullopt), StoreError);
  }
}

TEST_CASE("Session maintenance: set_app_schema_version()") {
  ScratchDir dir;
  const auto file = dir / "s.pj";
  Session s(file, fast());
  s.set_app_schema_version(3);
  CHECK(s.file_info().app_schema_version == 3);
  CHECK(s.file_info().revision == 1);
  s.set_app_schema_version(3);  // already: no write
  CHECK(s.file_info().revision == 1);

  // Inside transact(): with its save, or not at all when it throws.
  s.transact([](Session& t) {
    t.set("k", 1);
    t.set_app_schema_version(4);
  });
  CHECK(s.file_info().app_schema_version == 4);
  CHECK(s.file_info().revision == 2);
  CHECK_THROWS_AS(s.transact([](Session& t) {
    t.set_app_schema_version(9);
    throw std::runtime_error("no");
  }),
                  std::runtime_error);
  CHECK(s.file_info().app_schema_version == 4);
  RawDb raw(file);
  CHECK(raw.integer("SELECT value FROM meta WHERE name = 'app_schema_version'") == 4);

  SessionOptions app = fast();
  app.schema_version = 4;
  Session declared(file, app);
  CHECK_THROWS_AS(declared.set_app_schema_version(5), StoreError);
  declared.set_app_schema_version(4);
}
