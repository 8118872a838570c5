// The application's schema version: new files get it, older files are migrated at open (in
// order, in one transaction, exactly once even when processes race), newer files are refused
// unless read_only, and a failed migration leaves the file as it was.

#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <picklejar/session.hpp>

#include "session_support.hpp"

using picklejar::FormatError;
using picklejar::Migration;
using picklejar::OpenMode;
using picklejar::Session;
using picklejar::SessionOptions;
using picklejar::Value;
using picklejar::test::RawDb;
using picklejar::test::ScratchDir;
using picklejar::test::snapshot;

namespace {

SessionOptions schema(std::optional<std::int64_t> version, std::vector<Migration> steps = {}) {
  SessionOptions options;
  options.durability = picklejar::Durability::fast;
  options.schema_version = version;
  options.migrations = std::move(steps);
  return options;
}

// A file at app schema version 0 holding {"old": "value", "log": []}.
void make_v0(const std::filesystem::path& file) {
  Session s(file, schema(0));
  s.set("old", Value("value"));
  s.set("log", Value::list());
  s.save();
}

// A step that appends `tag` to the list under "log".
Migration append_step(std::int64_t from, std::int64_t to, std::string tag) {
  return {from, to, [tag](Session& s) {
            Value log = s.get("log");
            log.append(Value(tag));
            s.set("log", log);
          }};
}

std::int64_t revision_of(const std::filesystem::path& file) {
  RawDb raw(file);
  return raw.integer("SELECT value FROM meta WHERE name = 'revision'");
}

}  // namespace

TEST_CASE("Session migrations: a new file starts at the app's schema version") {
  ScratchDir dir;
  int ran = 0;
  Session s(dir / "a.pj", schema(3, {{0, 3, [&](Session&) { ++ran; }}}));
  CHECK(ran == 0);
  CHECK(s.file_info().app_schema_version == 3);
  CHECK(s.file_info().revision == 0);
  Session unversioned(dir / "b.pj");
  CHECK(unversioned.file_info().app_schema_version == 0);
}

TEST_CASE("Session migrations: older files run the chain in order, once, in one revision") {
  ScratchDir dir;
  const auto file = dir / "a.pj";
  make_v0(file);
  std::vector<std::string> order;
  // Listed out of order: the chain follows from -> to.
  const std::vector<Migration> steps = {
      {1, 3,
       [&](Session& s) {
         order.push_back("1->3");
         s.set("v3", true);
         s.transact([](Session& t) { t.set("joined", 1); });  // joins the migration
         CHECK_THROWS_AS(s.save(), picklejar::StoreError);
         CHECK_THROWS_AS(s.load(), picklejar::StoreError);
       }},
      {0, 1,
       [&](Session& s) {
         order.push_back("0->1");
         s.set("new", s.get("old"));
         s.erase("old");
       }},
      {3, 4, [&](Session&) { order.push_back("3->4"); }},  // beyond the target: unused
  };
  {
    Session s(file, schema(3, steps));
    CHECK(order == std::vector<std::string>{"0->1", "1->3"});
    CHECK(s.file_info().app_schema_version == 3);
    CHECK(s.file_info().revision == 2);
    CHECK_FALSE(s.has_unsaved_changes());
    CHECK(s.keys() == std::vector<std::string>{"joined", "log", "new", "v3"});
  }
  RawDb raw(file);
  CHECK(raw.integer("SELECT value FROM meta WHERE name = 'app_schema_version'") == 3);
  CHECK(raw.integer("SELECT count(*) FROM entries WHERE revision = 2") == 3);
  CHECK(raw.integer("SELECT revision FROM tombstones WHERE key = 'old'") == 2);
  order.clear();
  Session again(file, schema(3, steps));
  CHECK(order.empty());
  CHECK(again.get("new") == Value("value"));
}

TEST_CASE("Session migrations: a failing migration leaves the file unmigrated") {
  ScratchDir dir;
  const auto file = dir / "a.pj";
  make_v0(file);
  const std::int64_t revision = revision_of(file);
  const std::vector<Migration> steps = {append_step(0, 1, "m1"),
                                        {1, 2, [](Session& s) {
                                           s.set("half", 1);
                                           throw std::runtime_error("migration 1->2 failed");
                                         }}};
  CHECK_THROWS_WITH_AS(Session(file, schema(2, steps)), "migration 1->2 failed",
                       std::runtime_error);
  CHECK(revision_of(file) == revision);
  Session s(file, schema(0));
  CHECK(s.file_info().app_schema_version == 0);
  CHECK(s.get("log") == Value::list());
  CHECK_FALSE(s.contains("half"));
}

TEST_CASE("Session migrations: what is refused") {
  ScratchDir dir;
  const auto file = dir / "a.pj";
  make_v0(file);
  { Session upgraded(file, schema(2, {append_step(0, 2, "m")})); }
  const auto before = snapshot(file);
  const auto refused = [&](const SessionOptions& options, const std::string& expect) {
    try {
      Session s(file, options);
      FAIL("opened");
    } catch (const FormatError& e) {
      CHECK(e.path() == file.string());
      CHECK_MESSAGE(std::string(e.what()).find(expect) != std::string::npos, e.what());
    }
    CHECK(snapshot(file) == before);
  };
  SUBCASE("a newer schema, unless read_only") {
    refused(schema(1), "app schema version 2 is newer than this program's (1)");
    SessionOptions reader = schema(1);
    reader.mode = OpenMode::read_only;
    Session s(file, reader);
    CHECK(s.get("log") == Value::list({Value("m")}));
  }
  SUBCASE("an older schema read_only") {
    SessionOptions reader = schema(3, {append_step(2, 3, "x")});
    reader.mode = OpenMode::read_only;
    refused(reader, "must first be migrated to 3");
  }
  SUBCASE("no chain of migrations") {
    refused(schema(4, {append_step(2, 3, "x")}), "no migration from app schema version 3");
    refused(schema(4), "no migration from app schema version 2");
    refused(schema(4, {append_step(2, 5, "x")}), "no migration from app schema version 2");
  }
  SUBCASE("no schema version: the file's is neither checked nor changed") {
    Session s(file, schema(std::nullopt));
    CHECK(s.file_info().app_schema_version == 2);
  }
}

TEST_CASE("Session migrations: a session stops writing once another program migrates past it") {
  ScratchDir dir;
  const auto file = dir / "a.pj";
  make_v0(file);
  Session old_app(file, schema(0));
  Session new_app(file, schema(1, {append_step(0, 1, "m1")}));
  old_app.set("x", 1);
  CHECK_THROWS_WITH_AS(old_app.save(), doctest::Contains("migrated to app schema version 1"),
                       FormatError);
  CHECK_FALSE(new_app.contains("x"));
  // Nor does it read data of a schema it does not know.
  CHECK_THROWS_AS(old_app.load(), FormatError);
}

TEST_CASE("Session migrations: racing processes migrate exactly once") {
  ScratchDir dir;
  const auto file = dir / "a.pj";
  make_v0(file);
  constexpr int kProcesses = 4;
  picklejar::test::Signal go;
  std::vector<pid_t> children;
  for (int i = 0; i < kProcesses; ++i) {
    children.push_back(picklejar::test::fork_child([&] {
      go.wait();
      std::vector<Migration> steps = {append_step(0, 1, "m1"), append_step(1, 2, "m2")};
      // Widen the window in which the others try to open (not a timing assertion).
      steps[0].apply = [inner = steps[0].apply](Session& s) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        inner(s);
      };
      Session s(file, schema(2, steps));
      return s.get("log") == Value::list({Value("m1"), Value("m2")}) ? 0 : 2;
    }));
  }
  for (int i = 0; i < kProcesses; ++i) go.notify();
  for (const pid_t child : children) CHECK(picklejar::test::wait_child(child) == 0);
  Session s(file, schema(2));
  CHECK(s.get("log") == Value::list({Value("m1"), Value("m2")}));
  CHECK(s.file_info().revision == 2);  // make_v0's save, then one migration
}
