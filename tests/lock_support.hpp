#pragma once
// Helpers for the lock tests (scratch directories and forked children: process_support.hpp),
// and python3 processes
// running tests/lock_helper.py ($PICKLEJAR_LOCK_HELPER) to lock files with fcntl.lockf.

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "process_support.hpp"
#include "store/sqlite/file_lock.hpp"

namespace picklejar::test {

// In a forked child: throws (so the child exits with status 1 and prints `what`) unless `ok`.
void expect(bool ok, const std::string& what);

// Whether this thread can take `mode` on the lock file `path` right now (without waiting).
bool can_lock(const std::filesystem::path& path, store::LockMode mode);

// In a forked child running as root: becomes "nobody" (uid/gid 65534), so permission checks
// apply as to any user.
void drop_root();

// python3 running lock_helper.py on `lock_file` with `args`.
class PythonLocker {
 public:
  PythonLocker(const std::filesystem::path& lock_file, const std::vector<std::string>& args);
  ~PythonLocker();  // closes its standard input and waits for it
  PythonLocker(const PythonLocker&) = delete;
  PythonLocker& operator=(const PythonLocker&) = delete;

  const std::string& first_line();  // waits for it on first call
  pid_t pid() const { return pid_; }
  int finish();  // closes its standard input; its exit status

 private:
  pid_t pid_ = -1;
  int stdin_ = -1;
  int stdout_ = -1;
  std::string first_line_;
};

// What lock_helper.py OP reports for `lock_file` right now: "locked" or "busy".
std::string python_lock(const std::filesystem::path& lock_file, const std::string& op);

// Polls `condition` (1 ms apart) until it holds. A condition that never holds hangs the test
// until meson's timeout: these waits are for states the code must reach, not for time.
void wait_for(const std::function<bool()>& condition);

// How many of this process's descriptors refer to the file `path` names (from /proc/self/fd).
int descriptors_of(const std::filesystem::path& path);

// The little-endian int64 at the start of `file`, and setting it.
long long read_counter(const std::filesystem::path& file);
void write_counter(const std::filesystem::path& file, long long value);

}  // namespace picklejar::test
