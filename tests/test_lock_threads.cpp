// FileLock within one process: threads and several FileLocks on one lock file exclude each
// other through the per-process registry, whatever spelling of the path they use.

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <latch>
#include <optional>
#include <picklejar/error.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "lock_support.hpp"
#include "store/sqlite/file_lock.hpp"
#include "store/sqlite/lock_registry.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using picklejar::LockTimeout;
using picklejar::StoreError;
using picklejar::store::FileLock;
using picklejar::store::LockMode;
using picklejar::store::LockRegistry;
using picklejar::test::can_lock;
using picklejar::test::descriptors_of;
using picklejar::test::ScratchDir;
using picklejar::test::wait_for;

namespace {

// can_lock() from another thread: the answer for any thread but this one.
bool other_thread_can_lock(const fs::path& path, LockMode mode) {
  bool result = false;
  std::thread([&] { result = can_lock(path, mode); }).join();
  return result;
}

// The registry has an idle entry for the file: its descriptor is open, no lock is held.
bool nothing_held(const fs::path& path) {
  const auto counts = LockRegistry::current().inspect(path);
  return counts && counts->shared == 0 && !counts->exclusive && counts->waiting == 0;
}

std::string contents(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

TEST_CASE("lock_path_for appends .lock to the database path") {
  CHECK(picklejar::store::lock_path_for("/x/s.db") == fs::path("/x/s.db.lock"));
  CHECK(picklejar::store::lock_path_for("s") == fs::path("s.lock"));
}

TEST_CASE("FileLock holds until released, moved or destroyed") {
  ScratchDir dir;
  const fs::path path = dir / "s.db.lock";
  auto& registry = LockRegistry::current();

  SUBCASE("release") {
    FileLock lock = FileLock::acquire(path, LockMode::exclusive, 0ms);
    CHECK(lock.held());
    CHECK(lock.mode() == LockMode::exclusive);
    CHECK(registry.inspect(path)->exclusive);
    CHECK_FALSE(other_thread_can_lock(path, LockMode::shared));
    lock.release();
    CHECK_FALSE(lock.held());
    lock.release();  // idempotent
    CHECK(nothing_held(path));
    CHECK(descriptors_of(path) == 1);  // kept open for the next FileLock
    CHECK(other_thread_can_lock(path, LockMode::exclusive));
  }
  SUBCASE("move construction and assignment") {
    FileLock first = FileLock::acquire(path, LockMode::shared, 0ms);
    FileLock second = std::move(first);
    CHECK_FALSE(first.held());
    CHECK(second.held());
    CHECK(second.mode() == LockMode::shared);
    CHECK(registry.inspect(path)->shared == 1);

    const fs::path other = dir / "other.lock";
    FileLock third = FileLock::acquire(other, LockMode::exclusive, 0ms);
    third = std::move(second);  // releases the exclusive lock on `other`
    CHECK(third.held());
    CHECK(nothing_held(other));
    CHECK(other_thread_can_lock(other, LockMode::exclusive));
    CHECK_FALSE(other_thread_can_lock(path, LockMode::exclusive));
  }
  SUBCASE("destruction") {
    { FileLock lock = FileLock::acquire(path, LockMode::exclusive, 0ms); }
    CHECK(nothing_held(path));
    CHECK(other_thread_can_lock(path, LockMode::exclusive));
  }
}

TEST_CASE("FileLock keeps the descriptors of the most recently used idle lock files open") {
  ScratchDir dir;
  constexpr int kIdle = LockRegistry::kIdleLimit;
  const auto file = [&](int i) { return dir / ("f" + std::to_string(i) + ".lock"); };
  for (int round = 0; round < 2; ++round) {  // the second round reuses the cached ones
    for (int i = 0; i < kIdle + 3; ++i) {
      FileLock lock = FileLock::acquire(file(i), LockMode::exclusive, 0ms);
      CHECK(descriptors_of(file(i)) == 1);
    }
  }
  for (int i = 0; i < 3; ++i) {
    CHECK_FALSE(LockRegistry::current().inspect(file(i)).has_value());
    CHECK(descriptors_of(file(i)) == 0);
  }
  for (int i = 3; i < kIdle + 3; ++i) {
    CHECK(nothing_held(file(i)));
    CHECK(descriptors_of(file(i)) == 1);
  }
}

TEST_CASE("FileLock creates a missing lock file and never truncates one") {
  ScratchDir dir;
  const fs::path path = dir / "s.db.lock";

  SUBCASE("existing contents are kept") {
    std::ofstream(path) << "notes by whoever made it";
    { FileLock lock = FileLock::acquire(path, LockMode::exclusive, 0ms); }
    { FileLock lock = FileLock::acquire(path, LockMode::shared, 0ms); }
    CHECK(contents(path) == "notes by whoever made it");
  }
  SUBCASE("a new lock file is read-write for who may write its database, closed to others") {
    // Whoever may open the lock file may hold a lock on it: users who may only read the
    // database get nothing (issue 15, item 1).
    const std::pair<int, int> modes[] = {{0600, 0600}, {0640, 0600}, {0644, 0600},
                                         {0664, 0660}, {0666, 0666}, {0444, 0}};
    for (const auto& [database, lock_mode] : modes) {
      CAPTURE(database);
      std::ofstream(dir / "s.db") << "";
      fs::permissions(dir / "s.db", static_cast<fs::perms>(database));
      fs::remove(path);
      { FileLock lock = FileLock::acquire(path, LockMode::shared, 0ms); }
      struct stat st {};
      REQUIRE(::stat(path.c_str(), &st) == 0);
      CHECK((st.st_mode & 0777) == static_cast<unsigned>(lock_mode));
    }
  }
  SUBCASE("without a database, as for one of 0666 less the umask") {
    const mode_t old_mask = ::umask(007);
    { FileLock lock = FileLock::acquire(dir / "plain.lock", LockMode::shared, 0ms); }
    ::umask(old_mask);
    struct stat st {};
    REQUIRE(::stat((dir / "plain.lock").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0660);
  }
}

TEST_CASE("FileLock errors name the lock file") {
  ScratchDir dir;

  SUBCASE("missing directory") {
    const fs::path path = dir / "missing" / "s.db.lock";
    CHECK_THROWS_WITH_AS(
        FileLock::acquire(path, LockMode::shared, 0ms),
        ("cannot create lock file '" + path.string() + "': No such file or directory").c_str(),
        StoreError);
  }
  SUBCASE("not a regular file") {
    fs::create_directory(dir / "d.lock");
    try {
      FileLock::acquire(dir / "d.lock", LockMode::exclusive, 0ms);
      FAIL("acquired a lock on a directory");
    } catch (const LockTimeout&) {
      FAIL("a directory is not a timeout");
    } catch (const StoreError& e) {
      CHECK(e.path() == (dir / "d.lock").string());
      CHECK(std::string(e.what()).find("'" + (dir / "d.lock").string() + "'") != std::string::npos);
    }
  }
}

TEST_CASE("FileLock between threads") {
  ScratchDir dir;
  const fs::path path = dir / "s.db.lock";
  auto& registry = LockRegistry::current();

  SUBCASE("shared locks coexist") {
    FileLock mine = FileLock::acquire(path, LockMode::shared, 0ms);
    constexpr int kThreads = 4;
    std::latch all_hold(kThreads + 1);
    std::atomic<int> acquired{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&] {
        FileLock lock = FileLock::acquire(path, LockMode::shared, 0ms);
        ++acquired;
        all_hold.arrive_and_wait();  // every thread holds its shared lock at this point
      });
    }
    wait_for([&] { return acquired == kThreads; });
    CHECK(registry.inspect(path)->shared == kThreads + 1);
    all_hold.arrive_and_wait();
    for (auto& thread : threads) thread.join();
    CHECK(registry.inspect(path)->shared == 1);
  }
  SUBCASE("exclusive excludes shared and exclusive") {
    FileLock mine = FileLock::acquire(path, LockMode::exclusive, 0ms);
    CHECK_FALSE(other_thread_can_lock(path, LockMode::shared));
    CHECK_FALSE(other_thread_can_lock(path, LockMode::exclusive));
  }
  SUBCASE("shared excludes exclusive") {
    FileLock mine = FileLock::acquire(path, LockMode::shared, 0ms);
    CHECK(other_thread_can_lock(path, LockMode::shared));
    CHECK_FALSE(other_thread_can_lock(path, LockMode::exclusive));
  }
  SUBCASE("a waiting writer gets the lock when the readers leave, and keeps new ones out") {
    std::optional<FileLock> reader = FileLock::acquire(path, LockMode::shared, 0ms);
    std::atomic<bool> writer_held{false};
    std::thread writer([&] {
      FileLock lock = FileLock::acquire(path, LockMode::exclusive, 60s);
      writer_held = lock.held() && lock.mode() == LockMode::exclusive;
    });
    wait_for([&] { return registry.inspect(path)->waiting == 1; });
    CHECK_FALSE(other_thread_can_lock(path, LockMode::shared));  // writer preference
    reader.reset();
    writer.join();
    CHECK(writer_held);
  }
}

TEST_CASE("FileLock: threads incrementing a plain counter lose nothing") {
  ScratchDir dir;
  const fs::path path = dir / "s.db.lock";
  fs::create_directory(dir / "sub");
  fs::create_symlink(path, dir / "link.lock");
  const fs::path spellings[] = {path, dir / "link.lock", dir / "sub" / ".." / "s.db.lock"};
  // The lock file made, and its registry entry kept idle, through its own name: a thread whose
  // first lookup goes through the symbolic link would otherwise open the link, which FileLock
  // refuses (O_NOFOLLOW), whenever it ran before every other thread.
  { const FileLock first = FileLock::acquire(path, LockMode::exclusive, 0ms); }
  constexpr int kThreads = 6, kIncrements = 1500;
  long long counter = 0;  // not atomic: only the lock protects it
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kIncrements; ++i) {
        FileLock lock = FileLock::acquire(spellings[(t + i) % 3], LockMode::exclusive, 60s);
        const long long seen = counter;
        if (i % 64 == 0) std::this_thread::yield();  // widen the race a lost update needs
        counter = seen + 1;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(counter == kThreads * kIncrements);
  CHECK(nothing_held(path));
  CHECK(descriptors_of(path) == 1);
}

TEST_CASE("FileLock: different spellings of one lock file exclude each other") {
  ScratchDir dir;
  const fs::path path = dir / "s.db.lock";
  fs::create_directory(dir / "sub");
  std::ofstream(path) << "";
  fs::create_symlink(path, dir / "link.lock");
  fs::create_hard_link(path, dir / "hard.lock");
  auto& registry = LockRegistry::current();

  for (const fs::path& other : {dir / "link.lock", dir / "sub" / ".." / "s.db.lock",
                                dir / "hard.lock", fs::path(dir / "." / "s.db.lock")}) {
    CAPTURE(other);
    FileLock mine = FileLock::acquire(path, LockMode::exclusive, 0ms);
    CHECK_FALSE(can_lock(other, LockMode::exclusive));
    CHECK_FALSE(other_thread_can_lock(other, LockMode::shared));
    mine.release();
    FileLock theirs = FileLock::acquire(other, LockMode::shared, 0ms);
    CHECK(registry.inspect(path)->shared == 1);
    CHECK_FALSE(other_thread_can_lock(path, LockMode::exclusive));
  }
}

TEST_CASE("FileLock: a wait that runs out throws LockTimeout naming the file") {
  ScratchDir dir;
  const fs::path path = dir / "s.db.lock";
  FileLock mine = FileLock::acquire(path, LockMode::exclusive, 0ms);

  SUBCASE("after the timeout") {
    const auto start = std::chrono::steady_clock::now();
    try {
      FileLock::acquire(path, LockMode::exclusive, 200ms);
      FAIL("acquired a lock held by another FileLock");
    } catch (const LockTimeout& e) {
      CHECK(std::chrono::steady_clock::now() - start >= 200ms);
      CHECK(e.path() == path.string());
      CHECK(std::string(e.what()) == "timed out after 200 ms waiting for an exclusive lock on '" +
                                         path.string() +
                                         "' (held by another lock in this process)");
    }
  }
  SUBCASE("zero tries once") {
    CHECK_THROWS_WITH_AS(FileLock::acquire(path, LockMode::shared, 0ms),
                         ("timed out after 0 ms waiting for a shared lock on '" + path.string() +
                          "' (held by another lock in this process)")
                             .c_str(),
                         LockTimeout);
  }
  SUBCASE("negative is zero") {
    CHECK_THROWS_AS(FileLock::acquire(path, LockMode::shared, -5ms), LockTimeout);
  }
  CHECK(mine.held());
}

TEST_CASE("FileLock: a waiter whose lock file was replaced locks the new file") {
  ScratchDir dir;
  const fs::path path = dir / "s.db.lock";
  auto& registry = LockRegistry::current();
  std::optional<FileLock> mine = FileLock::acquire(path, LockMode::exclusive, 0ms);
  std::optional<FileLock> theirs;
  std::thread waiter([&] { theirs = FileLock::acquire(path, LockMode::exclusive, 60s); });
  wait_for([&] { return registry.inspect(path)->waiting == 1; });

  std::ofstream(dir / "new.lock") << "";
  fs::rename(dir / "new.lock", path);  // our lock now guards a file nobody can find
  CHECK_FALSE(registry.inspect(path).has_value());
  CHECK(can_lock(path, LockMode::exclusive));
  mine.reset();
  waiter.join();
  REQUIRE(theirs.has_value());
  CHECK(theirs->held());
  CHECK(registry.inspect(path)->exclusive);  // the file the path names now
  CHECK_FALSE(other_thread_can_lock(path, LockMode::shared));
}
