// Sessions sharing a file: incremental load() of others' sets and erases, revisions,
// tombstones and their purge, conflict policies, transact() and its rollback, and
// convert_protocol().

#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include <picklejar/session.hpp>

#include "session_support.hpp"

using picklejar::ConflictError;
using picklejar::ConflictPolicy;
using picklejar::Session;
using picklejar::SessionOptions;
using picklejar::Value;
using picklejar::test::RawDb;
using picklejar::test::ScratchDir;

namespace {

SessionOptions fast(ConflictPolicy policy = ConflictPolicy::last_writer_wins) {
  SessionOptions options;
  options.durability = picklejar::Durability::fast;
  options.conflicts = policy;
  return options;
}

std::int64_t meta_int(const std::filesystem::path& file, const std::string& name) {
  RawDb raw(file);
  return raw.integer("SELECT value FROM meta WHERE name = '" + name + "'");
}

}  // namespace

TEST_CASE("Session sync: load() brings in another session's sets and erases") {
  ScratchDir dir;
  const auto file = dir / "a.pj";
  Session a(file, fast());
  Session b(file, fast());
  a.set("x", 1);
  a.set("y", 2);
  a.set("z", 3);
  a.save();
  CHECK(b.empty());  // b's snapshot is from before a's save
  b.load();
  CHECK(b.keys() == std::vector<std::string>{"x", "y", "z"});
  CHECK(b.file_info().revision == 1);

  a.set("x", 10);
  a.erase("y");
  a.save();
  b.load();
  CHECK(b.keys() == std::vector<std::string>{"x", "z"});
  CHECK(b.get<int>("x") == 10);
  CHECK(b.file_info().revision == 2);
  CHECK(b.entry_info("x")->revision == 2);
  CHECK(b.entry_info("z")->revision == 1);

  // Unsaved changes stay on top of what load() brings.
  b.set("z", 30);
  b.set("w", 40);
  a.set("z", 300);
  a.erase("x");
  a.save();
  b.load();
  CHECK(b.get<int>("z") == 30);
  CHECK(b.get<int>("w") == 40);
  CHECK_FALSE(b.contains("x"));
  b.discard();  // shows what the file holds
  CHECK(b.get<int>("z") == 300);
  CHECK(b.keys() == std::vector<std::string>{"z"});
}

TEST_CASE("Session sync: load() reads only what changed") {
  ScratchDir dir;
  const auto file = dir / "a.pj";
  Session a(file, fast());
  Session b(file, fast());
  for (int i = 0; i < 50; ++i) a.set("k" + std::to_string(i), Value::list({i}));
  a.save();
  b.load();
  const Value k7 = b.get("k7");  // decoded and cached
  a.set("k3", 333);
  a.save();
  // Damage an entry b already has: an incremental load never reads it again, so b keeps
  // its copy; a full reload would have to verify it again.
  {
    RawDb raw(file);
    raw.exec("UPDATE entries SET pickle = X'00' WHERE key = 'k7'");
  }
  b.load();
  CHECK(b.get<int>("k3") == 333);
  CHECK(b.get("k7").is(k7));
  Session c(file, fast());
  CHECK_THROWS_AS(c.get("k7"), picklejar::IntegrityError);
}

TEST_CASE("Session sync: save() also brings in what others saved") {
  ScratchDir dir;
  const auto file = dir / "a.pj";
  Session a(file, fast());
  Session b(file, fast());
  a.set("from_a", 1);
  a.save();
  b.set("from_b", 2);
  b.save();
  CHECK(b.keys() == std::vector<std::string>{"from_a", "from_b"});
  CHECK(b.file_info().revision == 2);
  a.load();
  CHECK(a.keys() == std::vector<std::string>{"from_a", "from_b"});
}

TEST_CASE("Session sync: tombstones tell others of erasures, and are purged after 10,000") {
  ScratchDir dir;
  const auto file = dir / "a.pj";
  Session a(file, fast());
  Session b(file, fast());
  a.set("x", 1);
  a.set("y", 2);
  a.save();
  b.load();
  a.erase("x");
  a.save();
  {
    RawDb raw(file);
    CHECK(raw.integer("SELECT revision FROM tombstones WHERE key = 'x'") == 2);
  }
  a.set("x", 3);  // setting a key again removes its tombstone
  a.save();
  {
    RawDb raw(file);
    CHECK(raw.integer("SELECT count(*) FROM tombstones") == 0);
  }
  b.load();
  CHECK(b.get<int>("x") == 3);

  SUBCASE("a session older than the purge lists the file's keys instead") {
    a.erase("y");
    a.save();
    {  // what a writer 10,000 revisions later would have done
      RawDb raw(file);
      raw.exec(
          "DELETE FROM tombstones; UPDATE meta SET value = 4 WHERE name = "
          "'purged_revision'");
    }
    b.load();
    CHECK(b.keys() == std::vector<std::string>{"x"});
  }
  SUBCASE("a save purges tombstones 10,000 revisions old") {
    a.erase("y");
    a.save();  // tombstone for y at revision 4
    {
      RawDb raw(file);
      raw.exec("UPDATE meta SET value = 10002 WHERE name = 'revision'");
    }
    a.set("z", 1);
    a.save();  // revision 10003 may purge revisions <= 3: there are none
    CHECK(meta_int(file, "purged_revision") == 0);
    {
      RawDb raw(file);
      CHECK(raw.integer("SELECT count(*) FROM tombstones") == 1);
    }
    a.set("z", 2);
    a.save();  // revision 10004 purges y's tombstone of revision 4
    CHECK(meta_int(file, "purged_revision") == 4);
    RawDb raw(file);
    CHECK(raw.integer("SELECT count(*) FROM tombstones") == 0);
  }
}

TEST_CASE("Session sync: a save learns of tombstones others wrote since its last save") {
  // A session remembers that the file held no tombstones; another session's erase must
  // still make its next save of that key delete the tombstone, and purge old ones.
  ScratchDir dir;
  const auto file = dir / "a.pj";
  Session a(file, fast());
  Session b(file, fast());
  a.set("x", 1);
  a.set("y", 2);
  a.save();
  a.set("y", 3);
  a.save();  // a has now saved twice seeing no tombstones
  b.load();
  b.erase("x");
  b.save();
  {
    RawDb raw(file);
    CHECK(raw.integer("SELECT count(*) FROM tombstones WHERE key = 'x'") == 1);
  }
  a.set("x", 4);
  a.save();
  RawDb raw(file);
  CHECK(raw.integer("SELECT count(*) FROM tombstones") == 0);
  CHECK(raw.integer("SELECT count(*) FROM entries WHERE key = 'x'") == 1);
  b.load();
  CHECK(b.get<int>("x") == 4);
}

TEST_CASE("Session sync: a save sees a write by a plain SQLite connection") {
  // What another program's connection committed must reach the next save even though this
  // session's own saves came in between (no load()).
  ScratchDir dir;
  const auto file = dir / "a.pj";
  Session a(file, fast());
  a.set("x", 1);
  a.save();
  a.set("x", 2);
  a.save();
  {
    RawDb raw(file);
    raw.exec(
        "INSERT INTO tombstones (key, revision) VALUES ('gone', 3); "
        "UPDATE meta SET value = 3 WHERE name = 'revision'");
  }
  a.set("gone", 5);
  a.save();
  CHECK(a.file_info().revision == 4);
  RawDb raw(file);
  CHECK(raw.integer("SELECT count(*) FROM tombstones") == 0);
  CHECK(raw.integer("SELECT revision FROM entries WHERE key = 'gone'") == 4);
}

TEST_CASE("Session sync: last writer wins per key by default") {
  ScratchDir dir;
  const auto file = dir / "a.pj";
  Session a(file, fast());
  Session b(file, fast());
  a.set("shared", 1);
  a.set("a_only", 1);
  a.save();
  b.load();
  a.set("shared", 2);
  a.save();
  b.set("shared", 3);  // based on 1, saved over a's 2
  b.save();
  CHECK(b.get<int>("shared") == 3);
  a.load();
  CHECK(a.get<int>("shared") == 3);
  CHECK(a.get<int>("a_only") == 1);  // per key: nothing else was touched
}

TEST_CASE("Session sync: strict mode refuses to save over others' changes") {
  ScratchDir dir;
  const auto file = dir / "a.pj";
  Session a(file, fast(ConflictPolicy::strict));
  Session b(file, fast(ConflictPolicy::strict));
  a.set("p", 1);
  a.set("q", 1);
  a.set("r", 1);
  a.save();
  b.load();

  a.set("p", 2);    // changed
  a.erase("q");     // erased
  a.set("new", 1);  // created
  a.save();
  b.set("p", 3);
  b.set("q", 3);
  b.set("new", 3);
  b.set("r", 3);  // nobody else touched r
  const std::int64_t revision = meta_int(file, "revision");
  try {
    b.save();
    FAIL("strict save over others' changes succeeded");
  } catch (const ConflictError& e) {
    CHECK(e.keys() == std::vector<std::string>{"new", "p", "q"});
    CHECK(e.path() == file.string());
    CHECK(std::string(e.what()).find("'new', 'p', 'q'") != std::string::npos);
  }
  CHECK(meta_int(file, "revision") == revision);  // nothing written
  CHECK(b.unsaved_keys() == std::vector<std::string>{"new", "p", "q", "r"});
  CHECK(b.get<int>("p") == 3);  // the changes stay
  // The failed save brought the file's state in: discard() shows it.
  b.discard();
  CHECK(b.get<int>("p") == 2);
  CHECK_FALSE(b.contains("q"));
  CHECK(b.get<int>("new") == 1);
  b.set("p", 4);
  b.save();
  a.load();
  CHECK(a.get<int>("p") == 4);

  SUBCASE("a load() does not make an old change current") {
    a.set("r", 5);
    b.set("r", 6);
    b.save();
    a.load();  // a now sees b's 6 underneath its own unsaved 5
    CHECK_THROWS_AS(a.save(), ConflictError);
  }
  SUBCASE("any change by another session counts, even the same erasure") {
    a.erase("r");
    b.erase("r");
    b.save();
    CHECK_THROWS_AS(a.save(), ConflictError);
  }
  SUBCASE("keys nobody else touched: no conflict") {
    a.set("fresh", 1);
    a.erase("fresh");  // a key that never reaches the file
    a.erase("r");
    a.save();
    b.load();
    CHECK_FALSE(b.contains("r"));
    CHECK_FALSE(b.contains("fresh"));
  }
}

TEST_CASE("Session sync: transact() is a read-modify-write with the latest data") {
  ScratchDir dir;
  const auto file = dir / "a.pj";
  Session a(file, fast(ConflictPolicy::strict));
  Session b(file, fast(ConflictPolicy::strict));
  for (int i = 0; i < 10; ++i) {
    Session& s = i % 2 == 0 ? a : b;  // each sees the other's increments, no conflicts
    s.transact([](Session& t) { t.set("count", t.get_or("count", 0) + 1); });
  }
  a.load();
  CHECK(a.get<int>("count") == 10);
  CHECK(a.file_info().revision == 10);

  SUBCASE("nothing changed: nothing written") {
    a.transact([](Session& t) { CHECK(t.get<int>("count") == 10); });
    CHECK(meta_int(file, "revision") == 10);
  }
  SUBCASE("an exception undoes fn's changes, keeps earlier unsaved ones, writes nothing") {
    a.set("before", 1);
    a.set("count", 100);
    CHECK_THROWS_WITH_AS(a.transact([](Session& t) {
      t.set("count", 11);
      t.set("inside", 1);
      t.erase("before");
      throw std::runtime_error("fn failed");
    }),
                         "fn failed", std::runtime_error);
    CHECK(a.get<int>("count") == 100);
    CHECK(a.get<int>("before") == 1);
    CHECK_FALSE(a.contains("inside"));
    CHECK(a.unsaved_keys() == std::vector<std::string>{"before", "count"});
    CHECK(meta_int(file, "revision") == 10);
    a.discard();
    CHECK(a.get<int>("count") == 10);
  }
  SUBCASE("nested transact() joins; save/load/discard inside are refused") {
    a.transact([](Session& t) {
      t.transact([](Session& u) { u.set("inner", 1); });
      CHECK_THROWS_AS(t.save(), picklejar::StoreError);
      CHECK_THROWS_AS(t.load(), picklejar::StoreError);
      CHECK_THROWS_AS(t.discard(), picklejar::StoreError);
      CHECK_THROWS_AS(t.convert_protocol(2), picklejar::StoreError);
      t.set("outer", 1);
    });
    CHECK(meta_int(file, "revision") == 11);
    b.load();
    CHECK(b.get<int>("inner") == 1);
    CHECK(b.get<int>("outer") == 1);
  }
  SUBCASE("a strict conflict of earlier unsaved changes undoes fn's too") {
    a.set("count", 0);  // based on revision 10
    b.transact([](Session& t) { t.set("count", 11); });
    CHECK_THROWS_AS(a.transact([](Session& t) { t.set("other", 1); }), ConflictError);
    CHECK_FALSE(a.contains("other"));
    CHECK(a.unsaved_keys() == std::vector<std::string>{"count"});
  }
}

TEST_CASE("Session sync: convert_protocol() re-encodes every entry in one revision") {
  ScratchDir dir;
  const auto file = dir / "a.pj";
  Session a(file, fast());
  a.set("list", Value::list({1, Value("two"), Value::bytes("3")}));
  a.set("set", Value::set({Value(1), Value(2)}));
  a.set("big", Value::integer_from_decimal("123456789012345678901234567890"));
  a.save();
  a.convert_protocol(0);
  CHECK(a.file_info().default_protocol == 0);
  CHECK(a.file_info().revision == 2);
  for (const std::string& key : a.keys()) {
    CAPTURE(key);
    CHECK(a.entry_info(key)->protocol == 0);
    CHECK(a.entry_info(key)->revision == 2);
  }
  Session b(file, fast());
  CHECK(b.get("list") == Value::list({1, Value("two"), Value::bytes("3")}));
  CHECK(b.get("set") == Value::set({Value(1), Value(2)}));
  b.set("new", 1);  // the file's default now
  CHECK(b.entry_info("new")->protocol == 0);
  {
    RawDb raw(file);
    CHECK(raw.integer("SELECT count(*) FROM entries WHERE protocol = 0") == 3);
    // Protocol 0 pickles are text: no PROTO opcode.
    CHECK(raw.blob("SELECT pickle FROM entries WHERE key = 'list'")[0] != '\x80');
  }
  CHECK_THROWS_AS(b.convert_protocol(4), picklejar::StoreError);  // unsaved changes
  b.discard();
  CHECK_THROWS_AS(b.convert_protocol(6), picklejar::ValueError);
  b.convert_protocol(5);
  a.load();
  CHECK(a.entry_info("big")->protocol == 5);
  CHECK(a.get("big") == Value::integer_from_decimal("123456789012345678901234567890"));
}
