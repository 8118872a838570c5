#include "lock_registry.hpp"

#include <pthread.h>
#include <unistd.h>

#include <atomic>

#include <picklejar/error.hpp>

namespace picklejar::store {
namespace {

std::atomic<LockRegistry*> current_registry{nullptr};
std::once_flag registry_created;

void close_all(LockEntry& entry) noexcept {
  ::close(entry.fd());
  for (int fd : entry.spare_fds) ::close(fd);
}

}  // namespace

// pthread_atfork rather than a getpid() check on each use: the child must not touch the
// parent's registry mutex, which another thread may have held at the fork; the prepare
// handler holds it across fork() so the child sees a consistent map to close descriptors
// from. FileLocks copied into the child compare their registry with current() instead.
LockRegistry& LockRegistry::current() {
  std::call_once(registry_created, [] {
    current_registry.store(new LockRegistry, std::memory_order_release);
    ::pthread_atfork(&prepare_fork, &parent_after_fork, &child_after_fork);
  });
  return *current_registry.load(std::memory_order_acquire);
}

void LockRegistry::prepare_fork() noexcept { current_registry.load()->mutex_.lock(); }

void LockRegistry::parent_after_fork() noexcept { current_registry.load()->mutex_.unlock(); }

void LockRegistry::child_after_fork() noexcept {
  LockRegistry* parent = current_registry.load();
  for (auto& [id, entry] : parent->entries_) close_all(*entry);
  auto* fresh = new LockRegistry;
  fresh->parent_ = parent;
  current_registry.store(fresh, std::memory_order_release);
}

LockEntry* LockRegistry::ref(const std::filesystem::path& path, LockMode mode, bool may_be_missing,
                             bool recent, std::optional<mode_t> database_mode) {
  std::lock_guard lock(mutex_);
  if (recent) {
    const auto it = recent_.find(path.native());
    if (it != recent_.end()) {
      if (LockEntry* entry = find(it->second, mode)) return take(*entry);
    }
  }
  if (auto id = file_id_of(path)) {
    remember(path, *id);
    if (LockEntry* entry = find(*id, mode)) return take(*entry);
  }
  // No entry, or we hold a read-only descriptor but need a writable one.
  auto file = open_lock_file(path, may_be_missing, database_mode);
  if (!file) return nullptr;
  remember(path, file->id);
  LockEntry& entry = adopt(*file);
  LockEntry* taken = take(entry);
  if (mode == LockMode::exclusive && !entry.writable) {
    unref_locked(entry);
    throw StoreError(path.string(), std::nullopt,
                     "cannot take an exclusive lock on '" + path.string() +
                         "': the lock file is read-only to this process");
  }
  return taken;
}

void LockRegistry::remember(const std::filesystem::path& path, const FileId& id) {
  if (recent_.size() >= kRecentLimit) recent_.clear();
  recent_.insert_or_assign(path.native(), id);
}

LockEntry* LockRegistry::find(const FileId& id, LockMode mode) {
  auto it = entries_.find(id);
  if (it == entries_.end() || (mode == LockMode::exclusive && !it->second->writable))
    return nullptr;
  return it->second.get();
}

LockEntry& LockRegistry::adopt(const OpenedLockFile& file) {
  auto it = entries_.find(file.id);
  if (it == entries_.end()) {
    it = entries_.emplace(file.id, std::make_unique<LockEntry>(file)).first;
    ++idle_;  // until take()
  } else if (file.writable && !it->second->writable) {
    it->second->adopt_writable(file.fd);
  } else {
    it->second->spare_fds.push_back(file.fd);  // closing it could drop the locks held here
  }
  return *it->second;
}

LockEntry* LockRegistry::take(LockEntry& entry) noexcept {
  if (entry.references++ == 0) --idle_;
  return &entry;
}

void LockRegistry::unref(LockEntry* entry) noexcept {
  std::lock_guard lock(mutex_);
  unref_locked(*entry);
}

// No FileLock uses the entry, so this process holds no lock on the file: closing is safe.
void LockRegistry::unref_locked(LockEntry& entry) noexcept {
  if (--entry.references > 0) return;
  for (int fd : entry.spare_fds) ::close(fd);
  entry.spare_fds.clear();
  entry.last_used = ++clock_;
  if (++idle_ > kIdleLimit) evict_idle();
}

void LockRegistry::evict_idle() noexcept {
  auto oldest = entries_.end();
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->second->references == 0 &&
        (oldest == entries_.end() || it->second->last_used < oldest->second->last_used))
      oldest = it;
  }
  close_all(*oldest->second);
  entries_.erase(oldest);
  --idle_;
}

std::optional<LockCounts> LockRegistry::inspect(const std::filesystem::path& path) {
  std::lock_guard lock(mutex_);
  auto id = file_id_of(path);
  if (!id) return std::nullopt;
  auto it = entries_.find(*id);
  if (it == entries_.end()) return std::nullopt;
  return it->second->counts();
}

}  // namespace picklejar::store
