// Nothing lost silently: the destructor and close() report what they drop
// (SessionOptions::on_dropped_changes), SaveOnExit saves a scope's changes unless an exception
// leaves it, and touch() makes a value changed in place a change save() writes.

#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include <picklejar/session.hpp>

#include "session_support.hpp"

using picklejar::DroppedChanges;
using picklejar::SaveOnExit;
using picklejar::Session;
using picklejar::SessionOptions;
using picklejar::Value;
using picklejar::test::fast;
using picklejar::test::RawDb;
using picklejar::test::ScratchDir;

namespace {

// Options whose hook records every report in `reports`.
SessionOptions recording(std::vector<DroppedChanges>& reports) {
  SessionOptions options;
  options.durability = picklejar::Durability::fast;
  options.on_dropped_changes = [&reports](const DroppedChanges& d) { reports.push_back(d); };
  return options;
}

std::int64_t revision(const std::filesystem::path& file) {
  RawDb raw(file);
  return raw.integer("SELECT value FROM meta WHERE name = 'revision'");
}

}  // namespace

TEST_CASE("Session saving: the destructor reports dropped changes and still writes nothing") {
  ScratchDir dir;
  const auto file = dir / "a.pj";
  std::vector<DroppedChanges> reports;
  {
    Session s(file, recording(reports));
    s.set("kept", 1);
    s.save();
    s.set("b", 2);
    s.erase("kept");
  }
  REQUIRE(reports.size() == 1);
  CHECK(reports[0].path == file.string());
  CHECK(reports[0].keys == std::vector<std::string>{"b", "kept"});
  CHECK(revision(file) == 1);
  CHECK(Session(file, fast()).keys() == std::vector<std::string>{"kept"});

  SUBCASE("nothing to report: saved, discarded, or never changed") {
    reports.clear();
    {
      Session s(file, recording(reports));
      s.set("c", 3);
      s.save();
    }
    {
      Session s(file, recording(reports));
      s.set("d", 4);
      s.discard();  // dropping them is what was asked
    }
    { Session s(file, recording(reports)); }
    CHECK(reports.empty());
  }
  SUBCASE("close() and move-assignment report too") {
    reports.clear();
    Session s(file, recording(reports));
    s.set("e", 5);
    s.close();
    Session t(file, recording(reports));
    t.set("f", 6);
    t = Session(file, recording(reports));
    REQUIRE(reports.size() == 2);
    CHECK(reports[0].keys == std::vector<std::string>{"e"});
    CHECK(reports[1].keys == std::vector<std::string>{"f"});
  }
  SUBCASE("a hook that throws is swallowed: the destructor never throws") {
    SessionOptions options = fast();
    int calls = 0;
    options.on_dropped_changes = [&calls](const DroppedChanges&) {
      ++calls;
      throw std::runtime_error("from the hook");
    };
    {
      Session s(file, options);
      s.set("g", 7);
    }
    CHECK(calls == 1);
  }
  SUBCASE("a forked child's copy of a session reports nothing: the changes are the parent's") {
    reports.clear();
    Session s(file, recording(reports));
    s.set("h", 8);
    const int status = picklejar::test::run_child([&] {
      { Session moved(std::move(s)); }  // the child's copy of `s`, destroyed here
      return reports.empty() ? 0 : 1;
    });
    CHECK(status == 0);
    s.discard();
  }
}

TEST_CASE("Session saving: SaveOnExit saves a scope left normally, discards one left by a throw") {
  ScratchDir dir;
  const auto file = dir / "a.pj";
  Session s(file, fast());
  {
    SaveOnExit saving(s);
    s.set("a", 1);
    s.set("b", 2);
  }
  CHECK_FALSE(s.has_unsaved_changes());
  CHECK(Session(file, fast()).get<int>("b") == 2);

  CHECK_THROWS_AS(
      [&] {
        SaveOnExit saving(s);
        s.set("a", 10);
        s.erase("b");
        throw std::runtime_error("the operation failed half way");
      }(),
      std::runtime_error);
  CHECK_FALSE(s.has_unsaved_changes());  // discarded, not left for a later save()
  CHECK(s.get<int>("a") == 1);
  CHECK(Session(file, fast()).get<int>("a") == 1);
  CHECK(revision(file) == 1);

  SUBCASE("nothing to save: no write, even in a read_only session") {
    SessionOptions read_only = fast();
    read_only.mode = picklejar::OpenMode::read_only;
    Session r(file, read_only);
    { SaveOnExit saving(r); }
    CHECK(revision(file) == 1);
  }
  SUBCASE("a failing save throws out of the scope") {
    SessionOptions strict = fast();
    strict.conflicts = picklejar::ConflictPolicy::strict;
    Session mine(file, strict);
    Session other(file, fast());
    other.set("a", 20);
    other.save();
    CHECK_THROWS_AS(
        [&] {
          SaveOnExit saving(mine);
          mine.set("a", 30);
        }(),
        picklejar::ConflictError);
    CHECK(mine.unsaved_keys() == std::vector<std::string>{"a"});  // kept, as save() keeps it
    mine.discard();
  }
  SUBCASE("dismissed, or the session closed: nothing happens") {
    {
      SaveOnExit saving(s);
      s.set("c", 3);
      saving.dismiss();
    }
    CHECK(s.has_unsaved_changes());
    s.discard();
    {
      SaveOnExit saving(s);
      s.set("d", 4);
      s.close();
    }
    CHECK(Session(file, fast()).keys() == std::vector<std::string>{"a", "b"});
  }
}

TEST_CASE("Session saving: a value changed in place is saved after touch()") {
  ScratchDir dir;
  const auto file = dir / "a.pj";
  Session s(file, fast());
  s.set("list", Value::list({1, 2}));
  s.save();

  s.find("list")->append(3);  // the session's cached object: later reads see it...
  CHECK(s.get("list") == Value::list({1, 2, 3}));
  CHECK_FALSE(s.has_unsaved_changes());  // ...but it is not a change save() knows of
  s.save();
  CHECK(Session(file, fast()).get("list") == Value::list({1, 2}));

  s.touch("list");
  CHECK(s.unsaved_keys() == std::vector<std::string>{"list"});
  s.save();
  CHECK(Session(file, fast()).get("list") == Value::list({1, 2, 3}));
  CHECK(s.entry_info("list")->revision == 2);

  SUBCASE("the entry's protocol stays") {
    SessionOptions p2 = fast();
    p2.protocol = 2;
    Session old(file, p2);
    old.set("old", Value::dict({{Value("n"), Value(1)}}));
    old.save();
    s.load();
    s.get("old").set(Value("n"), Value(2));
    s.touch("old");
    s.save();
    CHECK(s.entry_info("old")->protocol == 2);
    CHECK(Session(file, fast()).get("old") == Value::dict({{Value("n"), Value(2)}}));
  }
  SUBCASE("a value never read is saved as it is (a new revision)") {
    Session other(file, fast());
    other.touch("list");
    other.save();
    CHECK(other.entry_info("list")->revision == 3);
    CHECK(Session(file, fast()).get("list") == Value::list({1, 2, 3}));
  }
  SUBCASE("inside transact(), undone with the rest when fn throws") {
    CHECK_THROWS_AS(s.transact([](Session& t) {
      t.get("list").append(4);
      t.touch("list");
      throw std::runtime_error("no");
    }),
                    std::runtime_error);
    CHECK_FALSE(s.has_unsaved_changes());
    CHECK(revision(file) == 2);
  }
  SUBCASE("what touch() refuses") {
    CHECK_THROWS_AS(s.touch("missing"), picklejar::LookupError);
    SessionOptions read_only = fast();
    read_only.mode = picklejar::OpenMode::read_only;
    Session r(file, read_only);
    CHECK_THROWS_AS(r.touch("list"), picklejar::StoreError);
    RawDb(file).exec("UPDATE entries SET digest = zeroblob(32) WHERE key = 'list'");
    Session damaged(file, fast());
    CHECK_THROWS_AS(damaged.touch("list"), picklejar::IntegrityError);  // verified first
    CHECK_FALSE(damaged.has_unsaved_changes());
  }
}
