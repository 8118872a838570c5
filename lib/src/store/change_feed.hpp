#pragma once
// How a session learns that other connections changed its store without reading any entry
// (internal): the backend-dependent half of change notification. The session keeps the rest
// (which keys changed, from its incremental refresh). Each backend has its own: SQLite's
// (sqlite/sqlite_backend.hpp) reads PRAGMA data_version and waits on inotify.
//
// Thread safety: version() and wait() on the session's thread; wake() from any thread.

#include <chrono>
#include <cstdint>
#include <memory>

namespace picklejar::store {

class ChangeFeed {
 public:
  using Clock = std::chrono::steady_clock;
  virtual ~ChangeFeed() = default;
  // A value that differs from an earlier one once another connection committed a change in
  // between (it may also differ without one). Cheap: reads no entry, takes no lock file.
  virtual std::uint64_t version() = 0;
  // Returns when the store may have changed since the last call (a hint: version() tells),
  // when `deadline` passes, or when wake() was called (since the last wait() returned).
  virtual void wait(Clock::time_point deadline) = 0;
  // Makes the current or next wait() return. Never throws.
  virtual void wake() noexcept = 0;
  // How wait() learns of changes, for messages and tests: "inotify" or "poll".
  virtual const char* method() const noexcept = 0;
};

}  // namespace picklejar::store
