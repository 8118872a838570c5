#pragma once
// Helpers for the session store tests (tests/test_session_*.cpp): scratch directories, raw
// SQLite access to inspect and tamper with session files, byte-and-mtime snapshots for
// "never modified" checks, and forked children.

#include <doctest/doctest.h>
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <picklejar/repr.hpp>
#include <picklejar/session.hpp>
#include <picklejar/value.hpp>

namespace doctest {
template <>
struct StringMaker<picklejar::Value> {
  static String convert(const picklejar::Value& v) { return picklejar::repr(v).c_str(); }
};
}  // namespace doctest

namespace picklejar::test {

// A fresh directory under $TMPDIR (or /tmp), removed with its contents.
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

// A file's bytes and modification time; equal snapshots mean the file was not touched.
struct FileSnapshot {
  bool exists = false;
  std::string bytes;
  std::int64_t mtime_ns = 0;
  friend bool operator==(const FileSnapshot&, const FileSnapshot&) = default;
};
FileSnapshot snapshot(const std::filesystem::path& file);

std::string read_file(const std::filesystem::path& file);
void write_file(const std::filesystem::path& file, const std::string& bytes);

// A plain SQLite connection to a session file, for what the library must not be trusted to
// report about itself: pragmas, rows, and deliberate damage.
class RawDb {
 public:
  // Opens the file read-write, creating it when missing.
  explicit RawDb(const std::filesystem::path& file);
  ~RawDb();
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;
  void exec(const std::string& sql);
  // The first column of the first row (CHECK-fails when there is no row).
  std::int64_t integer(const std::string& sql);
  std::string text(const std::string& sql);
  std::string blob(const std::string& sql);
  // Runs `sql` with ?1 bound to a blob.
  void exec_with_blob(const std::string& sql, const std::string& blob);

 private:
  void* db_;  // sqlite3*
};

// Runs `body` in a forked child, which exits with body's return value, or 1 after printing an
// exception. The child leaves with _exit(): no destructors, no atexit handlers.
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

 private:
  int fds_[2];
};

// A Python bytes literal for `bytes` (for scripts run with run_python(), python.hpp).
std::string py_bytes(const std::string& bytes);

}  // namespace picklejar::test
