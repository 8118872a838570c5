#include "file_lock.hpp"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include <picklejar/error.hpp>
#include "lock_registry.hpp"

namespace picklejar::store {
namespace {

namespace fs = std::filesystem;

// A registry reference given back when the acquisition fails.
class EntryRef {
 public:
  EntryRef(LockRegistry& registry, LockEntry* entry) : registry_(registry), entry_(entry) {}
  EntryRef(const EntryRef&) = delete;
  EntryRef& operator=(const EntryRef&) = delete;
  ~EntryRef() {
    if (entry_) registry_.unref(entry_);
  }
  LockEntry* operator->() const { return entry_; }
  explicit operator bool() const { return entry_ != nullptr; }
  LockEntry* release() { return std::exchange(entry_, nullptr); }

 private:
  LockRegistry& registry_;
  LockEntry* entry_;
};

std::chrono::milliseconds clamp(std::chrono::milliseconds timeout) {
  return std::clamp<std::chrono::milliseconds>(timeout, std::chrono::milliseconds(0),
                                               std::chrono::years(10));
}

std::string holder_text(LockEntry::Outcome outcome, int fd, LockMode mode) {
  if (outcome == LockEntry::Outcome::held_here) return " (held by another lock in this process)";
  const auto pid = lock_holder(fd, mode);
  if (!pid) return "";  // released just now
  return *pid > 0 ? " (held by process " + std::to_string(*pid) + ")"
                  : " (held by another process)";
}

[[noreturn]] void time_out(const fs::path& path, LockMode mode, std::chrono::milliseconds waited,
                           const std::string& holder) {
  const char* what = mode == LockMode::exclusive ? "an exclusive" : "a shared";
  throw LockTimeout(path.string(), std::nullopt,
                    "timed out after " + std::to_string(waited.count()) + " ms waiting for " +
                        what + " lock on '" + path.string() + "'" + holder);
}

}  // namespace

struct FileLock::State {
  LockRegistry* registry = nullptr;  // of the process that took the lock
  LockEntry* entry = nullptr;        // nullptr: MissingLockFile::read_unlocked
  LockMode mode = LockMode::shared;
  bool held = false;
  bool record_lock = false;  // false: passed other processes' shared locks

  bool mine() const { return entry && held && registry == &LockRegistry::current(); }
};

fs::path lock_path_for(const fs::path& database) {
  fs::path lock_file = database;
  lock_file += ".lock";
  return lock_file;
}

FileLock FileLock::acquire(const fs::path& lock_file, LockMode mode,
                           std::chrono::milliseconds timeout, const LockOptions& options) {
  timeout = clamp(timeout);
  const auto deadline = LockClock::now() + timeout;
  const bool may_be_missing =
      options.missing == MissingLockFile::read_unlocked && mode == LockMode::shared;
  const bool pass_shared = options.shared_holders == SharedHolders::pass;
  LockRegistry& registry = LockRegistry::current();
  // The first try may take the file the path named when this process last looked it up
  // (`recent`, no stat()). A lock on a file the path no longer names (deleted or replaced
  // since, or while we waited) guards nothing: let it go and lock the file it names now. A
  // stale guess costs neither the deadline nor a timeout.
  for (bool recent = true;; recent = false) {
    EntryRef entry(registry,
                   registry.ref(lock_file, mode, may_be_missing, recent, options.database_mode));
    if (!entry)
      return FileLock(std::make_unique<State>(State{&registry, nullptr, mode, false, false}));
    const auto outcome = entry->acquire(mode, deadline, lock_file, pass_shared);
    if (outcome == LockEntry::Outcome::passed)  // no record lock: which file no longer matters
      return FileLock(
          std::make_unique<State>(State{&registry, entry.release(), mode, true, false}));
    if (outcome == LockEntry::Outcome::acquired) {
      if (file_id_of(lock_file) == entry->id)
        return FileLock(
            std::make_unique<State>(State{&registry, entry.release(), mode, true, true}));
      entry->release(mode);
    } else if (!recent || file_id_of(lock_file) == entry->id) {
      time_out(lock_file, mode, timeout, holder_text(outcome, entry->fd(), mode));
    }
    if (!recent && LockClock::now() >= deadline)
      time_out(lock_file, mode, timeout, " (the lock file kept being replaced)");
  }
}

FileLock::FileLock(std::unique_ptr<State> state) noexcept : state_(std::move(state)) {}

FileLock::FileLock(FileLock&&) noexcept = default;

FileLock& FileLock::operator=(FileLock&& other) noexcept {
  if (this != &other) {
    release();
    state_ = std::move(other.state_);
  }
  return *this;
}

FileLock::~FileLock() { release(); }

LockMode FileLock::mode() const noexcept { return state_ ? state_->mode : LockMode::shared; }

bool FileLock::held() const noexcept { return state_ && state_->mine(); }

bool FileLock::holds_record_lock() const noexcept { return held() && state_->record_lock; }

void FileLock::release() noexcept {
  if (!state_ || !state_->held) return;
  // In a forked child the lock is the parent's: leave its entry (and registry) alone.
  if (state_->mine()) {
    state_->entry->release(state_->mode);
    state_->registry->unref(state_->entry);
  }
  state_->held = false;
}

}  // namespace picklejar::store
