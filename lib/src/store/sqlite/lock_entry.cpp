#include "lock_entry.hpp"

namespace picklejar::store {

LockEntry::LockEntry(OpenedLockFile file) noexcept
    : id(file.id), writable(file.writable), fd_(file.fd) {}

void LockEntry::adopt_writable(int fd) {
  spare_fds.push_back(fd_.load());
  fd_.store(fd, std::memory_order_release);
  writable = true;
}

LockCounts LockEntry::counts() {
  std::lock_guard lock(mutex_);
  return {readers_, writer_, waiting_};
}

LockEntry::Outcome LockEntry::acquire(LockMode mode, LockClock::time_point deadline,
                                      const std::filesystem::path& path, bool pass_shared) {
  std::unique_lock lock(mutex_);
  return mode == LockMode::exclusive ? acquire_exclusive(lock, deadline, path, pass_shared)
                                     : acquire_shared(lock, deadline, path);
}

// Joins the readers when the fcntl lock is already shared; otherwise this thread takes it for
// them while later readers wait (without the mutex held: the poll may sleep).
LockEntry::Outcome LockEntry::acquire_shared(std::unique_lock<std::mutex>& lock,
                                             LockClock::time_point deadline,
                                             const std::filesystem::path& path) {
  ++waiting_;
  const bool free = changed_.wait_until(
      lock, deadline, [&] { return !writer_ && writers_waiting_ == 0 && !taking_shared_; });
  --waiting_;
  if (!free) return Outcome::held_here;
  if (readers_ > 0) {
    ++readers_;
    return Outcome::acquired;
  }
  taking_shared_ = true;
  lock.unlock();
  bool got = false;
  try {
    got = poll_lock_fd(fd(), LockMode::shared, deadline, path) == PollResult::locked;
  } catch (...) {
    lock.lock();
    taking_shared_ = false;
    changed_.notify_all();
    throw;
  }
  lock.lock();
  taking_shared_ = false;
  if (got) readers_ = 1;
  changed_.notify_all();  // readers join, or one of them tries in turn with its own deadline
  return got ? Outcome::acquired : Outcome::held_elsewhere;
}

LockEntry::Outcome LockEntry::acquire_exclusive(std::unique_lock<std::mutex>& lock,
                                                LockClock::time_point deadline,
                                                const std::filesystem::path& path,
                                                bool pass_shared) {
  ++waiting_;
  ++writers_waiting_;
  const bool free = changed_.wait_until(
      lock, deadline, [&] { return !writer_ && readers_ == 0 && !taking_shared_; });
  --waiting_;
  --writers_waiting_;
  if (!free) {
    changed_.notify_all();  // readers held back for us may go now
    return Outcome::held_here;
  }
  writer_ = true;  // no holder is left here, so this process holds no fcntl lock on the file
  lock.unlock();
  PollResult got = PollResult::timed_out;
  try {
    got = poll_lock_fd(fd(), LockMode::exclusive, deadline, path, pass_shared);
  } catch (...) {
    lock.lock();
    writer_ = false;
    changed_.notify_all();
    throw;
  }
  lock.lock();
  if (got == PollResult::locked) return Outcome::acquired;
  if (got == PollResult::shared) return Outcome::passed;  // writer_ stays: threads here wait
  writer_ = false;
  changed_.notify_all();
  return Outcome::held_elsewhere;
}

void LockEntry::release(LockMode mode) noexcept {
  std::lock_guard lock(mutex_);
  if (mode == LockMode::exclusive) {
    writer_ = false;
    unlock_fd(fd());
  } else if (--readers_ == 0) {
    unlock_fd(fd());
  }
  changed_.notify_all();
}

}  // namespace picklejar::store
