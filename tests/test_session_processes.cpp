// Sessions in several processes: transact() counters, conflicts between processes, a
// session used after fork(), and writers that die without closing. Writers killed in the
// middle of saves: test_session_crash.cpp.

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <picklejar/session.hpp>

#include "session_support.hpp"
#include "store/sqlite/file_lock.hpp"

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
  options.lock_timeout = std::chrono::seconds(30);
  return options;
}

}  // namespace

TEST_CASE("Session processes: transact() counters lose no increment") {
  ScratchDir dir;
  const auto file = dir / "counter.pj";
  { Session create(file, fast()); }
  constexpr int kProcesses = 4;
  constexpr int kIncrements = 250;
  picklejar::test::Signal go;
  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    children.push_back(picklejar::test::fork_child([&] {
      Session s(file, fast(ConflictPolicy::strict));
      go.wait();
      for (int i = 0; i < kIncrements; ++i)
        s.transact([](Session& t) { t.set("count", t.get_or("count", 0) + 1); });
      return 0;
    }));
  }
  for (int p = 0; p < kProcesses; ++p) go.notify();
  for (const pid_t child : children) CHECK(picklejar::test::wait_child(child) == 0);
  Session s(file, fast());
  CHECK(s.get<int>("count") == kProcesses * kIncrements);
  CHECK(s.file_info().revision == kProcesses * kIncrements);
  RawDb raw(file);
  CHECK(raw.text("PRAGMA integrity_check") == "ok");
}

TEST_CASE("Session processes: conflicts with another process") {
  ScratchDir dir;
  const auto file = dir / "a.pj";
  Session mine(file, fast(ConflictPolicy::strict));
  mine.set("theirs", 0);
  mine.set("ours", 0);
  mine.save();
  const int status = picklejar::test::run_child([&] {
    Session other(file, fast());
    other.set("theirs", 1);
    other.save();
    return 0;
  });
  REQUIRE(status == 0);
  mine.set("theirs", 2);
  mine.set("ours", 2);
  try {
    mine.save();
    FAIL("saved over another process's change");
  } catch (const picklejar::ConflictError& e) {
    CHECK(e.keys() == std::vector<std::string>{"theirs"});
  }
  SUBCASE("discard and redo") {
    mine.discard();
    CHECK(mine.get<int>("theirs") == 1);
    mine.set("ours", 2);
    mine.save();
  }
  SUBCASE("last writer wins") {
    Session lenient(file, fast());
    lenient.set("theirs", 3);
    REQUIRE(picklejar::test::run_child([&] {
              Session other(file, fast());
              other.set("theirs", 4);
              other.save();
              return 0;
            }) == 0);
    lenient.save();
    CHECK(Session(file, fast()).get<int>("theirs") == 3);
  }
}

TEST_CASE("Session processes: a session used after fork() fails clearly, harmlessly") {
  ScratchDir dir;
  const auto file = dir / "a.pj";
  auto parent = std::make_unique<Session>(file, fast());
  parent->set("a", 1);
  parent->save();
  const int status = picklejar::test::run_child([&] {
    int failures = 0;
    for (const auto& use : std::vector<std::function<void()>>{
             [&] { (void)parent->get("a"); }, [&] { parent->set("b", 2); }, [&] { parent->save(); },
             [&] { parent->load(); }}) {
      try {
        use();
      } catch (const picklejar::StoreError& e) {
        if (std::string(e.what()).find("child made by fork()") != std::string::npos) ++failures;
      }
    }
    parent.reset();  // the destructor in the child must not close the parent's connection
    return failures == 4 ? 0 : 1;
  });
  CHECK(status == 0);
  parent->set("b", 2);
  parent->save();
  parent->load();
  Session other(file, fast());
  CHECK(other.get<int>("a") == 1);
  CHECK(other.get<int>("b") == 2);
  RawDb raw(file);
  CHECK(raw.text("PRAGMA integrity_check") == "ok");
}

TEST_CASE("Session processes: a writer that dies without closing leaves a usable file") {
  ScratchDir dir;
  const auto file = dir / "a.pj";
  REQUIRE(picklejar::test::run_child([&] {
            auto* leaked = new Session(file, fast());  // never closed: the process just ends
            leaked->set("a", Value::list({1, 2, 3}));
            leaked->save();
            leaked->set("unsaved", 1);
            return 0;
          }) == 0);
  CHECK(std::filesystem::exists(dir / "a.pj-wal"));
  SUBCASE("read_write") {
    Session s(file, fast());
    CHECK(s.get("a") == Value::list({1, 2, 3}));
    CHECK_FALSE(s.contains("unsaved"));
  }
  SUBCASE("read_only") {
    SessionOptions reader = fast();
    reader.mode = picklejar::OpenMode::read_only;
    Session s(file, reader);
    CHECK(s.get("a") == Value::list({1, 2, 3}));
  }
  SUBCASE("read_write, with the WAL index gone too") {
    std::filesystem::remove(dir / "a.pj-shm");
    Session s(file, fast());
    CHECK(s.get("a") == Value::list({1, 2, 3}));
  }
}

TEST_CASE("Session processes: LockTimeout names the file when another process holds the lock") {
  ScratchDir dir;
  const auto file = dir / "a.pj";
  SessionOptions impatient = fast();
  impatient.lock_timeout = std::chrono::milliseconds(50);
  Session s(file, impatient);
  s.set("a", 1);
  s.save();
  picklejar::test::Signal locked;
  picklejar::test::Signal done;
  const pid_t holder = picklejar::test::fork_child([&] {
    const auto lock = picklejar::store::FileLock::acquire(picklejar::store::lock_path_for(file),
                                                          picklejar::store::LockMode::exclusive,
                                                          std::chrono::seconds(5));
    locked.notify();
    done.wait();
    return 0;
  });
  locked.wait();
  s.set("a", 2);
  CHECK_THROWS_AS(s.save(), picklejar::LockTimeout);
  CHECK(s.has_unsaved_changes());  // kept for a later try
  try {
    s.transact([](Session&) {});
    FAIL("transact while the lock was held");
  } catch (const picklejar::LockTimeout& e) {
    CHECK(std::string(e.what()).find(file.string() + ".lock") != std::string::npos);
  }
  // Readers take no lock file: they read SQLite's last committed snapshot at once.
  s.load();
  CHECK(Session(file, impatient).get<int>("a") == 1);
  done.notify();
  CHECK(picklejar::test::wait_child(holder) == 0);
  s.save();  // the lock is free again
  Session after(file, impatient);
  CHECK(after.get<int>("a") == 2);
}

TEST_CASE(
    "Session processes: a lock file replaced or deleted between saves: the next one locks the file "
    "there now") {
  // The lock registry remembers which file a path named and tries it first without a stat();
  // the check after locking must send it to the file the path names now.
  ScratchDir dir;
  const auto file = dir / "a.pj";
  const auto lock_file = picklejar::store::lock_path_for(file);
  for (const auto timeout : {std::chrono::milliseconds(0), std::chrono::milliseconds(100)}) {
    CAPTURE(timeout.count());
    SessionOptions impatient = fast();
    impatient.lock_timeout = timeout;
    Session s(file, impatient);
    s.set("a", 1);
    s.save();
    picklejar::test::write_file(dir / "new.lock", "");
    std::filesystem::rename(dir / "new.lock", lock_file);
    picklejar::test::Signal locked;
    picklejar::test::Signal done;
    const pid_t holder = picklejar::test::fork_child([&] {
      const auto lock = picklejar::store::FileLock::acquire(
          lock_file, picklejar::store::LockMode::exclusive, std::chrono::seconds(5));
      locked.notify();
      done.wait();
      return 0;
    });
    locked.wait();
    s.set("a", 2);
    CHECK_THROWS_AS(s.save(), picklejar::LockTimeout);  // not the old file, free in here
    done.notify();
    CHECK(picklejar::test::wait_child(holder) == 0);
    s.save();
    std::filesystem::remove(lock_file);
    s.set("a", 3);
    s.save();  // makes a new lock file and locks that
    CHECK(std::filesystem::exists(lock_file));
    CHECK(Session(file, impatient).get<int>("a") == 3);
  }
}

TEST_CASE("Session processes: sessions in threads of one process exclude each other too") {
  ScratchDir dir;
  const auto file = dir / "counter.pj";
  { Session create(file, fast()); }
  constexpr int kThreads = 3;
  constexpr int kIncrements = 100;
  std::vector<std::thread> threads;
  std::vector<int> failures(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      try {
        Session s(file, fast(ConflictPolicy::strict));  // one session per thread
        for (int i = 0; i < kIncrements; ++i)
          s.transact([](Session& x) { x.set("count", x.get_or("count", 0) + 1); });
      } catch (...) {
        failures[static_cast<std::size_t>(t)] = 1;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  CHECK(failures == std::vector<int>(kThreads, 0));
  Session s(file, fast());
  CHECK(s.get<int>("count") == kThreads * kIncrements);
}
