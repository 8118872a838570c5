#pragma once
// How a session learns that other connections changed its store without reading any entry
// (internal): the backend-dependent half of change notification. The session keeps the rest
// (which keys changed, from its incremental refresh). SQLite's feed is below; a PostgreSQL
// backend would give version() from a LISTEN channel's last NOTIFY and wait() on the
// connection's socket.
//
// Thread safety: version() and wait() on the session's thread; wake() from any thread.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>

namespace picklejar::store {

class Db;

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

// SQLite's feed for the session file `path`, read through the session's connection `db`
// (which must outlive it): version() is PRAGMA data_version; wait() blocks on inotify events
// of the file, its -wal and its -journal (Linux), or polls version() with a growing pause when
// `poll_only` (a network file system, where inotify sees no other machine's writes) or when
// inotify is not available. Throws StoreError when the wake pipe cannot be made.
std::unique_ptr<ChangeFeed> sqlite_change_feed(Db& db, const std::filesystem::path& path,
                                               bool poll_only);

}  // namespace picklejar::store
