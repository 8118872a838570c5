// FileLock between processes: Python's fcntl.lockf (the documented protocol), Boost's own
// file_lock, forked children, and the POSIX pitfall of a close() dropping a process's locks.
// Children are forked only while the test runs no other threads.

#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <boost/interprocess/sync/file_lock.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <picklejar/error.hpp>
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
using picklejar::store::MissingLockFile;
using picklejar::test::can_lock;
using picklejar::test::expect;
using picklejar::test::fork_child;
using picklejar::test::python_lock;
using picklejar::test::PythonLocker;
using picklejar::test::ScratchDir;
using picklejar::test::Signal;
using picklejar::test::wait_child;

namespace {

// can_lock() in a forked child (fresh registry): the answer for any other process. (Used
// where python3 may be out of reach: tests running as "nobody" cannot enter /root.)
bool other_process_can_lock(const fs::path& path, LockMode mode) {
  return wait_child(fork_child([&] { return can_lock(path, mode) ? 0 : 1; })) == 0;
}

// Increments the counter in `counter_file` n times, each under an exclusive FileLock.
void count(const fs::path& lock_file, const fs::path& counter_file, int n) {
  const int fd = ::open(counter_file.c_str(), O_RDWR | O_CLOEXEC);
  expect(fd >= 0, "open counter");
  for (int i = 0; i < n; ++i) {
    FileLock lock = FileLock::acquire(lock_file, LockMode::exclusive, 60s);
    long long value = 0;
    expect(::pread(fd, &value, sizeof value, 0) == sizeof value, "read counter");
    ++value;
    expect(::pwrite(fd, &value, sizeof value, 0) == sizeof value, "write counter");
  }
  ::close(fd);
}

}  // namespace

TEST_SUITE("lock processes") {
  TEST_CASE("Python's fcntl.lockf and FileLock exclude each other") {
    ScratchDir dir;
    const fs::path path = dir / "s.db.lock";
    std::ofstream(path) << "";

    SUBCASE("python holds exclusive") {
      PythonLocker python(path, {"ex"});
      REQUIRE(python.first_line() == "locked");
      const auto start = std::chrono::steady_clock::now();
      try {
        FileLock::acquire(path, LockMode::exclusive, 300ms);
        FAIL("acquired a lock python holds");
      } catch (const LockTimeout& e) {
        CHECK(std::chrono::steady_clock::now() - start >= 300ms);
        CHECK(std::string(e.what()) == "timed out after 300 ms waiting for an exclusive lock on '" +
                                           path.string() + "' (held by process " +
                                           std::to_string(python.pid()) + ")");
      }
      CHECK_FALSE(can_lock(path, LockMode::shared));
      CHECK(python.finish() == 0);
      CHECK(FileLock::acquire(path, LockMode::exclusive, 60s).held());
    }
    SUBCASE("python holds shared") {
      PythonLocker python(path, {"sh"});
      REQUIRE(python.first_line() == "locked");
      CHECK(can_lock(path, LockMode::shared));
      CHECK_FALSE(can_lock(path, LockMode::exclusive));
    }
    SUBCASE("we hold exclusive") {
      FileLock lock = FileLock::acquire(path, LockMode::exclusive, 0ms);
      CHECK(python_lock(path, "ex_nb") == "busy");
      CHECK(python_lock(path, "sh_nb") == "busy");
      lock.release();
      CHECK(python_lock(path, "ex_nb") == "locked");
    }
    SUBCASE("we hold shared") {
      FileLock lock = FileLock::acquire(path, LockMode::shared, 0ms);
      CHECK(python_lock(path, "sh_nb") == "locked");
      CHECK(python_lock(path, "ex_nb") == "busy");
    }
    SUBCASE("fcntl.flock does not see our locks (a different kind of lock on Linux)") {
      FileLock lock = FileLock::acquire(path, LockMode::exclusive, 0ms);
      CHECK(python_lock(path, "flock_ex_nb") == "locked");
    }
  }

  TEST_CASE("the Python code in docs/FORMAT.md's lock protocol and FileLock exclude each other") {
    ScratchDir dir;
    const fs::path path = dir / "s.db.lock";

    SUBCASE("we hold exclusive") {
      FileLock lock = FileLock::acquire(path, LockMode::exclusive, 0ms);
      CHECK(python_lock(path, "doc_ex") == "busy");
      CHECK(python_lock(path, "doc_sh") == "busy");
    }
    SUBCASE("we hold shared") {
      FileLock lock = FileLock::acquire(path, LockMode::shared, 0ms);
      CHECK(python_lock(path, "doc_sh") == "locked");
      CHECK(python_lock(path, "doc_ex") == "busy");
    }
    SUBCASE("python holds exclusive, on a lock file it created") {
      PythonLocker python(path, {"doc_ex"});
      REQUIRE(python.first_line() == "locked");
      CHECK_FALSE(can_lock(path, LockMode::shared));
      CHECK_FALSE(can_lock(path, LockMode::exclusive));
      CHECK(python.finish() == 0);
      CHECK(can_lock(path, LockMode::exclusive));
    }
    SUBCASE("python holds shared") {
      PythonLocker python(path, {"doc_sh"});
      REQUIRE(python.first_line() == "locked");
      CHECK(can_lock(path, LockMode::shared));
      CHECK_FALSE(can_lock(path, LockMode::exclusive));
    }
  }

  TEST_CASE("Boost's file_lock in another process sees FileLock's locks") {
    ScratchDir dir;
    const fs::path path = dir / "s.db.lock";
    FileLock lock = FileLock::acquire(path, LockMode::shared, 0ms);
    const pid_t child = fork_child([&] {
      boost::interprocess::file_lock boost_lock(path.c_str());
      expect(!boost_lock.try_lock(), "boost exclusive while we hold shared");
      expect(boost_lock.try_lock_sharable(), "boost shared while we hold shared");
      boost_lock.unlock_sharable();
      return 0;
    });
    CHECK(wait_child(child) == 0);
  }

  TEST_CASE("closing another descriptor of the lock file never drops a held lock") {
    ScratchDir dir;
    const fs::path path = dir / "s.db.lock";
    fs::create_symlink(path, dir / "link.lock");
    FileLock held = FileLock::acquire(path, LockMode::shared, 0ms);
    { FileLock other = FileLock::acquire(dir / "link.lock", LockMode::shared, 0ms); }
    { FileLock other = FileLock::acquire(path, LockMode::shared, 0ms); }
    CHECK_THROWS_AS(FileLock::acquire(dir / "link.lock", LockMode::exclusive, 0ms), LockTimeout);
    CHECK(LockRegistry::current().inspect(path)->shared == 1);
    CHECK(python_lock(path, "ex_nb") == "busy");
    held.release();
    CHECK(python_lock(path, "ex_nb") == "locked");
  }

  TEST_CASE("a forked child starts with a fresh registry and none of the parent's locks") {
    ScratchDir dir;
    const fs::path path = dir / "s.db.lock";
    const pid_t parent = ::getpid();

    SUBCASE("parent holds shared") {
      FileLock inherited = FileLock::acquire(path, LockMode::shared, 0ms);
      const pid_t child = fork_child([&] {
        expect(!inherited.held(), "an inherited lock is not held in the child");
        expect(picklejar::test::descriptors_of(path) == 0, "inherited descriptors closed");
        expect(!LockRegistry::current().inspect(path), "the child's registry is empty");
        inherited.release();  // must not touch the parent's lock
        expect(can_lock(path, LockMode::shared), "shared beside the parent's shared");
        try {
          FileLock::acquire(path, LockMode::exclusive, 0ms);
          expect(false, "exclusive while the parent holds shared");
        } catch (const LockTimeout& e) {
          const std::string holder = "(held by process " + std::to_string(parent) + ")";
          expect(std::string(e.what()).find(holder) != std::string::npos, e.what());
        }
        return 0;
      });
      CHECK(wait_child(child) == 0);
      CHECK(inherited.held());
      CHECK(picklejar::test::descriptors_of(path) == 1);
      CHECK(python_lock(path, "ex_nb") == "busy");  // the child's closes left ours alone
      inherited.release();
      CHECK(wait_child(fork_child([&] {
              FileLock lock = FileLock::acquire(path, LockMode::exclusive, 0ms);
              return lock.held() ? 0 : 1;
            })) == 0);
    }
    SUBCASE("parent holds exclusive; the child's copy is destroyed there") {
      std::optional<FileLock> inherited = FileLock::acquire(path, LockMode::exclusive, 0ms);
      const pid_t child = fork_child([&] {
        inherited.reset();
        expect(!can_lock(path, LockMode::shared), "shared while the parent holds exclusive");
        return 0;
      });
      CHECK(wait_child(child) == 0);
      CHECK(inherited->held());
      CHECK(python_lock(path, "sh_nb") == "busy");
    }
    SUBCASE("a child waits for the parent's lock") {
      std::optional<FileLock> mine = FileLock::acquire(path, LockMode::exclusive, 0ms);
      Signal waiting;
      const pid_t child = fork_child([&] {
        expect(!can_lock(path, LockMode::exclusive), "exclusive while the parent holds it");
        waiting.notify();
        FileLock lock = FileLock::acquire(path, LockMode::exclusive, 60s);
        return lock.held() ? 0 : 1;
      });
      waiting.wait();
      mine.reset();
      CHECK(wait_child(child) == 0);
    }
  }

  // Each process holds shared, then a second thread asks for exclusive and the first releases.
  // Converting the shared fcntl lock in place would leave each process waiting for the
  // other's shared lock until both timed out; releasing it first lets one win, then the other.
  TEST_CASE("two processes going from shared to exclusive at once both get it") {
    ScratchDir dir;
    const fs::path path = dir / "s.db.lock";
    Signal child_shared, parent_shared;
    const auto upgrade = [&](Signal& mine, Signal& theirs) {
      std::optional<FileLock> reader = FileLock::acquire(path, LockMode::shared, 0ms);
      mine.notify();
      theirs.wait();  // both processes hold shared now
      bool got = false;
      std::thread writer([&] {
        try {
          got = FileLock::acquire(path, LockMode::exclusive, 30s).held();
        } catch (const LockTimeout&) {
        }
      });
      picklejar::test::wait_for(
          [&] { return LockRegistry::current().inspect(path)->waiting == 1; });
      reader.reset();
      writer.join();
      return got;
    };
    const pid_t child = fork_child([&] { return upgrade(child_shared, parent_shared) ? 0 : 1; });
    CHECK(upgrade(parent_shared, child_shared));
    CHECK(wait_child(child) == 0);
  }

  TEST_CASE("a read-only lock file allows shared locks only; a read-only directory none") {
    ScratchDir dir;
    fs::permissions(dir.path(), fs::perms::all);  // the unprivileged child must get in
    const fs::path ro_file = dir / "ro.db.lock";
    std::ofstream(ro_file) << "";
    fs::permissions(ro_file,
                    fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
    fs::create_directory(dir / "ro_dir");
    fs::permissions(dir / "ro_dir", fs::perms::owner_read | fs::perms::owner_exec |
                                        fs::perms::group_read | fs::perms::group_exec |
                                        fs::perms::others_read | fs::perms::others_exec);
    const fs::path missing = dir / "ro_dir" / "s.db.lock";

    const pid_t child = fork_child([&] {
      picklejar::test::drop_root();
      {
        FileLock lock = FileLock::acquire(ro_file, LockMode::shared, 0ms);
        expect(lock.held(), "shared on a read-only lock file");
      }
      try {
        FileLock::acquire(ro_file, LockMode::exclusive, 0ms);
        expect(false, "exclusive on a read-only lock file");
      } catch (const LockTimeout&) {
        expect(false, "read-only is not a timeout");
      } catch (const StoreError& e) {
        expect(std::string(e.what()) == "cannot take an exclusive lock on '" + ro_file.string() +
                                            "': the lock file is read-only to this process",
               e.what());
      }
      for (const auto mode : {LockMode::shared, LockMode::exclusive}) {
        try {
          FileLock::acquire(missing, mode, 0ms);
          expect(false, "a lock file in a read-only directory");
        } catch (const StoreError& e) {
          expect(std::string(e.what()) ==
                     "cannot create lock file '" + missing.string() + "': Permission denied",
                 e.what());
        }
      }
      FileLock unlocked =
          FileLock::acquire(missing, LockMode::shared, 0ms, MissingLockFile::read_unlocked);
      expect(!unlocked.held(), "read_unlocked holds nothing");
      expect(!fs::exists(missing), "read_unlocked creates nothing");
      try {
        FileLock::acquire(missing, LockMode::exclusive, 0ms, MissingLockFile::read_unlocked);
        expect(false, "read_unlocked is for shared requests only");
      } catch (const StoreError&) {
      }
      return 0;
    });
    CHECK(wait_child(child) == 0);
  }

  TEST_CASE("a lock file made writable is locked exclusively without closing the old descriptor") {
    ScratchDir dir;
    fs::permissions(dir.path(), fs::perms::all);
    const fs::path path = dir / "s.db.lock";
    const pid_t child = fork_child([&] {
      picklejar::test::drop_root();
      std::ofstream(path) << "";
      fs::permissions(path, fs::perms::owner_read);
      FileLock reader = FileLock::acquire(path, LockMode::shared, 0ms);  // read-only descriptor
      fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
      // Opens a second, writable descriptor; this exclusive request then waits for `reader`.
      try {
        FileLock::acquire(path, LockMode::exclusive, 0ms);
        expect(false, "exclusive beside our own shared lock");
      } catch (const LockTimeout&) {
      }
      expect(!other_process_can_lock(path, LockMode::exclusive), "shared lock kept");
      reader.release();
      expect(picklejar::test::descriptors_of(path) == 1, "the read-only spare closed once idle");
      FileLock writer = FileLock::acquire(path, LockMode::exclusive, 0ms);
      expect(!other_process_can_lock(path, LockMode::shared), "exclusive lock held");
      return 0;
    });
    CHECK(wait_child(child) == 0);
  }

  TEST_CASE("4 processes x 500 increments under exclusive locks make exactly 2000") {
    ScratchDir dir;
    const fs::path lock_file = dir / "s.db.lock";
    const fs::path counter = dir / "counter";
    picklejar::test::write_counter(counter, 0);
    std::vector<pid_t> children;
    for (int i = 0; i < 4; ++i)
      children.push_back(fork_child([&] {
        count(lock_file, counter, 500);
        return 0;
      }));
    for (pid_t child : children) CHECK(wait_child(child) == 0);
    CHECK(picklejar::test::read_counter(counter) == 2000);
  }

  TEST_CASE("C++ and Python processes sharing a counter make exactly 2000") {
    ScratchDir dir;
    const fs::path lock_file = dir / "s.db.lock";
    const fs::path counter = dir / "counter";
    picklejar::test::write_counter(counter, 0);
    std::ofstream(lock_file) << "";
    std::vector<pid_t> children;
    for (int i = 0; i < 2; ++i)
      children.push_back(fork_child([&] {
        count(lock_file, counter, 500);
        return 0;
      }));
    PythonLocker first(lock_file, {"count", "500", counter.string()});
    PythonLocker second(lock_file, {"count", "500", counter.string()});
    CHECK(first.first_line() == "done");
    CHECK(second.first_line() == "done");
    CHECK(first.finish() == 0);
    CHECK(second.finish() == 0);
    for (pid_t child : children) CHECK(wait_child(child) == 0);
    CHECK(picklejar::test::read_counter(counter) == 2000);
  }
}
