#pragma once
// picklejar::Watcher — tells an application, on a thread of its own, when other sessions
// (other processes, or other Session objects) change a session file, and which keys.
//
//   picklejar::Watcher watcher("state.pj", [&](const picklejar::Changes& changes) {
//     post_to_ui_thread([&, changes] { session.load(); refresh_views(changes.keys()); });
//   });
//
// It holds a read-only Session of its own and runs Session::wait_for_change() in a loop
// (inotify on Linux, a short poll elsewhere: session.hpp says the latency and cost), so the
// callback learns of a save a few milliseconds after it. The callback runs on the watcher's
// thread: hand the work to the thread that owns the application's Session (a Session is used
// by one thread at a time), which then calls its own load().

#include <picklejar/config.hpp>

#include <exception>
#include <filesystem>
#include <functional>
#include <memory>

#include <picklejar/session.hpp>

namespace picklejar {

// Calls back, on a thread of its own, when other sessions change a file (see above).
class PICKLEJAR_EXPORT Watcher {
 public:
  using OnChange = std::function<void(const Changes&)>;  // called with each non-empty Changes
  // Called with the exception that ended the watching.
  using OnError = std::function<void(const std::exception&)>;

  // Opens `path` read-only with `options` (its integrity key, decode options and lock timeout;
  // the mode is ignored) and starts the thread, which calls on_change with every non-empty
  // Changes until stop(). Throws what Session's constructor throws. An exception while
  // watching (the file re-keyed or replaced, a lock timeout, or one on_change throws) ends
  // the watching: on_error gets it (default: nothing), and running() turns false.
  Watcher(const std::filesystem::path& path, OnChange on_change, SessionOptions options = {},
          OnError on_error = {});
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;
  // stop().
  ~Watcher();

  // Stops watching and waits for a callback in progress to return. Never throws. Called from
  // the callback itself, it only asks the thread to end after the callback returns.
  void stop() noexcept;
  bool running() const noexcept;  // false once stopped, or ended by an error

 private:
  struct State;
  static void run(State& state) noexcept;
  std::unique_ptr<State> state_;
};

}  // namespace picklejar
