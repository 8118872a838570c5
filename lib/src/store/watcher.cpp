#include <picklejar/watcher.hpp>

#include <atomic>
#include <chrono>
#include <thread>
#include <utility>

#include "session_impl.hpp"

namespace picklejar {

struct Watcher::State {
  State(Session opened, OnChange change, OnError error)
      : session(std::move(opened)), on_change(std::move(change)), on_error(std::move(error)) {}
  Session session;
  OnChange on_change;
  OnError on_error;
  std::atomic<bool> stop{false};
  std::atomic<bool> running{true};
  bool orphaned = false;  // stop() from the callback: the thread deletes the state at its end
  std::thread thread;
};

namespace {

SessionOptions read_only(SessionOptions options) {
  options.mode = OpenMode::read_only;
  options.keep_backups = 0;
  options.on_dropped_changes = nullptr;
  return options;
}

}  // namespace

Watcher::Watcher(const std::filesystem::path& path, OnChange on_change, SessionOptions options,
                 OnError on_error)
    : state_(std::make_unique<State>(Session(path, read_only(std::move(options))),
                                     std::move(on_change), std::move(on_error))) {
  state_->thread = std::thread([state = state_.get()] { run(*state); });
}

Watcher::~Watcher() { stop(); }

void Watcher::run(State& state) noexcept {
  try {
    store::SessionState& s = state.session.impl();
    while (!state.stop.load()) {
      // The deadline only bounds one wait: the loop waits again until stop().
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::hours(1);
      const Changes changes = store::wait_for_changes(state.session, s, deadline, &state.stop);
      if (!changes.empty() && !state.stop.load() && state.on_change) state.on_change(changes);
    }
  } catch (const std::exception& e) {
    state.running = false;
    if (state.on_error) {
      try {
        state.on_error(e);
      } catch (...) {  // nowhere left to report it
      }
    }
  } catch (...) {
  }
  state.running = false;
  if (state.orphaned) delete &state;  // set on this very thread, by stop() in a callback
}

void Watcher::stop() noexcept {
  if (!state_) return;
  state_->stop = true;
  if (state_->session.is_open()) state_->session.impl_->backend->feed().wake();
  if (!state_->thread.joinable()) return;
  if (state_->thread.get_id() == std::this_thread::get_id()) {
    // From the callback: the thread still uses its state, and ends (deleting it) once the
    // callback returns.
    state_->orphaned = true;
    state_->thread.detach();
    (void)state_.release();
    return;
  }
  state_->thread.join();
}

bool Watcher::running() const noexcept { return state_ && state_->running.load(); }

}  // namespace picklejar
