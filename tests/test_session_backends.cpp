// The Session's behaviour, the same on every backend: each case runs against a session file
// and against a store on the private PostgreSQL server (tests/store_places.hpp), across
// sessions and across forked processes.

#include <doctest/doctest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <picklejar/session.hpp>

#include "session_support.hpp"
#include "store_places.hpp"

using picklejar::Session;
using picklejar::SessionOptions;
using picklejar::test::fast;
using picklejar::test::FilePlace;
using picklejar::test::patient;
using picklejar::test::PostgresPlace;
using picklejar::test::RawDb;
using picklejar::test::RawPg;

namespace {

// Replaces the stored pickle of `key` (as any writer of the database could), leaving its
// digest.
void tamper(const FilePlace&, const std::string& name, const std::string& key,
            const std::string& pickle) {
  RawDb(name).exec_with_blob("UPDATE entries SET pickle = ?1 WHERE key = '" + key + "'", pickle);
}
void tamper(const PostgresPlace&, const std::string& name, const std::string& key,
            const std::string& pickle) {
  RawPg raw;
  std::string hex;
  for (const char c : pickle) hex += fmt::format("{:02x}", static_cast<unsigned char>(c));
  raw.text(
      "UPDATE picklejar.entry SET pickle = decode($3, 'hex') WHERE key = convert_to($2, "
      "'UTF8') AND store_id = (SELECT store_id FROM picklejar.store WHERE name = $1)",
      picklejar::test::store_of(name), key, hex);
}

}  // namespace

TEST_CASE_TEMPLATE("a save is seen by other sessions, load() says what changed", Place, FilePlace,
                   PostgresPlace) {
  Place place;
  const std::string name = place.name("basic");
  Session a(name, fast());
  Session b(name, fast());
  a.set("x", 1);
  a.set("y", std::string("text"));
  CHECK(b.size() == 0);
  a.save();
  CHECK_FALSE(a.has_unsaved_changes());
  CHECK(b.changed());
  CHECK_FALSE(a.changed());  // its own save is no news to it
  picklejar::Changes changes = b.load();
  CHECK(changes.added == std::vector<std::string>{"x", "y"});
  CHECK(changes.since_revision == 0);
  CHECK(changes.revision == 1);
  CHECK(b.get<int>("x") == 1);
  CHECK(b.get<std::string>("y") == "text");
  CHECK_FALSE(b.changed());
  a.erase("x");
  a.set("y", std::string("other"));
  a.save();
  changes = b.load();
  CHECK(changes.removed == std::vector<std::string>{"x"});
  CHECK(changes.changed == std::vector<std::string>{"y"});
  CHECK_FALSE(b.contains("x"));
  a.discard();
  Session c(name, fast());  // a new session reads the store as it is
  CHECK(c.keys() == std::vector<std::string>{"y"});
  CHECK(c.file_info().revision == 2);
  CHECK(c.file_info().entries == 1);
}

TEST_CASE_TEMPLATE("keys are any UTF-8, ordered by code point; bulk changes", Place, FilePlace,
                   PostgresPlace) {
  Place place;
  const std::string name = place.name("keys");
  const std::string nul("a\0b", 3);
  const std::vector<std::string> keys = {"Z", "a", nul, "\xc3\xa9", "\xf0\x9f\x98\x80"};
  {
    Session s(name, fast());
    for (const std::string& key : keys) s.set(key, key.size());
    s.set("prefix/1", 1);
    s.set("prefix/2", 2);
    s.save();
  }
  Session s(name, fast());
  std::vector<std::string> expected = keys;
  expected.push_back("prefix/1");
  expected.push_back("prefix/2");
  std::sort(expected.begin(), expected.end());
  CHECK(s.keys() == expected);
  CHECK(s.get<int>(nul) == 3);
  CHECK(s.erase_prefix("prefix/") == 2);
  s.save();
  Session t(name, fast());
  CHECK(t.size() == keys.size());
  t.clear();
  t.save();
  CHECK(Session(name, fast()).size() == 0);
  CHECK(s.load().removed.size() == keys.size());
}

TEST_CASE_TEMPLATE("transact() and increment() serialize sessions", Place, FilePlace,
                   PostgresPlace) {
  Place place;
  const std::string name = place.name("transact");
  Session a(name, fast());
  Session b(name, fast());
  for (int i = 0; i < 10; ++i) {
    a.transact([](Session& t) { t.set("n", t.get_or("n", 0) + 1); });
    b.increment("n");
  }
  a.load();
  CHECK(a.get<int>("n") == 20);
  const std::int64_t revision = a.file_info().revision;
  // An exception in fn writes nothing and undoes fn's changes.
  CHECK_THROWS_AS(a.transact([](Session& t) {
    t.set("n", 1000);
    throw std::runtime_error("no");
  }),
                  std::runtime_error);
  CHECK(a.get<int>("n") == 20);
  CHECK_FALSE(a.has_unsaved_changes());
  // A transaction that changes nothing moves no revision.
  a.transact([](Session& t) { CHECK(t.get<int>("n") == 20); });
  CHECK(Session(name, fast()).file_info().revision == revision);
  CHECK(a.add("once", 1));
  CHECK_FALSE(b.add("once", 2));
}

TEST_CASE_TEMPLATE("strict conflicts name the keys and write nothing", Place, FilePlace,
                   PostgresPlace) {
  Place place;
  const std::string name = place.name("conflict");
  SessionOptions strict = fast();
  strict.conflicts = picklejar::ConflictPolicy::strict;
  Session a(name, strict);
  Session b(name, strict);
  a.set("k", 1);
  a.save();
  b.load();
  a.set("k", 2);
  a.save();
  b.set("k", 3);
  b.set("other", 4);
  try {
    b.save();
    FAIL("no ConflictError");
  } catch (const picklejar::ConflictError& e) {
    CHECK(e.keys() == std::vector<std::string>{"k"});
  }
  CHECK(b.has_unsaved_changes());
  Session c(name, fast());
  CHECK(c.get<int>("k") == 2);
  CHECK_FALSE(c.contains("other"));
}

TEST_CASE_TEMPLATE("a session waiting for a change wakes on another's save", Place, FilePlace,
                   PostgresPlace) {
  Place place;
  const std::string name = place.name("wait");
  Session watcher(name, fast());
  CHECK(watcher.wait_for_change(std::chrono::milliseconds(0)).empty());
  std::thread writer([&name] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    Session w(name, fast());
    w.set("k", 1);
    w.save();
  });
  const picklejar::Changes changes = watcher.wait_for_change(std::chrono::seconds(60));
  writer.join();
  CHECK(changes.added == std::vector<std::string>{"k"});
}

TEST_CASE_TEMPLATE("the integrity key is checked at open and entries verify", Place, FilePlace,
                   PostgresPlace) {
  Place place;
  const std::string name = place.name("keyed");
  SessionOptions keyed = fast();
  keyed.integrity_key = std::string(32, 'k');
  {
    Session s(name, keyed);
    s.set("k", 1);
    s.save();
  }
  CHECK_THROWS_AS(Session(name, fast()), picklejar::IntegrityError);
  SessionOptions other = keyed;
  other.integrity_key = std::string(32, 'o');
  CHECK_THROWS_AS(Session(name, other), picklejar::IntegrityError);
  Session s(name, keyed);
  CHECK(s.get<int>("k") == 1);
  CHECK(s.file_info().integrity_scheme == "hmac-sha256");
}

TEST_CASE_TEMPLATE("a tampered pickle is refused before it is decoded", Place, FilePlace,
                   PostgresPlace) {
  Place place;
  const std::string name = place.name("tampered");
  {
    Session s(name, fast());
    s.set("k", std::vector<int>{1, 2, 3});
    s.set("ok", 1);
    s.save();
  }
  // A pickle that would fail to decode: the digest check must come first.
  tamper(place, name, "k", std::string("\x80\x04\x95\xff", 4));
  Session s(name, fast());
  try {
    s.get("k");
    FAIL("a tampered entry was returned");
  } catch (const picklejar::IntegrityError& e) {
    CHECK(e.key() == std::optional<std::string>("k"));
  }
  CHECK(s.get<int>("ok") == 1);
}

TEST_CASE_TEMPLATE("app schema migrations run once, roll back on error, refuse newer", Place,
                   FilePlace, PostgresPlace) {
  Place place;
  const std::string name = place.name("schema");
  {
    Session s(name, fast());
    s.set("v", 1);
    s.save();
  }
  SessionOptions failing = fast();
  failing.schema_version = 2;
  failing.migrations = {{0, 1, [](Session& s) { s.set("v", 10); }},
                        {1, 2, [](Session&) { throw std::runtime_error("step 2 fails"); }}};
  CHECK_THROWS_AS(Session(name, failing), std::runtime_error);
  CHECK(Session(name, fast()).get<int>("v") == 1);  // nothing of step 1 stayed
  SessionOptions two = fast();
  two.schema_version = 2;
  two.migrations = {{0, 2, [](Session& s) { s.set("v", s.get<int>("v") + 1); }}};
  {
    Session s(name, two);
    CHECK(s.get<int>("v") == 2);
    CHECK(s.file_info().app_schema_version == 2);
  }
  CHECK(Session(name, two).get<int>("v") == 2);  // not again
  SessionOptions one = fast();
  one.schema_version = 1;
  CHECK_THROWS_AS(Session(name, one), picklejar::FormatError);
}

TEST_CASE_TEMPLATE("a migration raced by 4 processes runs once", Place, FilePlace, PostgresPlace) {
  Place place;
  const std::string name = place.name("migrate");
  {
    Session s(name, fast());
    s.set("runs", 0);
    s.save();
  }
  picklejar::test::Signal go;
  std::vector<pid_t> children;
  for (int i = 0; i < 4; ++i)
    children.push_back(picklejar::test::fork_child([&name, &go] {
      SessionOptions options = patient();
      options.schema_version = 1;
      options.migrations = {{0, 1, [](Session& s) { s.set("runs", s.get<int>("runs") + 1); }}};
      go.wait();
      Session s(name, options);
      return s.get<int>("runs") == 1 ? 0 : 2;
    }));
  for (int i = 0; i < 4; ++i) go.notify();
  for (pid_t child : children) CHECK(picklejar::test::wait_child(child) == 0);
  Session s(name, fast());
  CHECK(s.get<int>("runs") == 1);
  CHECK(s.file_info().app_schema_version == 1);
}

TEST_CASE_TEMPLATE("3 processes x 1,000 transact() increments count exactly 3,000", Place,
                   FilePlace, PostgresPlace) {
  Place place;
  const std::string name = place.name("count");
  { Session s(name, fast()); }
  picklejar::test::Signal go;
  std::vector<pid_t> children;
  for (int i = 0; i < 3; ++i)
    children.push_back(picklejar::test::fork_child([&name, &go] {
      Session s(name, patient());
      go.wait();
      for (int n = 0; n < 1000; ++n)
        s.transact([](Session& t) { t.set("n", t.get_or("n", 0) + 1); });
      return 0;
    }));
  for (int i = 0; i < 3; ++i) go.notify();
  for (pid_t child : children) CHECK(picklejar::test::wait_child(child) == 0);
  Session s(name, fast());
  CHECK(s.get<int>("n") == 3000);
  CHECK(s.file_info().revision == 3000);
}

TEST_CASE_TEMPLATE("a process killed holding the store's lock blocks nobody, leaves nothing", Place,
                   FilePlace, PostgresPlace) {
  Place place;
  const std::string name = place.name("killed");
  {
    Session s(name, fast());
    s.set("n", 1);
    s.save();
  }
  picklejar::test::Signal holding;
  const pid_t child = picklejar::test::fork_child([&name, &holding] {
    Session s(name, fast());
    s.transact([&holding](Session& t) {
      t.set("n", 99);
      t.set("half", 1);
      holding.notify();
      ::pause();  // killed here, inside the transaction
    });
    return 0;
  });
  holding.wait();
  // While it holds the lock, a writer times out naming the store.
  SessionOptions brief = fast();
  brief.lock_timeout = std::chrono::milliseconds(200);
  Session s(name, brief);
  try {
    s.increment("n");
    FAIL("no LockTimeout while another process holds the lock");
  } catch (const picklejar::LockTimeout& e) {
    CHECK(std::string(e.what()).find(s.path().string()) != std::string::npos);
  }
  CHECK(s.get<int>("n") == 1);  // reads wait for no writer
  ::kill(child, SIGKILL);
  CHECK(picklejar::test::wait_child(child) == 128 + SIGKILL);
  Session after(name, patient());
  CHECK(after.increment("n") == 2);  // the killed transaction's 99 never landed
  CHECK_FALSE(after.contains("half"));
}
