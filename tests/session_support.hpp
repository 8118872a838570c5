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

#include "process_support.hpp"

namespace doctest {
template <>
struct StringMaker<picklejar::Value> {
  static String convert(const picklejar::Value& v) { return picklejar::repr(v).c_str(); }
};
}  // namespace doctest

namespace picklejar::test {

// Options for most tests: `mode`, no waiting for the disk (Durability::fast), the default
// lock timeout (which is also the statement time limit hostile files run into).
SessionOptions fast(OpenMode mode = OpenMode::create);
// fast(), with a lock timeout of a minute: for tests whose processes or threads wait for each
// other, on a loaded machine.
SessionOptions patient(OpenMode mode = OpenMode::create);

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

// A Python bytes literal for `bytes` (for scripts run with run_python(), python.hpp).
std::string py_bytes(const std::string& bytes);

}  // namespace picklejar::test
