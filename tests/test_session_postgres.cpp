// What only a store on a PostgreSQL server does, or does differently (docs/FORMAT-POSTGRES.md):
// its URL, its row lock taken from raw clients, connections lost between and inside calls,
// C++ and Python processes sharing one store.

#include <doctest/doctest.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <exception>
#include <map>
#include <string>
#include <thread>

#include <fmt/format.h>

#include <picklejar/session.hpp>

#include "session_support.hpp"
#include "store/integrity.hpp"
#include "store_places.hpp"

using picklejar::Session;
using picklejar::SessionOptions;
using picklejar::test::FilePlace;
using picklejar::test::PostgresPlace;
using picklejar::test::RawPg;
using picklejar::test::store_of;

namespace {

std::string unique(const std::string& base) {
  return fmt::format("{}-{}-{}", base, ::getpid(), picklejar::test::next_store_number());
}

// Holds the row lock of store `name` (or of one entry row) until destroyed, as another
// writer would.
class RowLock {
 public:
  RowLock(const std::string& store, const std::string& entry_key = "") {
    raw_.text("BEGIN");
    if (entry_key.empty()) {
      raw_.text("SELECT 1 FROM picklejar.store WHERE name = $1 FOR UPDATE", store);
    } else {
      raw_.text(
          "SELECT 1 FROM picklejar.entry WHERE key = convert_to($2, 'UTF8') AND store_id = "
          "(SELECT store_id FROM picklejar.store WHERE name = $1) FOR UPDATE",
          store, entry_key);
    }
  }
  ~RowLock() { raw_.text("ROLLBACK"); }

 private:
  RawPg raw_;
};

std::string python_incrementer() {
  return "import os, sys, picklejar\n"
         "os.read(0, 3)  # start together\n"
         "with picklejar.Session(sys.argv[1], lock_timeout=120, durability='fast') as s:\n"
         "    for _ in range(int(sys.argv[2])):\n"
         "        with s.transact():\n"
         "            s['n'] = s.get('n', 0) + 1\n";
}

// Runs Debian's python3 on `script` with the package on its path, stdin from `input`.
pid_t spawn_python(const std::string& script, const std::string& url, int count, int input) {
  return picklejar::test::fork_child([&] {
    const char* package = std::getenv("PICKLEJAR_PYTHONPATH");
    if (package == nullptr) return 125;
    ::setenv("PYTHONPATH", package, 1);
    ::dup2(input, 0);
    const std::string n = std::to_string(count);
    ::execl("/usr/bin/python3", "python3", "-c", script.c_str(), url.c_str(), n.c_str(),
            static_cast<char*>(nullptr));
    return 127;
  });
}

}  // namespace

TEST_CASE("postgres: a store row of a newer format is refused, or read only when allowed") {
  PostgresPlace place;
  const std::string name = place.name("newer");
  { Session s(name); }
  RawPg raw;
  const std::string store = store_of(name);
  raw.text("UPDATE picklejar.store SET format_version = 3 WHERE name = $1", store);
  CHECK_THROWS_WITH_AS(Session{name}, doctest::Contains("format version 3"),
                       picklejar::FormatError);
  SessionOptions read_only;
  read_only.mode = picklejar::OpenMode::read_only;
  CHECK_NOTHROW(Session(name, read_only));
  raw.text("UPDATE picklejar.store SET min_reader_version = 3 WHERE name = $1", store);
  CHECK_THROWS_AS(Session(name, read_only), picklejar::FormatError);
}

TEST_CASE("postgres: the same value saved to a file and a store of one id: same pickle, digest") {
  // Digests are bound to the file id (docs/FORMAT.md "Integrity"): a store whose file_id is
  // the file's signs exactly as the file does.
  FilePlace file;
  PostgresPlace server;
  for (const bool keyed : {false, true}) {
    SessionOptions options;
    if (keyed) options.integrity_key = std::string(32, 'k');
    const std::string f = file.name(keyed ? "same-keyed" : "same");
    const std::string p = server.name("same");
    const picklejar::Value value = picklejar::to_value(std::map<std::string, int>{{"a", 1}});
    std::string id;
    { id = Session(f, options).file_info().file_id; }
    { const Session created(p, options); }
    RawPg().text("UPDATE picklejar.store SET file_id = decode($2, 'hex') WHERE name = $1",
                 store_of(p), id);
    for (const std::string& where : {f, p}) {
      Session s(where, options);
      CHECK(s.file_info().file_id == id);
      s.set("key", value);
      s.save();
    }
    Session a(f, options);
    Session b(p, options);
    CHECK(a.find_pickle("key") == b.find_pickle("key"));
    const std::string file_digest =
        picklejar::test::RawDb(f).text("SELECT hex(digest) FROM entries WHERE key = 'key'");
    RawPg raw;
    const std::string store_digest = raw.text(
        "SELECT upper(encode(digest, 'hex')) FROM picklejar.entry e JOIN picklejar.store s "
        "USING (store_id) WHERE s.name = $1 AND e.key = 'key'::bytea",
        store_of(p));
    CHECK(file_digest.size() == 64);
    CHECK(file_digest == store_digest);
  }
}

TEST_CASE("postgres: the URL names the store; a password is never shown") {
  const std::string password = "pw-never-shown-4711";
  const std::string port = std::getenv("PGPORT") ? std::getenv("PGPORT") : "";
  REQUIRE_FALSE(port.empty());
  // The test server refuses this password: the error names the store, not the password.
  const std::string url =
      fmt::format("postgresql://picklejar:{}@127.0.0.1:{}/postgres?store=secret&passfile=/dev/null",
                  password, port);
  try {
    Session s(url);
    FAIL("a wrong password was accepted");
  } catch (const picklejar::ServerError& e) {
    CHECK(std::string(e.what()).find(password) == std::string::npos);
    CHECK(e.path().find(password) == std::string::npos);
    CHECK(std::string(e.what()).find("store=secret") != std::string::npos);
    CHECK(std::string(e.what()).find("127.0.0.1:" + port) != std::string::npos);
  }
  // A URL without store=, or with two.
  for (const std::string& bad : {"postgresql://127.0.0.1:" + port + "/postgres",
                                 "postgresql://u:" + password + "@h/db?store=a&store=b"}) {
    try {
      Session s(bad);
      FAIL("opened " << bad);
    } catch (const picklejar::StoreError& e) {
      CHECK(std::string(e.what()).find("store=NAME") != std::string::npos);
      CHECK(std::string(e.what()).find(password) == std::string::npos);
    }
  }
  // A store that does not exist, opened read_write: the message names server and store.
  SessionOptions existing;
  existing.mode = picklejar::OpenMode::read_write;
  CHECK_THROWS_WITH_AS(Session(PostgresPlace().name("missing"), existing),
                       doctest::Contains("no such store"), picklejar::StoreError);
  // Opened with the password in the URL (as the server's user: its real password is in
  // PGPASSFILE), the session's name is the URL without it.
  Session s(PostgresPlace().name("named"));
  CHECK(s.path().string().starts_with("postgresql://picklejar@127.0.0.1:" + port +
                                      "/postgres?store=named-"));
  CHECK(s.file_info().journal_mode == "postgresql");
}

TEST_CASE("postgres: what only a file can do says so; keys are at most 2,048 bytes") {
  PostgresPlace place;
  Session s(place.name("fileonly"));
  CHECK_THROWS_WITH_AS(s.vacuum(), doctest::Contains("PostgreSQL"), picklejar::StoreError);
  CHECK_THROWS_AS(s.backup_to("/tmp/never-written.pj"), picklejar::StoreError);
  CHECK_THROWS_WITH_AS(s.check_database(), doctest::Contains("pg_dump"), picklejar::StoreError);
  SessionOptions backups;
  backups.keep_backups = 2;
  CHECK_THROWS_AS(Session(place.name("backups"), backups), picklejar::StoreError);
  s.set("short", 1);
  s.set(std::string(2049, 'k'), 2);
  CHECK_THROWS_AS(s.save(), picklejar::StoreError);
  CHECK(Session(s.path()).size() == 0);  // nothing of that save was written
}

TEST_CASE("postgres: writers wait for the store row's lock up to lock_timeout, readers never") {
  PostgresPlace place;
  const std::string name = place.name("locked");
  SessionOptions brief;
  brief.lock_timeout = std::chrono::milliseconds(300);
  Session s(name, brief);
  s.set("k", 1);
  s.save();
  {
    RowLock held(store_of(name));
    s.set("k", 2);
    try {
      s.save();
      FAIL("no LockTimeout");
    } catch (const picklejar::LockTimeout& e) {
      CHECK(std::string(e.what()).find("store=" + store_of(name)) != std::string::npos);
      CHECK(e.path() == s.path().string());
    }
    CHECK(s.has_unsaved_changes());
    CHECK_THROWS_AS(s.transact([](Session& t) { t.set("t", 1); }), picklejar::LockTimeout);
    CHECK_FALSE(s.contains("t"));
    SessionOptions migrating = brief;
    migrating.schema_version = 1;
    migrating.migrations = {{0, 1, [](Session& m) { m.set("m", 1); }}};
    CHECK_THROWS_AS(Session(name, migrating), picklejar::LockTimeout);
    // Readers take no lock: a new session opens and loads while the row is locked.
    Session reader(name, brief);
    CHECK(reader.get<int>("k") == 1);
    CHECK_NOTHROW(reader.load());
  }
  s.save();  // the changes stayed pending
  CHECK(Session(name).get<int>("k") == 2);
}

TEST_CASE("postgres: a connection lost between calls is opened again on the next call") {
  const std::string store = unique("reconnect");
  const std::string application = "pj-reconnect-" + std::to_string(::getpid());
  const std::string url = PostgresPlace::url(store, application);
  Session s(url);
  Session other(PostgresPlace::url(store, "picklejar-tests"));
  RawPg raw;
  CHECK(picklejar::test::terminate_connections(raw, application) == 1);
  s.set("a", 1);
  s.save();  // on a new connection
  CHECK(picklejar::test::terminate_connections(raw, application) == 1);
  CHECK(s.changed() == false);
  other.set("b", 2);
  other.save();
  CHECK(picklejar::test::terminate_connections(raw, application) == 1);
  CHECK(s.load().added == std::vector<std::string>{"b"});
  CHECK(picklejar::test::terminate_connections(raw, application) == 1);
  CHECK(s.increment("n") == 1);
  CHECK(Session(url).get<int>("a") == 1);
}

TEST_CASE("postgres: a connection lost during a save fails it; nothing is half-written") {
  const std::string store = unique("lost");
  const std::string application = "pj-lost-" + std::to_string(::getpid());
  const std::string url = PostgresPlace::url(store, application);
  Session s(url);
  s.set("m", 0);
  s.save();
  for (const char c : std::string("abcdefghijklmnopqrstuvwxyz")) s.set(std::string(1, c), 1);
  RawPg raw;
  std::exception_ptr failure;
  {
    // Another client holds entry "m": the save writes a..l, then waits there.
    RowLock entry_m(store, "m");
    std::thread saver([&s, &failure] {
      try {
        s.save();
      } catch (...) {
        failure = std::current_exception();
      }
    });
    const bool blocked = picklejar::test::wait_until_blocked(raw, application);
    if (blocked)
      raw.text(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
          "application_name = $1",
          application);
    saver.join();
    REQUIRE(blocked);
  }
  REQUIRE(failure != nullptr);
  try {
    std::rethrow_exception(failure);
  } catch (const picklejar::ServerError& e) {
    CHECK(std::string(e.what()).find("store=" + store) != std::string::npos);
  }
  CHECK(raw.text("SELECT count(*) FROM picklejar.entry WHERE store_id = (SELECT store_id FROM "
                 "picklejar.store WHERE name = $1)",
                 store) == "1");
  CHECK(s.has_unsaved_changes());
  s.save();  // retried, on a new connection
  CHECK(Session(url).size() == 26);
}

TEST_CASE("postgres: a client killed during a save with rows written leaves nothing") {
  const std::string store = unique("killed-save");
  const std::string application = "pj-killed-" + std::to_string(::getpid());
  const std::string url = PostgresPlace::url(store, application);
  {
    Session s(url);
    s.set("m", 0);
    s.save();
  }
  RawPg raw;
  pid_t child = 0;
  {
    RowLock entry_m(store, "m");
    child = picklejar::test::fork_child([&url] {
      Session s(url);
      for (const char c : std::string("abcdefghijklmnopqrstuvwxyz")) s.set(std::string(1, c), 1);
      s.save();
      return 0;
    });
    REQUIRE(picklejar::test::wait_until_blocked(raw, application));
    ::kill(child, SIGKILL);
    CHECK(picklejar::test::wait_child(child) == 128 + SIGKILL);
  }  // entry "m" released: the server finds its client gone and rolls back
  SessionOptions patient;
  patient.lock_timeout = std::chrono::seconds(60);
  Session after(PostgresPlace::url(store, "picklejar-tests"), patient);
  CHECK(after.increment("n") == 1);
  CHECK(after.keys() == std::vector<std::string>{"m", "n"});
}

TEST_CASE("postgres: 3 C++ and 3 Python processes x 1,000 transact() count exactly 6,000") {
  const std::string url = PostgresPlace().name("mixed");
  { Session s(url); }
  picklejar::test::Signal go;
  int start[2];
  REQUIRE(::pipe(start) == 0);
  std::vector<pid_t> children;
  for (int i = 0; i < 3; ++i)
    children.push_back(picklejar::test::fork_child([&url, &go] {
      SessionOptions options;
      options.durability = picklejar::Durability::fast;
      options.lock_timeout = std::chrono::seconds(120);
      Session s(url, options);
      go.wait();
      for (int n = 0; n < 1000; ++n)
        s.transact([](Session& t) { t.set("n", t.get_or("n", 0) + 1); });
      return 0;
    }));
  for (int i = 0; i < 3; ++i)
    children.push_back(spawn_python(python_incrementer(), url, 1000, start[0]));
  ::close(start[0]);
  for (int i = 0; i < 3; ++i) go.notify();
  REQUIRE(::write(start[1], "go\ngo\ngo\n", 9) == 9);
  ::close(start[1]);
  for (pid_t child : children) CHECK(picklejar::test::wait_child(child) == 0);
  Session s(url);
  CHECK(s.get<int>("n") == 6000);
  CHECK(s.file_info().revision == 6000);
}

TEST_CASE("postgres: a change set larger than one statement's arrays is saved whole, at once") {
  // 3 x 12 MiB of pickles: more than one put_entries statement takes (32 MiB), so the save
  // sends them in runs; the keys erased go in the same revision.
  const std::string url = PostgresPlace().name("chunked");
  Session s(url);
  for (int i = 0; i < 50; ++i) s.set(fmt::format("small{}", i), i);
  s.save();
  for (int i = 0; i < 3; ++i)
    s.set(fmt::format("big{}", i), picklejar::Value::bytes(std::string(12 << 20, char('a' + i))));
  for (int i = 0; i < 50; ++i) s.set(fmt::format("small{}", i), i + 100);
  s.erase("small7");
  s.erase("never-there");
  s.save();
  Session other(url);
  CHECK(other.file_info().revision == 2);
  CHECK(other.size() == 52);
  for (int i = 0; i < 3; ++i)
    CHECK(other.get(fmt::format("big{}", i)).as_bytes_view() ==
          std::string(12 << 20, char('a' + i)));
  CHECK(other.get<int>("small49") == 149);
  CHECK_FALSE(other.contains("small7"));
  RawPg raw;
  CHECK(raw.text("SELECT count(*) FROM picklejar.tombstone t JOIN picklejar.store s USING "
                 "(store_id) WHERE s.name = $1 AND t.revision = 2",
                 store_of(url)) == "1");
}

TEST_CASE("postgres: a store of format 1 is upgraded by a writable open, under its row lock") {
  // As format 1 left it: the row at 1 and every digest signed with the key itself; one entry
  // damaged. A writable open signs the good ones for the store's file_id, leaves the damaged
  // one failing, and moves the row to format 2; a read-only open of format 1 is refused.
  PostgresPlace place;
  const std::string name = place.name("format-1");
  const std::string key = "pg upgrade key";
  SessionOptions options;
  options.integrity_key = key;
  std::string id;
  {
    Session s(name, options);
    s.set("good", std::vector<int>{1, 2});
    s.set("also", "fine");
    s.set("bad", 3);
    s.save();
    id = s.file_info().file_id;
  }
  RawPg raw;
  const std::string store = store_of(name);
  raw.text("UPDATE picklejar.store SET format_version = 1, min_reader_version = 1 WHERE name = $1",
           store);
  const picklejar::store::Signer format1(std::string_view{key});  // no file id: format 1's rule
  for (const std::string entry : {"good", "also"}) {
    const std::string pickle_hex = raw.text(
        "SELECT encode(pickle, 'hex') FROM picklejar.entry WHERE key = convert_to($2, 'UTF8') "
        "AND store_id = (SELECT store_id FROM picklejar.store WHERE name = $1)",
        store, entry);
    std::string pickle;
    for (std::size_t i = 0; i < pickle_hex.size(); i += 2)
      pickle += static_cast<char>(std::stoi(pickle_hex.substr(i, 2), nullptr, 16));
    const auto digest = format1.digest(entry, pickle);
    std::string digest_hex;
    for (const unsigned char b : digest) digest_hex += fmt::format("{:02x}", b);
    raw.text(
        "UPDATE picklejar.entry SET digest = decode($3, 'hex') WHERE key = "
        "convert_to($2, 'UTF8') AND store_id = (SELECT store_id FROM picklejar.store "
        "WHERE name = $1)",
        store, entry, digest_hex);
  }
  raw.text(
      "UPDATE picklejar.entry SET digest = decode(repeat('00', 32), 'hex') WHERE key = "
      "'bad'::bytea AND store_id = (SELECT store_id FROM picklejar.store WHERE name = $1)",
      store);
  SessionOptions read_only = options;
  read_only.mode = picklejar::OpenMode::read_only;
  CHECK_THROWS_WITH_AS(Session(name, read_only), doctest::Contains("must first be upgraded"),
                       picklejar::FormatError);
  CHECK(raw.text("SELECT format_version FROM picklejar.store WHERE name = $1", store) == "1");

  Session s(name, options);
  CHECK(s.file_info().format_version == 2);
  CHECK(s.file_info().revision == 2);
  CHECK(s.file_info().file_id == id);  // the store keeps its id
  CHECK(s.get<std::vector<int>>("good") == std::vector<int>{1, 2});
  CHECK(s.get<std::string>("also") == "fine");
  CHECK_THROWS_WITH_AS((void)s.find("bad"), doctest::Contains("'bad'"), picklejar::IntegrityError);
  CHECK(raw.text("SELECT format_version || ' ' || min_reader_version FROM picklejar.store "
                 "WHERE name = $1",
                 store) == "2 2");
  const auto entry_revision = [&](const char* entry) {
    return raw.text(
        "SELECT revision FROM picklejar.entry WHERE key = convert_to($2, 'UTF8') "
        "AND store_id = (SELECT store_id FROM picklejar.store WHERE name = $1)",
        store, std::string(entry));
  };
  CHECK(entry_revision("good") == "2");
  CHECK(entry_revision("bad") == "1");
  CHECK(raw.text("SELECT encode(digest, 'hex') FROM picklejar.entry WHERE key = 'bad'::bytea "
                 "AND store_id = (SELECT store_id FROM picklejar.store WHERE name = $1)",
                 store) == std::string(64, '0'));
  Session again(name, read_only);
  CHECK(again.get<std::string>("also") == "fine");
}
