// Hostile schema objects (docs/FORMAT.md "Hardening"): a session file to which someone added a
// trigger, a view, a virtual table, a generated column, an index or a changed definition is
// refused at open — promptly, with FormatError naming the file and the object, the file left
// as it was — and nothing it defines runs: not at open, not at a later save (the schema is
// checked again when it changes), and not through a connection either (triggers and views
// are off, statements are bounded in time and values in size).

#include <doctest/doctest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <string>
#include <thread>

#include <picklejar/session.hpp>

#include "session_support.hpp"
#include "store/sqlite/schema_check.hpp"
#include "store/sqlite/sqlite.hpp"

using picklejar::FormatError;
using picklejar::OpenMode;
using picklejar::Session;
using picklejar::SessionOptions;
using picklejar::SqliteError;
using picklejar::Value;
using picklejar::test::fast;
using picklejar::test::RawDb;
using picklejar::test::ScratchDir;
using picklejar::test::snapshot;

namespace {

void make_session(const std::filesystem::path& file, const SessionOptions& options = {}) {
  Session s(file, options);
  s.set("a", Value::list({1, 2}));
  s.set("b", Value("text"));
  s.save();
}

// Opening `file` in every mode throws FormatError naming the file and `object`; the file is
// left exactly as it was.
void check_refused(const std::filesystem::path& file, const std::string& object,
                   SessionOptions options = {}) {
  const auto before = snapshot(file);
  REQUIRE(before.exists);
  for (const OpenMode mode : {OpenMode::create, OpenMode::read_write, OpenMode::read_only}) {
    CAPTURE(static_cast<int>(mode));
    options.mode = mode;
    try {
      Session s(file, options);
      FAIL("opened a file with a hostile schema");
    } catch (const FormatError& e) {
      const std::string what = e.what();
      CHECK(e.path() == file.string());
      CHECK_MESSAGE(what.find(file.string()) != std::string::npos, what);
      CHECK_MESSAGE(what.find(object) != std::string::npos, what);
    }
    CHECK(snapshot(file) == before);
  }
}

// A child process's outcome, bounded in time: its exit status (-1 when it was killed at the
// limit), its duration, its peak resident set and the parent's when it forked.
struct Outcome {
  int status = -1;
  double seconds = 0;
  long peak_rss_kb = 0;
  long parent_rss_kb = 0;
};

long current_rss_kb() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * (::sysconf(_SC_PAGESIZE) / 1024);
}

Outcome run_bounded(const std::function<int()>& body, std::chrono::seconds limit) {
  Outcome out;
  out.parent_rss_kb = current_rss_kb();
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = picklejar::test::fork_child(body);
  for (;;) {
    int status = 0;
    rusage usage{};
    const pid_t done = ::wait4(pid, &status, WNOHANG, &usage);
    const bool late = std::chrono::steady_clock::now() - start > limit;
    if (done != pid && late) {
      ::kill(pid, SIGKILL);
      ::wait4(pid, &status, 0, &usage);
    }
    if (done == pid || late) {
      if (done == pid)
        out.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      out.peak_rss_kb = usage.ru_maxrss;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

// In a child: opens `file` in `mode` and reads every entry. 0 when the open is refused with
// FormatError naming `object`, 2 when the file opened, 3 for another refusal.
int open_and_read(const std::filesystem::path& file, OpenMode mode, const std::string& object) {
  try {
    const Session s(file, fast(mode));
    for (const std::string& key : s.keys()) s.find(key);
    return 2;
  } catch (const FormatError& e) {
    return std::string(e.what()).find(object) != std::string::npos ? 0 : 3;
  }
}

const char* const kLootTrigger =
    "CREATE TABLE loot (key, pickle);"
    "CREATE TRIGGER steal AFTER INSERT ON entries BEGIN "
    "  INSERT INTO loot VALUES (NEW.key, NEW.pickle); END;"
    "CREATE TRIGGER steal_update AFTER UPDATE ON entries BEGIN "
    "  INSERT INTO loot VALUES (NEW.key, NEW.pickle); END";
const char* const kIgnoreTrigger =
    "CREATE TRIGGER drop_saves BEFORE INSERT ON entries BEGIN SELECT RAISE(IGNORE); END";
// Puts back the signed row every save would replace (an HMAC file cannot catch it: the old
// row verifies).
const char* const kRevertTrigger =
    "CREATE TABLE saved AS SELECT * FROM entries;"
    "CREATE TRIGGER revert AFTER UPDATE ON entries BEGIN "
    "  UPDATE entries SET pickle = (SELECT pickle FROM saved WHERE key = NEW.key), "
    "    digest = (SELECT digest FROM saved WHERE key = NEW.key) WHERE key = NEW.key; END";
// meta becomes a view that never ends (a recursive CTE without a bound).
const char* const kEndlessMeta =
    "ALTER TABLE meta RENAME TO meta_real;"
    "CREATE VIEW meta AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
    "  SELECT name, value FROM meta_real, n";

}  // namespace

TEST_CASE("Hostile schema: a trigger copying every save to a loot table is refused") {
  ScratchDir dir;
  const auto file = dir / "s.pj";
  make_session(file);
  RawDb(file).exec(kLootTrigger);
  check_refused(file, "trigger 'steal' on table 'entries'");
  CHECK(RawDb(file).integer("SELECT count(*) FROM loot") == 0);
  // Every offending object is listed, one line each (what `picklejar verify` prints).
  const auto problems = Session::schema_problems(file);
  REQUIRE(problems.size() == 2);
  CHECK(problems[0].starts_with("trigger 'steal' on table 'entries': triggers are never"));
  CHECK(problems[1].starts_with("trigger 'steal_update' on table 'entries'"));
}

TEST_CASE("Hostile schema: BEFORE INSERT RAISE(IGNORE) is refused, never a silent non-save") {
  ScratchDir dir;
  const auto file = dir / "s.pj";
  make_session(file);
  RawDb(file).exec(kIgnoreTrigger);
  check_refused(file, "trigger 'drop_saves' on table 'entries'");
}

TEST_CASE("Hostile schema: a trigger reverting saves in an HMAC file is refused") {
  ScratchDir dir;
  const auto file = dir / "s.pj";
  SessionOptions keyed;
  keyed.integrity_key = "secret";
  make_session(file, keyed);
  RawDb(file).exec(kRevertTrigger);
  check_refused(file, "trigger 'revert' on table 'entries'", keyed);
}

TEST_CASE("Hostile schema: a trigger added while a session is open never fires") {
  ScratchDir dir;
  const auto file = dir / "s.pj";
  SessionOptions keyed;
  keyed.integrity_key = "secret";
  make_session(file, keyed);
  for (const char* trigger : {kLootTrigger, kIgnoreTrigger, kRevertTrigger}) {
    CAPTURE(trigger);
    ScratchDir copy_dir;
    const auto copy = copy_dir / "s.pj";
    std::filesystem::copy_file(file, copy);
    Session s(copy, keyed);
    RawDb(copy).exec(trigger);  // another program, after the open
    s.set("secret", Value("password"));
    s.set("a", Value("changed"));
    // The save checks the schema again (it changed) and refuses; nothing is written.
    CHECK_THROWS_WITH_AS(s.save(), doctest::Contains("its schema is not a session file's"),
                         FormatError);
    RawDb raw(copy);
    CHECK(raw.integer("SELECT count(*) FROM entries WHERE key = 'secret'") == 0);
    CHECK(raw.integer("SELECT revision FROM entries WHERE key = 'a'") == 1);
    if (std::string(trigger) == kLootTrigger) CHECK(raw.integer("SELECT count(*) FROM loot") == 0);
  }
}

TEST_CASE("Hostile schema: a view in place of meta that never ends is refused promptly") {
  ScratchDir dir;
  const auto file = dir / "s.pj";
  make_session(file);
  RawDb(file).exec(kEndlessMeta);
  for (const OpenMode mode : {OpenMode::create, OpenMode::read_write, OpenMode::read_only}) {
    CAPTURE(static_cast<int>(mode));
    const Outcome out = run_bounded([&] { return open_and_read(file, mode, "view 'meta'"); },
                                    std::chrono::seconds(60));
    CHECK(out.status == 0);  // -1: still running after 60 s (today's main hangs forever)
    CHECK(out.seconds < 30);
  }
  const auto problems = Session::schema_problems(file);
  REQUIRE(problems.size() == 1);  // meta_real is a table the format does not know: allowed
  CHECK(problems[0] == "view 'meta': views are never part of a session file");
}

TEST_CASE("Hostile schema: zeroblob() through a view or a generated column costs nothing") {
  ScratchDir dir;
  struct Case {
    const char* name;
    const char* sql;
    const char* object;
  };
  const Case cases[] = {
      {"a view named entries",
       "ALTER TABLE entries RENAME TO entries_real;"
       "CREATE VIEW entries AS SELECT key, zeroblob(999000000) AS pickle, protocol, digest, "
       "  revision, modified_us FROM entries_real",
       "view 'entries'"},
      {"a generated pickle column",
       "CREATE TABLE e2 (key TEXT PRIMARY KEY NOT NULL, pickle BLOB AS (zeroblob(999000000)), "
       "  protocol INTEGER, digest BLOB, revision INTEGER, modified_us INTEGER);"
       "INSERT INTO e2 (key, protocol, digest, revision, modified_us) "
       "  SELECT key, protocol, digest, revision, modified_us FROM entries;"
       "DROP TABLE entries; ALTER TABLE e2 RENAME TO entries",
       "table 'entries'"},
  };
  for (const Case& c : cases) {
    CAPTURE(std::string(c.name));
    const auto file = dir / (std::string(c.name) + ".pj");
    make_session(file);
    RawDb(file).exec(c.sql);
    const Outcome out =
        run_bounded([&] { return open_and_read(file, OpenMode::read_only, c.object); },
                    std::chrono::seconds(60));
    MESSAGE(std::string(c.name) << ": refused in " << out.seconds << " s, peak RSS "
                                << out.peak_rss_kb / 1024 << " MiB (the test process had "
                                << out.parent_rss_kb / 1024 << " MiB)");
    CHECK(out.status == 0);
    CHECK(out.seconds < 30);
    CHECK(out.peak_rss_kb < out.parent_rss_kb + 64 * 1024);  // main: gigabytes, then bad_alloc
  }
}

TEST_CASE("Hostile schema: virtual tables, extra indexes and changed definitions are refused") {
  ScratchDir dir;
  struct Case {
    const char* name;
    const char* sql;
    const char* object;
  };
  const Case cases[] = {
      {"an FTS4 virtual table named entries",
       "ALTER TABLE entries RENAME TO old_entries;"
       "CREATE VIRTUAL TABLE entries USING fts4(key, pickle, protocol, digest, revision, "
       "  modified_us);"
       "INSERT INTO entries SELECT * FROM old_entries; DROP TABLE old_entries",
       "table 'entries': virtual tables are never part of a session file"},
      {"an index with a hostile expression",
       "CREATE INDEX trap ON entries (CASE WHEN key = 'trap' THEN zeroblob(500000000) END)",
       "index 'trap' on table 'entries'"},
      {"a plain extra index on entries", "CREATE INDEX by_time ON entries (modified_us)",
       "index 'by_time' on table 'entries': no index but the format's"},
      {"a CHECK constraint removed",
       "PRAGMA writable_schema = ON;"
       "UPDATE sqlite_master SET sql = replace(sql, 'CHECK (typeof(pickle) = ''blob'')', '') "
       "  WHERE name = 'entries'",
       "table 'entries': it differs from its definition"},
      {"a column added", "ALTER TABLE entries ADD COLUMN note TEXT",
       "table 'entries': it differs from its definition"},
      {"ON CONFLICT IGNORE in a column definition",
       "PRAGMA writable_schema = ON;"
       "UPDATE sqlite_master SET sql = replace(sql, 'key TEXT PRIMARY KEY NOT NULL', "
       "  'key TEXT PRIMARY KEY ON CONFLICT IGNORE NOT NULL') WHERE name = 'entries'",
       "table 'entries': it differs"},
      {"an index made partial",
       "DROP INDEX tombstones_revision;"
       "CREATE INDEX tombstones_revision ON tombstones (revision) WHERE revision > 5",
       "index 'tombstones_revision' on table 'tombstones'"},
      {"a missing index", "DROP INDEX entries_revision",
       "index 'entries_revision' on table 'entries': missing"},
      {"a generated column in a table the format does not know",
       "CREATE TABLE notes (a, b AS (zeroblob(a)))",
       "table 'notes': column 'b' is a generated column"},
      {"an expression index on a table the format does not know",
       "CREATE TABLE notes (a); CREATE INDEX notes_len ON notes (length(a))",
       "index 'notes_len' on table 'notes': it indexes an expression"},
      {"a trigger named like a table of the format",
       "CREATE TABLE log (x); CREATE TRIGGER meta AFTER DELETE ON tombstones BEGIN "
       "  INSERT INTO log VALUES (1); END",
       "trigger 'meta' on table 'tombstones'"},
  };
  for (const Case& c : cases) {
    CAPTURE(std::string(c.name));
    const auto file = dir / (std::string(c.name) + ".pj");
    make_session(file);
    RawDb(file).exec(c.sql);
    check_refused(file, c.object);
  }
}

TEST_CASE("Hostile schema: tables the format does not know, and reformatted SQL, are allowed") {
  ScratchDir dir;
  const auto file = dir / "s.pj";
  make_session(file);
  RawDb(file).exec(
      "CREATE TABLE app_notes (id INTEGER PRIMARY KEY, text TEXT UNIQUE);"
      "CREATE INDEX app_notes_text ON app_notes (text, id);"
      "PRAGMA writable_schema = ON;"
      // Whitespace differs from docs/FORMAT.md's text; the normalized SQL is the same.
      "UPDATE sqlite_master SET sql = 'CREATE TABLE meta(name TEXT PRIMARY KEY NOT NULL ,"
      "\n\tvalue ) WITHOUT ROWID' WHERE name = 'meta'");
  CHECK(Session::schema_problems(file).empty());
  Session s(file);
  CHECK(s.get("b") == Value("text"));
  s.set("c", 3);
  s.save();
  CHECK(s.check_database().empty());
}

TEST_CASE("Hostile schema: normalize_sql changes whitespace outside quotes only") {
  using picklejar::store::normalize_sql;
  CHECK(normalize_sql("  CREATE INDEX ix on x ( a , b ) ") == "CREATE INDEX ix on x(a,b)");
  CHECK(normalize_sql("CREATE TABLE t (\n  a TEXT,\n  b\n)") == "CREATE TABLE t(a TEXT,b)");
  CHECK(normalize_sql("CHECK (x = ' a  b ' AND \"c  d\" = [e  f] AND `g  h` = 'i''  j')") ==
        "CHECK(x = ' a  b ' AND \"c  d\" = [e  f] AND `g  h` = 'i''  j')");
  CHECK(normalize_sql("a - -1") == "a - -1");  // never "a --1", which starts a comment
  // The format's own objects are written in the normalized form's source.
  for (const auto& object : picklejar::store::format_objects(1))
    CHECK(normalize_sql(normalize_sql(object.sql)) == normalize_sql(object.sql));
  // Format 2 changed meta rows and digests, not the schema.
  const auto one = picklejar::store::format_objects(1);
  const auto two = picklejar::store::format_objects(2);
  REQUIRE(one.size() == two.size());
  for (std::size_t i = 0; i < one.size(); ++i) CHECK(one[i].sql == two[i].sql);
  CHECK(picklejar::store::format_objects(3).empty());
}

TEST_CASE("Hardened connections: triggers and views never run, settings are as documented") {
  ScratchDir dir;
  const auto file = dir / "s.pj";
  make_session(file);
  // A connection opened before the hostile objects exist: its own settings must stop them.
  const auto db = picklejar::store::Db::open(file, picklejar::store::Db::Access::read_write,
                                             picklejar::store::DbLimits{});
  for (const int option : {SQLITE_DBCONFIG_ENABLE_TRIGGER, SQLITE_DBCONFIG_ENABLE_VIEW,
                           SQLITE_DBCONFIG_TRUSTED_SCHEMA}) {
    int value = -1;
    REQUIRE(sqlite3_db_config(db->handle(), option, -1, &value) == SQLITE_OK);
    CHECK(value == 0);
  }
  int defensive = -1;
  REQUIRE(sqlite3_db_config(db->handle(), SQLITE_DBCONFIG_DEFENSIVE, -1, &defensive) == SQLITE_OK);
  CHECK(defensive == 1);
  CHECK(sqlite3_limit(db->handle(), SQLITE_LIMIT_LENGTH, -1) == 1'000'000'000);  // SQLite's cap
  RawDb(file).exec(std::string(kLootTrigger) + "; CREATE VIEW v AS SELECT 1");
  db->exec("INSERT INTO entries VALUES ('k', x'80044b012e', 4, zeroblob(32), 2, 0)");
  CHECK(RawDb(file).integer("SELECT count(*) FROM loot") == 0);
  CHECK(RawDb(file).integer("SELECT count(*) FROM entries WHERE key = 'k'") == 1);
  CHECK_THROWS_AS(db->exec("SELECT * FROM v"), SqliteError);
  // Defensive mode: the schema cannot be edited through this connection.
  CHECK_THROWS_AS(db->exec("PRAGMA writable_schema = ON; DELETE FROM sqlite_master"), SqliteError);
}

TEST_CASE("Hardened connections: statements are bounded in time and values in size") {
  ScratchDir dir;
  const auto file = dir / "s.pj";
  make_session(file);
  picklejar::store::DbLimits limits;
  limits.timeout = std::chrono::milliseconds(200);  // raised to kMinStatementTime (1 s)
  limits.max_value_bytes = 1 << 20;
  const auto db = picklejar::store::Db::open(file, picklejar::store::Db::Access::read_only, limits);
  const auto start = std::chrono::steady_clock::now();
  try {
    db->exec(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
        "SELECT count(*) FROM n");
    FAIL("an endless statement ended");
  } catch (const SqliteError& e) {
    CHECK(e.code() == SQLITE_INTERRUPT);
    CHECK(e.path() == file.string());
    CHECK_MESSAGE(std::string(e.what()).find("ran longer than 1000 ms") != std::string::npos,
                  e.what());
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(seconds >= 0.9);
  CHECK(seconds < 30);
  // The clock restarts for every statement: a short one after the interrupted one runs.
  db->exec("SELECT count(*) FROM entries");
  CHECK(sqlite3_limit(db->handle(), SQLITE_LIMIT_LENGTH, -1) == 1 << 20);
  CHECK_THROWS_WITH_AS(db->exec("SELECT zeroblob(2000000)"), doctest::Contains("too big"),
                       SqliteError);
  db->exec("SELECT zeroblob(1000000)");
}
