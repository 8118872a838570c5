// Session's dictionary interface: every function, persistence across reopen, the typed layer,
// iteration, discard and the destructor's policy, read-only mode, options and misuse.

#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include <picklejar/session.hpp>

#include "session_support.hpp"

using picklejar::ConflictPolicy;
using picklejar::OpenMode;
using picklejar::Session;
using picklejar::SessionOptions;
using picklejar::Value;
using picklejar::test::fast;
using picklejar::test::RawDb;
using picklejar::test::ScratchDir;

TEST_CASE("Session: find/get/set/erase/contains/size/keys on the in-memory view") {
  ScratchDir dir;
  Session s(dir / "a.pj", fast());
  CHECK(s.empty());
  CHECK(s.size() == 0);
  CHECK_FALSE(s.find("x").has_value());
  CHECK_FALSE(s.contains("x"));
  CHECK_THROWS_AS(s.get("x"), picklejar::LookupError);
  try {
    (void)s.get("missing key");
    FAIL("get() of a missing key returned");
  } catch (const picklejar::LookupError& e) {
    const std::string what = e.what();
    CHECK(what.find("'missing key'") != std::string::npos);
    CHECK(what.find((dir / "a.pj").string()) != std::string::npos);
  }

  s.set("b", Value::list({1, 2, 3}));
  s.set("a", Value("text"));
  s.set("", Value(nullptr));  // the empty string is a key like any other
  s.set("ключ", Value::dict({{Value("x"), Value(1.5)}}));
  CHECK(s.size() == 4);
  CHECK(s.contains("a"));
  CHECK(s.get("a") == Value("text"));
  CHECK(*s.find("b") == Value::list({1, 2, 3}));
  CHECK(s.get("") == Value(nullptr));
  // Code point order, which is UTF-8 byte order.
  CHECK(s.keys() == std::vector<std::string>{"", "a", "b", "ключ"});

  s.set("a", Value(42));  // replaces
  CHECK(s.get("a") == Value(42));
  CHECK(s.erase("b"));
  CHECK_FALSE(s.erase("b"));
  CHECK_FALSE(s.erase("never there"));
  CHECK_FALSE(s.contains("b"));
  CHECK(s.size() == 3);
}

TEST_CASE("Session: the typed layer maps through to_value/from_value") {
  ScratchDir dir;
  Session s(dir / "a.pj", fast());
  s.set("n", 7);
  s.set("name", "window");
  s.set("sizes", std::vector<int>{800, 600});
  s.set("prefs", std::map<std::string, bool>{{"dark", true}});
  CHECK(s.get<int>("n") == 7);
  CHECK(s.get<std::string>("name") == "window");
  CHECK(s.get<std::vector<int>>("sizes") == std::vector<int>{800, 600});
  CHECK(s.get<std::map<std::string, bool>>("prefs").at("dark"));
  CHECK(s.get_or("n", 0) == 7);
  CHECK(s.get_or("absent", 5) == 5);
  CHECK(s.get_or("absent", "fallback") == "fallback");
  CHECK(s.get_or<std::string>("name", "x") == "window");
  // A present value of the wrong shape is an error, not the fallback.
  CHECK_THROWS_AS(s.get_or<std::string>("n", "x"), picklejar::CodecError);
  CHECK_THROWS_AS(s.get<int>("name"), picklejar::CodecError);
  CHECK_THROWS_AS(s.get<int>("absent"), picklejar::LookupError);
}

TEST_CASE("Session: saved entries persist across reopen; unsaved ones do not") {
  ScratchDir dir;
  const auto file = dir / "a.pj";
  {
    Session s(file, fast());
    s.set("kept", Value::tuple({Value("x"), Value(2)}));
    s.set("gone", 1);
    s.save();
    CHECK_FALSE(s.has_unsaved_changes());
    s.erase("gone");
    s.set("late", 3);  // never saved: dropped with the session
    CHECK(s.has_unsaved_changes());
    CHECK(s.unsaved_keys() == std::vector<std::string>{"gone", "late"});
  }
  Session s(file, fast());
  CHECK(s.keys() == std::vector<std::string>{"gone", "kept"});
  CHECK(s.get("kept") == Value::tuple({Value("x"), Value(2)}));
  s.erase("gone");
  s.save();
  Session again(file, fast());
  CHECK(again.keys() == std::vector<std::string>{"kept"});
}

TEST_CASE("Session: the destructor drops unsaved changes and writes nothing") {
  ScratchDir dir;
  const auto file = dir / "a.pj";
  {
    Session s(file, fast());
    s.set("a", 1);
    s.save();
  }
  RawDb raw(file);
  const std::int64_t revision = raw.integer("SELECT value FROM meta WHERE name = 'revision'");
  {
    Session s(file, fast());
    s.set("a", 2);
    s.set("b", 3);
    s.erase("a");
  }
  CHECK(raw.integer("SELECT value FROM meta WHERE name = 'revision'") == revision);
  CHECK(raw.integer("SELECT count(*) FROM entries") == 1);
  Session s(file, fast());
  CHECK(s.get<int>("a") == 1);
  CHECK_FALSE(s.contains("b"));
}

TEST_CASE("Session: discard() shows the file as last seen") {
  ScratchDir dir;
  Session s(dir / "a.pj", fast());
  s.set("a", 1);
  s.set("b", 2);
  s.save();
  s.set("a", 10);
  s.erase("b");
  s.set("c", 3);
  CHECK(s.unsaved_keys() == std::vector<std::string>{"a", "b", "c"});
  s.discard();
  CHECK_FALSE(s.has_unsaved_changes());
  CHECK(s.keys() == std::vector<std::string>{"a", "b"});
  CHECK(s.get<int>("a") == 1);
  CHECK(s.get<int>("b") == 2);
  s.save();  // nothing to write
  CHECK(s.file_info().revision == 1);
}

TEST_CASE("Session: iteration yields (key, value) in key order and tolerates changes") {
  ScratchDir dir;
  Session s(dir / "a.pj", fast());
  CHECK(s.begin() == s.end());
  s.set("c", 3);
  s.set("a", 1);
  s.set("b", 2);
  std::vector<std::string> keys;
  std::int64_t sum = 0;
  for (const auto& [key, value] : s) {
    keys.push_back(key);
    sum += value.as_int();
  }
  CHECK(keys == std::vector<std::string>{"a", "b", "c"});
  CHECK(sum == 6);
  // Erasing the current key and adding later keys while iterating.
  keys.clear();
  for (auto it = s.begin(); it != s.end(); ++it) {
    const auto [key, value] = *it;
    keys.push_back(key);
    if (key == "a") {
      s.erase("a");
      s.set("d", 4);
    }
  }
  CHECK(keys == std::vector<std::string>{"a", "b", "c", "d"});
}

TEST_CASE("Session: entry_info and file_info") {
  ScratchDir dir;
  SessionOptions options = fast();
  options.app_name = "api-test";
  Session s(dir / "a.pj", options);
  s.set("a", Value::list({1}));
  auto info = s.entry_info("a");
  REQUIRE(info);
  CHECK(info->revision == 0);  // unsaved
  CHECK(info->protocol == 4);
  CHECK(info->pickle_size == picklejar::dumps(Value::list({1})).size());
  CHECK_FALSE(s.entry_info("b").has_value());
  s.save();
  info = s.entry_info("a");
  CHECK(info->revision == 1);
  CHECK(info->modified.time_since_epoch().count() > 0);

  const picklejar::SessionFileInfo file = s.file_info();
  CHECK(file.format_version == 2);
  CHECK(file.app_schema_version == 0);
  CHECK(file.revision == 1);
  CHECK(file.default_protocol == 4);
  CHECK(file.integrity_scheme == "sha256");
  CHECK_FALSE(file.key_id.has_value());
  CHECK(file.journal_mode == "wal");
  CHECK(file.synchronous == "normal");
  CHECK_FALSE(file.read_only);
  CHECK(file.created_by.rfind("picklejar-cpp ", 0) == 0);
  CHECK(file.writer == file.created_by);
  CHECK(file.writer_app == "api-test");
  CHECK(file.created <= file.modified);
}

TEST_CASE("Session: keys are UTF-8 without lone surrogates") {
  ScratchDir dir;
  Session s(dir / "a.pj", fast());
  CHECK_THROWS_AS(s.set("\xff", 1), picklejar::ValueError);
  CHECK_THROWS_AS(s.set("a\xed\xa0\x80", 1), picklejar::ValueError);  // U+D800
  s.set("\xed\x9f\xbf", 1);                                           // U+D7FF is fine
  s.set("emoji \xf0\x9f\x98\x80", 2);
  s.save();
  Session again(dir / "a.pj", fast());
  CHECK(again.get<int>("emoji \xf0\x9f\x98\x80") == 2);
}

TEST_CASE("Session: protocols: the option, the file's default, and what cannot be encoded") {
  ScratchDir dir;
  SessionOptions options = fast();
  options.protocol = 2;
  Session s(dir / "a.pj", options);  // a new file takes the option as its default
  s.set("a", 1);
  CHECK(s.entry_info("a")->protocol == 2);
  CHECK(s.file_info().default_protocol == 2);
  s.save();
  Session plain(dir / "a.pj", fast());  // no option: the file's default
  plain.set("b", 1);
  CHECK(plain.entry_info("b")->protocol == 2);

  SessionOptions zero = fast();
  zero.protocol = 0;
  Session text(dir / "a.pj", zero);
  // Protocol 0 writes ints as decimal text, which CPython limits to 4300 digits.
  const Value huge = Value::integer_from_decimal(std::string(5000, '7'));
  try {
    text.set("huge", huge);
    FAIL("set() of an int protocol 0 cannot write returned");
  } catch (const picklejar::EncodeError& e) {
    CHECK(std::string(e.what()).find("'huge'") != std::string::npos);
  }
  CHECK_FALSE(text.contains("huge"));
  CHECK_FALSE(text.has_unsaved_changes());
}

TEST_CASE("Session: read_only sessions refuse every write") {
  ScratchDir dir;
  const auto file = dir / "a.pj";
  {
    Session s(file, fast());
    s.set("a", 1);
    s.save();
  }
  const auto before = picklejar::test::snapshot(file);
  SessionOptions options;
  options.mode = OpenMode::read_only;
  Session s(file, options);
  CHECK(s.get<int>("a") == 1);
  CHECK(s.file_info().read_only);
  CHECK_THROWS_AS(s.set("a", 2), picklejar::StoreError);
  CHECK_THROWS_AS(s.erase("a"), picklejar::StoreError);
  CHECK_THROWS_AS(s.save(), picklejar::StoreError);
  CHECK_THROWS_AS(s.transact([](Session&) {}), picklejar::StoreError);
  CHECK_THROWS_AS(s.convert_protocol(2), picklejar::StoreError);
  CHECK(s.get<int>("a") == 1);
  s.load();
  CHECK(picklejar::test::snapshot(file) == before);
}

TEST_CASE("Session: open modes for a missing file") {
  ScratchDir dir;
  const auto file = dir / "missing.pj";
  for (const OpenMode mode : {OpenMode::read_write, OpenMode::read_only}) {
    SessionOptions options;
    options.mode = mode;
    CHECK_THROWS_AS(Session(file, options), picklejar::StoreError);
    CHECK_FALSE(std::filesystem::exists(file));
    CHECK_FALSE(std::filesystem::exists(dir / "missing.pj.lock"));
  }
  Session created(file);  // create is the default
  CHECK(std::filesystem::exists(file));
  SessionOptions options;
  options.mode = OpenMode::read_write;
  Session reopened(file, options);
  CHECK(reopened.empty());
}

TEST_CASE("Session: bad options are refused before anything is opened") {
  ScratchDir dir;
  const auto file = dir / "a.pj";
  SessionOptions options;
  options.protocol = 6;
  CHECK_THROWS_AS(Session(file, options), picklejar::ValueError);
  options.protocol = -1;
  CHECK_THROWS_AS(Session(file, options), picklejar::ValueError);
  options = {};
  options.lock_timeout = std::chrono::milliseconds(-1);
  CHECK_THROWS_AS(Session(file, options), picklejar::ValueError);
  options = {};
  options.migrations.push_back({0, 1, [](Session&) {}});  // no schema_version
  CHECK_THROWS_AS(Session(file, options), picklejar::ValueError);
  options.schema_version = 1;
  options.migrations.push_back({0, 2, [](Session&) {}});  // two starting at 0
  CHECK_THROWS_AS(Session(file, options), picklejar::ValueError);
  options.migrations = {{1, 1, [](Session&) {}}};  // not going up
  CHECK_THROWS_AS(Session(file, options), picklejar::ValueError);
  options.migrations = {{0, 1, nullptr}};  // no function
  CHECK_THROWS_AS(Session(file, options), picklejar::ValueError);
  CHECK_FALSE(std::filesystem::exists(file));
}

TEST_CASE("Session: move-only; moved-from and closed sessions refuse use") {
  ScratchDir dir;
  Session a = Session::open(dir / "a.pj", fast());
  a.set("x", 1);
  Session b(std::move(a));
  CHECK(b.get<int>("x") == 1);
  CHECK_THROWS_AS(a.size(), picklejar::StoreError);  // NOLINT(bugprone-use-after-move)
  Session c(dir / "c.pj", fast());
  c = std::move(b);
  CHECK(c.get<int>("x") == 1);
  CHECK(c.path() == dir / "a.pj");
  c.save();
  c.close();
  CHECK_THROWS_AS(c.get("x"), picklejar::StoreError);
  CHECK_THROWS_AS(c.close(), picklejar::StoreError);
  static_assert(!std::is_copy_constructible_v<Session>);
  static_assert(std::is_nothrow_move_constructible_v<Session>);
  static_assert(std::is_nothrow_destructible_v<Session>);
  Session d(dir / "a.pj", fast());
  CHECK(d.get<int>("x") == 1);
}

TEST_CASE("Session: find_pickle() and check_database()") {
  ScratchDir dir;
  const auto file = dir / "a.pj";
  Session s(file, fast());
  const Value list = Value::list({1, Value("two")});
  s.set("a", list);
  CHECK(s.find_pickle("a") == picklejar::dumps(list));  // unsaved entries too
  CHECK_FALSE(s.find_pickle("b").has_value());
  s.save();
  CHECK(s.check_database().empty());
  s.transact([](Session& t) { CHECK(t.check_database().empty()); });
  {
    RawDb raw(file);
    raw.exec_with_blob("UPDATE entries SET pickle = ?1 WHERE key = 'a'", "damaged");
  }
  Session other(file, fast());
  CHECK_THROWS_AS(other.find_pickle("a"), picklejar::IntegrityError);
  CHECK(other.find_pickle("a", false) == std::string("damaged"));
  CHECK(other.check_database().empty());  // SQLite's pages are sound; the digest is not
}

TEST_CASE("SqliteError says whether the file was busy rather than damaged") {
  using picklejar::SqliteError;
  CHECK(SqliteError("f", 5, "database is locked").busy());        // SQLITE_BUSY
  CHECK(SqliteError("f", 5 | (2 << 8), "snapshot").busy());       // SQLITE_BUSY_SNAPSHOT
  CHECK(SqliteError("f", 6, "database table is locked").busy());  // SQLITE_LOCKED
  CHECK_FALSE(SqliteError("f", 11, "database disk image is malformed").busy());  // CORRUPT
  CHECK_FALSE(SqliteError("f", 8 | (6 << 8), "readonly directory").busy());
  CHECK_FALSE(SqliteError("f", 10, "disk I/O error").busy());  // SQLITE_IOERR
}
