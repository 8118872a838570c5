// Change notification: what load() reports, changed(), wait_for_change() across processes
// (its latency and the CPU a waiting process uses, with inotify and polling), and Watcher.

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <picklejar/session.hpp>
#include <picklejar/watcher.hpp>

#include "session_support.hpp"
#include "store/sqlite/file_lock.hpp"

using picklejar::Changes;
using picklejar::Session;
using picklejar::SessionOptions;
using picklejar::test::patient;
using picklejar::test::ScratchDir;
using Keys = std::vector<std::string>;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

// FilesystemCheck::network: the rollback journal, whose sessions poll instead of using inotify.
SessionOptions polling() {
  SessionOptions options = patient();
  options.filesystem = picklejar::FilesystemCheck::network;
  return options;
}

// A pipe carrying 64-bit numbers from a child to its parent.
class NumberPipe {
 public:
  NumberPipe() { REQUIRE(::pipe2(fds_, O_CLOEXEC) == 0); }
  ~NumberPipe() {
    ::close(fds_[0]);
    ::close(fds_[1]);
  }
  void send(std::int64_t n) { REQUIRE(::write(fds_[1], &n, sizeof n) == sizeof n); }
  std::int64_t receive() {
    std::int64_t n = 0;
    REQUIRE(::read(fds_[0], &n, sizeof n) == sizeof n);
    return n;
  }

 private:
  int fds_[2];
};

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

double cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

}  // namespace

TEST_CASE("Session changes: load() returns the keys others added, changed and removed") {
  ScratchDir dir;
  const auto file = dir / "s.pj";
  Session a(file, patient());
  Session b(file, patient());

  SUBCASE("added, changed, removed, and the revisions between the two looks") {
    a.update({{"x", 1}, {"y", 2}});
    a.save();
    Changes first = b.load();
    CHECK(first.added == Keys{"x", "y"});
    CHECK(first.changed.empty());
    CHECK(first.removed.empty());
    CHECK(first.since_revision == 0);
    CHECK(first.revision == 1);

    a.set("x", 10);
    a.erase("y");
    a.set("z", 3);
    a.save();
    const Changes second = b.load();
    CHECK(second.added == Keys{"z"});
    CHECK(second.changed == Keys{"x"});
    CHECK(second.removed == Keys{"y"});
    CHECK(second.keys() == Keys{"x", "y", "z"});
    CHECK(second.since_revision == 1);
    CHECK(second.revision == 2);
    CHECK(b.load().empty());  // nothing since
  }
  SUBCASE("a key added and removed again between two looks is not news") {
    a.set("w", 1);
    a.save();
    a.erase("w");
    a.save();
    CHECK(b.load().empty());
    CHECK(b.file_info().revision == 2);
  }
  SUBCASE("this session's own saves are not listed; others' brought in by save() are") {
    a.set("theirs", 1);
    a.save();
    b.set("mine", 2);
    b.save();  // brings in "theirs" too
    CHECK(b.contains("theirs"));
    const Changes changes = b.load();
    CHECK(changes.added == Keys{"theirs"});
    CHECK(changes.revision == 2);
    b.increment("count");
    CHECK(b.load().empty());
  }
  SUBCASE("a key this session changed but did not save is listed, its change stays on top") {
    a.set("k", 1);
    a.save();
    b.load();
    b.set("k", 100);
    a.set("k", 2);
    a.save();
    const Changes changes = b.load();
    CHECK(changes.changed == Keys{"k"});
    CHECK(b.get<int>("k") == 100);
  }
  SUBCASE("a file created empty, then written by another session") {
    // b opened the new file at revision 0: its first load of entries is still news.
    a.update({{"p", 1}, {"q", 2}});
    a.save();
    CHECK(b.load().added == Keys{"p", "q"});
  }
}

TEST_CASE("Session changes: changed() sees others' commits, not its own, without the lock") {
  ScratchDir dir;
  const auto file = dir / "s.pj";
  SessionOptions no_wait = patient();
  no_wait.lock_timeout = 0ms;  // a lock held elsewhere would make any locking call throw
  Session a(file, patient());
  Session b(file, no_wait);
  CHECK_FALSE(b.changed());
  b.set("own", 1);
  b.save();
  CHECK_FALSE(b.changed());
  a.set("theirs", 1);
  a.save();
  CHECK(b.changed());

  // Another process holds the exclusive lock: changed() still answers, and load() cannot.
  picklejar::test::Signal locked;
  picklejar::test::Signal done;
  const pid_t holder = picklejar::test::fork_child([&] {
    const auto held = picklejar::store::FileLock::acquire(
        picklejar::store::lock_path_for(file), picklejar::store::LockMode::exclusive, 10s);
    locked.notify();
    done.wait();
    return 0;
  });
  locked.wait();
  CHECK(b.changed());
  // Readers take no lock file (issue 15): a held writers' lock delays no load().
  CHECK(b.load().added == Keys{"theirs"});
  done.notify();
  CHECK(picklejar::test::wait_child(holder) == 0);
  CHECK(b.load().added.empty());
  CHECK_FALSE(b.changed());
}

TEST_CASE("Session changes: wait_for_change() times out empty, and is refused in transact()") {
  ScratchDir dir;
  const auto file = dir / "s.pj";
  Session s(file, patient());
  const auto start = Clock::now();
  const Changes none = s.wait_for_change(100ms);
  CHECK(none.empty());
  CHECK(Clock::now() - start >= 100ms);
  CHECK(s.wait_for_change(0ms).empty());
  CHECK_THROWS_AS(s.transact([](Session& t) { t.wait_for_change(0ms); }), picklejar::StoreError);
}

TEST_CASE("Session changes: another process's save wakes wait_for_change() with its key") {
  // Process A saves key k<i>; this process (B) waits. The bound asserted is loose (the test
  // machine is shared); the typical latency is printed.
  bool inotify = true;
  SUBCASE("inotify") { inotify = true; }
  SUBCASE("poll") { inotify = false; }
  CAPTURE(inotify);
  ScratchDir dir;
  const auto file = dir / "s.pj";
  const SessionOptions options = inotify ? patient() : polling();
  Session b(file, options);
  constexpr int kRounds = 15;
  picklejar::test::Signal go;
  NumberPipe saved;
  const pid_t writer = picklejar::test::fork_child([&] {
    Session a(file, options);
    for (int i = 0; i < kRounds; ++i) {
      go.wait();
      std::this_thread::sleep_for(30ms);  // B is waiting by now
      a.set(fmt::format("k{}", i), i);
      a.save();
      saved.send(now_ns());
    }
    return 0;
  });
  std::vector<double> latencies_ms;
  for (int i = 0; i < kRounds; ++i) {
    go.notify();
    const Changes changes = b.wait_for_change(20s);
    const std::int64_t woke = now_ns();
    const std::int64_t after_save = saved.receive();
    CHECK(changes.keys() == Keys{fmt::format("k{}", i)});
    latencies_ms.push_back(std::max<std::int64_t>(0, woke - after_save) / 1e6);
  }
  CHECK(picklejar::test::wait_child(writer) == 0);
  std::sort(latencies_ms.begin(), latencies_ms.end());
  fmt::print(stderr, "wait_for_change latency ({}): median {:.2f} ms, max {:.2f} ms\n",
             inotify ? "inotify" : "poll", latencies_ms[kRounds / 2], latencies_ms.back());
  CHECK(latencies_ms.back() < 2000);
}

TEST_CASE("Session changes: a process waiting for changes uses almost no CPU") {
  // Two waiting processes at once, one with inotify, one polling, 5 s each: each must use
  // under 1% of a core.
  ScratchDir dir;
  const auto file = dir / "s.pj";
  const auto polled = dir / "polled.pj";
  { Session create(file, patient()); }
  { Session create(polled, polling()); }
  std::vector<pid_t> waiters;
  for (const bool inotify : {true, false}) {
    waiters.push_back(picklejar::test::fork_child([&, inotify] {
      Session s(inotify ? file : polled, inotify ? patient() : polling());
      const double cpu_before = cpu_seconds();
      const auto start = Clock::now();
      const Changes changes = s.wait_for_change(5s);
      const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
      const double cpu = cpu_seconds() - cpu_before;
      std::fprintf(stderr, "waiting %.2f s (%s) used %.2f ms of CPU (%.3f%% of a core)\n", elapsed,
                   inotify ? "inotify" : "poll", cpu * 1e3, 100 * cpu / elapsed);
      return changes.empty() && elapsed >= 5 && cpu < 0.01 * elapsed ? 0 : 1;
    }));
  }
  for (const pid_t waiter : waiters) CHECK(picklejar::test::wait_child(waiter) == 0);
}

TEST_CASE("Session changes: Watcher calls back on its own thread until stopped") {
  ScratchDir dir;
  const auto file = dir / "s.pj";
  Session s(file, patient());
  std::mutex mutex;
  std::condition_variable arrived;
  std::vector<Changes> seen;
  std::vector<std::string> errors;
  std::thread::id callback_thread;
  picklejar::Watcher watcher(
      file,
      [&](const Changes& changes) {
        const std::lock_guard lock(mutex);
        callback_thread = std::this_thread::get_id();
        seen.push_back(changes);
        arrived.notify_all();
      },
      patient(),
      [&](const std::exception& e) {
        const std::lock_guard lock(mutex);
        errors.emplace_back(e.what());
        arrived.notify_all();
      });
  CHECK(watcher.running());
  s.set("window", 1);
  s.save();
  {
    std::unique_lock lock(mutex);
    REQUIRE(arrived.wait_for(lock, 20s, [&] { return !seen.empty(); }));
    CHECK(seen.front().keys() == Keys{"window"});
    CHECK(callback_thread != std::this_thread::get_id());
  }
  SUBCASE("stop() ends it") {
    watcher.stop();
    CHECK_FALSE(watcher.running());
    s.set("later", 1);
    s.save();
    std::this_thread::sleep_for(100ms);
    const std::lock_guard lock(mutex);
    CHECK(seen.size() == 1);
  }
  SUBCASE("stop() from its own callback, then destruction") {
    std::atomic<picklejar::Watcher*> self{nullptr};
    std::atomic<int> calls{0};
    auto second = std::make_unique<picklejar::Watcher>(
        file,
        [&](const Changes&) {
          ++calls;
          self.load()->stop();  // returns at once; the thread ends after this callback
        },
        patient());
    self = second.get();
    s.set("again", 1);
    s.save();
    for (int i = 0; i < 2000 && second->running(); ++i) std::this_thread::sleep_for(10ms);
    CHECK_FALSE(second->running());
    CHECK(calls == 1);
    second.reset();
  }
  SUBCASE("a file re-keyed under it ends it with an error") {
    s.rekey("new key");
    std::unique_lock lock(mutex);
    REQUIRE(arrived.wait_for(lock, 20s, [&] { return !errors.empty(); }));
    CHECK(errors.front().find("re-keyed") != std::string::npos);
    lock.unlock();
    for (int i = 0; i < 200 && watcher.running(); ++i) std::this_thread::sleep_for(10ms);
    CHECK_FALSE(watcher.running());
  }
}
