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

LockEntry* LockRegistry::ref(const std::filesystem::path& path, LockMode mode,
                             bool may_be_missing) {
  std::lock_guard lock(mutex_);
  if (auto id = file_id_of(path)) {
    auto it = entries_.find(*id);
    if (it != entries_.end() && (mode == LockMode::shared || it->second->writable)) {
      ++it->second->references;
      return it->second.get();
    }
  }
  // No entry, the path was replaced since, or we hold a read-only descriptor but need write.
  auto file = open_lock_file(path, may_be_missing);
  if (!file) return nullptr;
  LockEntry& entry = adopt(*file);
  if (mode == LockMode::exclusive && !entry.writable) {
    if (entry.references == 0) erase(entry);
    throw StoreError(path.string(), std::nullopt,
                     "cannot take an exclusive lock on '" + path.string() +
                         "': the lock file is read-only to this process");
  }
  ++entry.references;
  return &entry;
}

LockEntry& LockRegistry::adopt(const OpenedLockFile& file) {
  auto it = entries_.find(file.id);
  if (it == entries_.end()) {
    it = entries_.emplace(file.id, std::make_unique<LockEntry>(file)).first;
  } else if (file.writable && !it->second->writable) {
    it->second->adopt_writable(file.fd);
  } else {
    it->second->spare_fds.push_back(file.fd);  // closing it could drop the locks held here
  }
  return *it->second;
}

void LockRegistry::unref(LockEntry* entry) noexcept {
  std::lock_guard lock(mutex_);
  if (--entry->references == 0) erase(*entry);
}

void LockRegistry::erase(LockEntry& entry) noexcept {
  const FileId id = entry.id;  // erasing destroys the entry, and the key with it
  close_all(entry);
  entries_.erase(id);
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
