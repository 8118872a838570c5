// The operations people reach for: clear, update, keys(prefix), erase_prefix, transact's
// result, file_info's sizes, and increment/add, atomic across processes (forked C++ here;
// C++ against Python processes in python/tests_cpp/test_cpp_operations.py).

#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <picklejar/session.hpp>

#include "session_support.hpp"

using picklejar::Session;
using picklejar::SessionOptions;
using picklejar::Value;
using picklejar::test::patient;
using picklejar::test::RawDb;
using picklejar::test::ScratchDir;

namespace {

using Keys = std::vector<std::string>;

}  // namespace

TEST_CASE("Session operations: keys(prefix), erase_prefix and clear") {
  ScratchDir dir;
  const auto file = dir / "a.pj";
  Session s(file, patient());
  for (const char* key : {"window/x", "window/y", "window", "windows/z", "recent", "w"})
    s.set(key, 1);
  CHECK(s.keys("window/") == Keys{"window/x", "window/y"});
  CHECK(s.keys("window") == Keys{"window", "window/x", "window/y", "windows/z"});
  CHECK(s.keys("") == s.keys());
  CHECK(s.keys("zzz").empty());
  s.save();

  CHECK(s.erase_prefix("window/") == 2);
  CHECK(s.keys() == Keys{"recent", "w", "window", "windows/z"});
  CHECK(s.unsaved_keys() == Keys{"window/x", "window/y"});
  CHECK(s.erase_prefix("nothing") == 0);
  s.save();
  CHECK(Session(file, patient()).keys() == Keys{"recent", "w", "window", "windows/z"});

  s.clear();
  CHECK(s.empty());
  CHECK(s.unsaved_keys() == Keys{"recent", "w", "window", "windows/z"});
  s.discard();  // in memory until save(), like any erase
  CHECK(s.size() == 4);
  s.clear();
  s.save();
  CHECK(Session(file, patient()).empty());

  SessionOptions read_only = patient();
  read_only.mode = picklejar::OpenMode::read_only;
  Session r(file, read_only);
  CHECK_THROWS_AS(r.clear(), picklejar::StoreError);
  CHECK_THROWS_AS(r.erase_prefix("a"), picklejar::StoreError);
  CHECK(r.keys("a").empty());
}

TEST_CASE("Session operations: update() sets many keys, all or nothing") {
  ScratchDir dir;
  const auto file = dir / "a.pj";
  Session s(file, patient());
  s.update(std::map<std::string, int>{{"a", 1}, {"b", 2}});
  s.update({{"c", Value("three")}, {"d", Value::list({4})}});
  s.update(std::vector<std::pair<std::string, std::vector<int>>>{{"e", {5}}});
  s.update(std::map<std::string, Value>{{"a", Value(10)}});
  CHECK(s.keys() == Keys{"a", "b", "c", "d", "e"});
  CHECK(s.get<int>("a") == 10);
  CHECK(s.get<std::string>("c") == "three");
  CHECK(s.get<std::vector<int>>("e") == std::vector<int>{5});
  s.save();
  CHECK(s.file_info().revision == 1);  // one save, one revision

  // A bad key or a value the protocol cannot express: nothing changes.
  CHECK_THROWS_AS(s.update({{"f", Value(6)}, {"\xff", Value(7)}}), picklejar::ValueError);
  SessionOptions p0 = patient();
  p0.protocol = 0;
  Session old(file, p0);
  // Protocol 0 writes ints as decimal text, which CPython limits to 4300 digits.
  const Value huge = Value::integer_from_decimal(std::string(5000, '7'));
  CHECK_THROWS_AS(old.update({{"g", Value(1)}, {"h", huge}}), picklejar::EncodeError);
  CHECK_FALSE(s.has_unsaved_changes());
  CHECK_FALSE(old.has_unsaved_changes());
  CHECK_FALSE(s.contains("f"));
  CHECK_FALSE(old.contains("g"));
}

TEST_CASE("Session operations: transact() returns what fn returns") {
  ScratchDir dir;
  const auto file = dir / "a.pj";
  Session s(file, patient());
  const int n = s.transact([](Session& t) {
    const int next = t.get_or("n", 0) + 1;
    t.set("n", next);
    return next;
  });
  CHECK(n == 1);
  const std::string joined = s.transact([](Session& t) {
    return t.transact([](Session& inner) {  // joins: the value comes through
      inner.set("s", "x");
      return std::string("inner");
    }) + "+outer";
  });
  CHECK(joined == "inner+outer");
  s.transact([](Session& t) { t.set("v", 1); });  // void still works
  struct NoDefault {
    explicit NoDefault(int v) : value(v) {}
    int value;
  };
  CHECK(s.transact([](Session& t) { return NoDefault(t.get<int>("n")); }).value == 1);
  CHECK_THROWS_AS((void)s.transact([](Session& t) -> int {
    t.set("n", 100);
    throw std::runtime_error("no");
  }),
                  std::runtime_error);
  CHECK(s.get<int>("n") == 1);
  CHECK(Session(file, patient()).keys() == Keys{"n", "s", "v"});
}

TEST_CASE("Session operations: file_info() has the file's sizes") {
  ScratchDir dir;
  const auto file = dir / "a.pj";
  Session s(file, patient());
  picklejar::SessionFileInfo info = s.file_info();
  CHECK(info.entries == 0);
  CHECK(info.pickle_bytes == 0);
  const std::string blob(2000, 'x');
  for (int i = 0; i < 500; ++i) s.set("k" + std::to_string(i), Value::bytes(blob));
  s.set("unsaved-not-counted", 1);
  s.erase("unsaved-not-counted");
  s.save();
  s.set("pending", Value::bytes(blob));  // unsaved: not in the file's sizes
  info = s.file_info();
  CHECK(info.entries == 500);
  std::int64_t pickles = 0;
  for (const std::string& key : s.keys())
    if (key != "pending") pickles += static_cast<std::int64_t>(s.entry_info(key)->pickle_size);
  CHECK(info.pickle_bytes == pickles);
  {
    RawDb raw(file);
    CHECK(info.page_size == raw.integer("PRAGMA page_size"));
    CHECK(info.file_bytes == raw.integer("PRAGMA page_count") * info.page_size);
  }
  CHECK(info.file_bytes > 500 * 2000);
  CHECK(info.wal_bytes == static_cast<std::int64_t>(std::filesystem::file_size(
                              std::filesystem::path(file.string() + "-wal"))));
  CHECK(info.free_pages == 0);
  s.discard();
  s.erase_prefix("k");
  s.save();
  info = s.file_info();
  CHECK(info.entries == 0);
  CHECK(info.pickle_bytes == 0);
  CHECK(info.free_pages > 400);  // the pages the entries held, reusable
  // Inside transact() (the write transaction is already open) it works too.
  s.transact([](Session& t) { CHECK(t.file_info().entries == 0); });
}

TEST_CASE("Session operations: increment() and add() save their one key atomically") {
  ScratchDir dir;
  const auto file = dir / "a.pj";
  Session s(file, patient());
  CHECK(s.increment("count") == 1);
  CHECK(s.increment("count", 41) == 42);
  CHECK(s.increment("count", -50) == -8);
  CHECK(Session(file, patient()).get<std::int64_t>("count") == -8);
  CHECK(s.file_info().revision == 3);

  // Other unsaved changes stay unsaved; the key's own unsaved value is the base, then saved.
  s.set("other", 1);
  s.set("count", 100);
  CHECK(s.increment("count") == 101);
  CHECK(s.unsaved_keys() == Keys{"other"});
  {
    Session fresh(file, patient());
    CHECK(fresh.get<int>("count") == 101);
    CHECK_FALSE(fresh.contains("other"));
  }

  CHECK(s.add("new", Value::list({1})));
  CHECK_FALSE(s.add("new", Value(2)));
  CHECK_FALSE(s.add("other", Value(2)));  // this session's unsaved value counts as there
  CHECK(s.get<std::vector<int>>("new") == std::vector<int>{1});
  CHECK(s.add("typed", std::map<std::string, int>{{"a", 1}}));
  CHECK(s.unsaved_keys() == Keys{"other"});  // a failed add saves nothing of "other"
  {
    Session fresh(file, patient());
    CHECK(fresh.keys() == Keys{"count", "new", "typed"});
  }
  s.erase("new");
  CHECK(s.add("new", Value(3)));  // erased here first: absent, so added (and saved)
  CHECK(Session(file, patient()).get<int>("new") == 3);

  SUBCASE("what they refuse, naming key and file, writing nothing") {
    const std::int64_t before = s.file_info().revision;
    s.set("text", "seven");
    s.save();
    CHECK_THROWS_WITH_AS(s.increment("text"),
                         ("'text': expected int, got str in '" + file.string() + "'").c_str(),
                         picklejar::EntryCodecError);
    s.set("flag", true);
    CHECK_THROWS_AS(s.increment("flag"), picklejar::EntryCodecError);  // bool is not a count
    s.discard();
    s.increment("big", std::numeric_limits<std::int64_t>::max());
    CHECK_THROWS_AS(s.increment("big"), picklejar::ValueError);
    CHECK(s.get<std::int64_t>("big") == std::numeric_limits<std::int64_t>::max());
    CHECK(s.file_info().revision == before + 2);
    CHECK_THROWS_AS(s.increment("\xff"), picklejar::ValueError);
    CHECK_THROWS_AS(s.add("\xff", Value(1)), picklejar::ValueError);
    SessionOptions read_only = patient();
    read_only.mode = picklejar::OpenMode::read_only;
    Session r(file, read_only);
    CHECK_THROWS_AS(r.increment("count"), picklejar::StoreError);
    CHECK_THROWS_AS(r.add("x", Value(1)), picklejar::StoreError);
  }
  SUBCASE("inside transact(), they join it: undone with it, saved with it") {
    CHECK_THROWS_AS(s.transact([](Session& t) {
      t.increment("count");
      t.add("joined", Value(1));
      throw std::runtime_error("no");
    }),
                    std::runtime_error);
    CHECK(s.get<int>("count") == 101);
    CHECK_FALSE(s.contains("joined"));
    s.transact([](Session& t) {
      CHECK(t.increment("count") == 102);
      CHECK(t.add("joined", Value(1)));
      CHECK(t.unsaved_keys() == Keys{"count", "joined", "other"});
    });
    CHECK_FALSE(s.has_unsaved_changes());  // transact() saves everything
    CHECK(Session(file, patient()).get<int>("joined") == 1);
  }
}

TEST_CASE("Session operations: increment and add racing in processes lose nothing") {
  ScratchDir dir;
  const auto file = dir / "race.pj";
  { Session create(file, patient()); }
  constexpr int kProcesses = 4;
  constexpr int kIncrements = 200;
  picklejar::test::Signal go;
  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    children.push_back(picklejar::test::fork_child([&, p] {
      Session s(file, patient());
      s.set("unsaved", p);  // never saved: increment() writes only its key
      go.wait();
      int added = s.add("winner", Value(p)) ? 1 : 0;
      for (int i = 0; i < kIncrements; ++i) s.increment("count");
      s.increment("winners", added);
      s.discard();
      return 0;
    }));
  }
  for (int p = 0; p < kProcesses; ++p) go.notify();
  for (const pid_t child : children) CHECK(picklejar::test::wait_child(child) == 0);
  Session s(file, patient());
  CHECK(s.get<int>("count") == kProcesses * kIncrements);
  CHECK(s.get<int>("winners") == 1);  // exactly one add() succeeded...
  const int winner = s.get<int>("winner");
  CHECK((winner >= 0 && winner < kProcesses));
  CHECK_FALSE(s.contains("unsaved"));
}
