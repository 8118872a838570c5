// The transactions a store's session runs on the server (docs/FORMAT-POSTGRES.md "Reading"
// and "Writing"), observed from the server's side: durability is the session's own
// transactions' synchronous_commit, whatever the connection's default; a read is one
// REPEATABLE READ snapshot, so a commit landing in the middle of it is not half seen.
// Each test has a database of its own: the triggers and table locks it sets up would reach
// the other tests' stores in the shared one.

#include <doctest/doctest.h>
#include <unistd.h>

#include <atomic>
#include <exception>
#include <string>
#include <thread>

#include <picklejar/session.hpp>

#include "store_places.hpp"

using picklejar::Durability;
using picklejar::Session;
using picklejar::SessionOptions;
using picklejar::test::PostgresPlace;
using picklejar::test::RawPg;

namespace {

// A database created for one test, dropped (its connections ended) after it.
class ScratchDatabase {
 public:
  explicit ScratchDatabase(const std::string& purpose)
      : name_(
            fmt::format("pj_{}_{}_{}", purpose, ::getpid(), picklejar::test::next_store_number())) {
    admin_.text("CREATE DATABASE " + name_);  // a name made of [a-z0-9_] above
  }
  ~ScratchDatabase() { admin_.text("DROP DATABASE " + name_ + " WITH (FORCE)"); }
  ScratchDatabase(const ScratchDatabase&) = delete;
  ScratchDatabase& operator=(const ScratchDatabase&) = delete;

  std::string server() const { return PostgresPlace::server(name_.c_str()); }
  // A store URL in this database; `extra` is more of the URL's query ("&name=value").
  std::string url(const std::string& store, const std::string& extra = "") const {
    return fmt::format("{}?store={}{}", server(), store, extra);
  }

 private:
  RawPg admin_;
  std::string name_;
};

SessionOptions with(Durability durability) {
  SessionOptions o;
  o.durability = durability;
  return o;
}

}  // namespace

TEST_CASE("postgres: durable writes commit with synchronous_commit on, fast ones with off") {
  ScratchDatabase db("sync");
  { Session create(db.url("s")); }  // the tables
  RawPg raw(db.server());
  // Every write transaction updates the store's row: the trigger notes the setting it runs
  // under, as the server applies it to that transaction.
  raw.text("CREATE TABLE seen (n serial, setting text)");
  raw.text(
      "CREATE FUNCTION note() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
      "INSERT INTO seen (setting) VALUES (current_setting('synchronous_commit')); "
      "RETURN NEW; END $$");
  raw.text(
      "CREATE TRIGGER note AFTER UPDATE ON picklejar.store FOR EACH ROW EXECUTE "
      "FUNCTION note()");
  const auto last_seen = [&raw] {
    return raw.text("SELECT setting FROM seen ORDER BY n DESC LIMIT 1");
  };
  // The connection's own default is the opposite of what each session asks for.
  const std::string default_off = "&options=-csynchronous_commit%3Doff";
  const std::string default_on = "&options=-csynchronous_commit%3Don";
  SUBCASE("durable") {
    Session s(db.url("s", default_off), with(Durability::durable));
    s.set("k", 1);
    s.save();
    CHECK(last_seen() == "on");
    s.transact([](Session& t) { t.set("k", 2); });
    CHECK(last_seen() == "on");
    CHECK(raw.text("SELECT count(*) FROM seen") == "2");
  }
  SUBCASE("fast") {
    Session s(db.url("s", default_on), with(Durability::fast));
    s.set("k", 1);
    s.save();
    CHECK(last_seen() == "off");
    s.transact([](Session& t) { t.set("k", 2); });
    CHECK(last_seen() == "off");
    CHECK(raw.text("SELECT count(*) FROM seen") == "2");
  }
}

TEST_CASE("postgres: a load that spans another client's commit sees one revision, not part") {
  ScratchDatabase db("snapshot");
  const std::string application = fmt::format("pj-snapshot-{}", ::getpid());
  Session writer(db.url("s"));
  writer.set("a", 1);
  writer.set("b", 1);
  writer.save();  // revision 1
  Session reader(db.url("s", "&application_name=" + application));
  writer.set("a", 2);
  writer.save();  // revision 2: the reader's next load has it to read

  // Another client takes the entries' table for itself: the reader's load will read the
  // store's row (its snapshot begins there, at revision 2), then wait for the entries.
  RawPg other(db.server());
  other.text("BEGIN");
  other.text("LOCK TABLE picklejar.entry IN ACCESS EXCLUSIVE MODE");
  picklejar::Changes seen;
  std::atomic<bool> done{false};
  std::string failed;
  std::thread load([&] {
    try {
      seen = reader.load();
      done = true;
    } catch (const std::exception& e) {
      failed = e.what();
    }
  });
  RawPg watch(db.server());  // outside any transaction: pg_stat_activity as it is now
  const bool blocked = picklejar::test::wait_until_blocked(watch, application);
  // Meanwhile that client commits revision 3 as a writer would: b takes a's entry (pickle and
  // digest, so it verifies), and the store's row moves on.
  other.text(
      "UPDATE picklejar.entry AS b SET pickle = a.pickle, digest = a.digest, revision = 3 "
      "FROM picklejar.entry AS a WHERE a.store_id = b.store_id AND a.key = 'a' AND b.key = 'b'");
  other.text("UPDATE picklejar.store SET revision = 3 WHERE name = 's'");
  other.text("COMMIT");
  load.join();
  REQUIRE(blocked);
  REQUIRE_MESSAGE(done, failed);
  // The load saw revision 2 whole: a's change, not b's, though b's was committed before the
  // load read a single entry.
  CHECK(seen.revision == 2);
  CHECK(seen.changed == std::vector<std::string>{"a"});
  CHECK(reader.get<int>("a") == 2);
  CHECK(reader.get<int>("b") == 1);
  // The next load takes revision 3.
  const picklejar::Changes next = reader.load();
  CHECK(next.revision == 3);
  CHECK(next.changed == std::vector<std::string>{"b"});
  CHECK(reader.get<int>("b") == 2);
}
