#pragma once
// Helpers shared by the tests that work with files and processes (lock and session tests):
// scratch directories, forked children, and a signal between processes.

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <string>

namespace picklejar::test {

// A fresh directory under $TMPDIR (or /tmp), removed with its contents (also after a test
// took away its permissions).
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// Runs `body` in a forked child, which exits with body's return value, or 1 after printing an
// exception. The child leaves with _exit(): no destructors, no doctest reporting, no atexit
// handlers of the parent's test run. Call only while the test runs no other threads.
pid_t fork_child(const std::function<int()>& body);
// Waits for a child; its exit status, or 128 + signal when killed.
int wait_child(pid_t pid);
// fork_child + wait_child.
int run_child(const std::function<int()>& body);

// A one-way signal between processes (a pipe): notify() in one, wait() in the other.
class Signal {
 public:
  Signal();
  ~Signal();
  Signal(const Signal&) = delete;
  Signal& operator=(const Signal&) = delete;
  void notify();
  void wait();
  bool ready();  // whether notify() was called, without waiting

 private:
  int fds_[2];
};

}  // namespace picklejar::test
