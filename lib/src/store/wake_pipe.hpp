#pragma once
// A pipe that wakes a thread waiting in poll() (internal): the change feeds of every backend
// wait on it beside their own descriptor (inotify, a server connection's socket).

namespace picklejar::store {

// A pipe whose read end a waiting thread polls; wake() (any thread) makes it readable.
class WakePipe {
 public:
  WakePipe();  // StoreError when the pipe cannot be made
  WakePipe(const WakePipe&) = delete;
  WakePipe& operator=(const WakePipe&) = delete;
  ~WakePipe();

  int fd() const noexcept { return read_; }
  void wake() noexcept;
  // Empties the pipe; true when it held a wake-up.
  bool drain() noexcept;

 private:
  int read_ = -1;
  int write_ = -1;
};

}  // namespace picklejar::store
