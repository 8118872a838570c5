// Change notification: which keys other sessions changed since the last look (load(),
// wait_for_change()), the cheap changed() check, and waiting on the store's ChangeFeed.

#include <algorithm>
#include <iterator>

#include <picklejar/session.hpp>

#include "session_impl.hpp"

namespace picklejar {

std::vector<std::string> Changes::keys() const {
  std::vector<std::string> both;
  std::merge(added.begin(), added.end(), changed.begin(), changed.end(), std::back_inserter(both));
  std::vector<std::string> all;
  all.reserve(both.size() + removed.size());
  std::merge(both.begin(), both.end(), removed.begin(), removed.end(), std::back_inserter(all));
  return all;
}

namespace store {

void SessionState::note_outside_change(const std::string& key) {
  if (!unreported.contains(key)) unreported.emplace(key, view.store_has(key));
}

Changes SessionState::take_changes() {
  Changes changes;
  changes.since_revision = looked_revision;
  changes.revision = seen;
  for (const auto& [key, had] : unreported) {
    const bool has = view.store_has(key);
    if (had && has) {
      changes.changed.push_back(key);
    } else if (has) {
      changes.added.push_back(key);
    } else if (had) {
      changes.removed.push_back(key);
    }  // added and removed again between two looks: nothing to tell
  }
  unreported.clear();
  looked_revision = seen;
  looked_version = backend->feed().version();
  return changes;
}

void SessionState::begin_looking() {
  unreported.clear();
  looked_revision = seen;
  looked_version = backend->feed().version();
}

Changes wait_for_changes(Session& session, SessionState& s,
                         std::chrono::steady_clock::time_point deadline,
                         const std::atomic<bool>* stop) {
  s.require_outside_transaction("wait for changes to");
  for (;;) {
    if (stop != nullptr && stop->load()) break;
    if (session.changed()) {
      Changes changes = session.load();
      if (!changes.empty() || std::chrono::steady_clock::now() >= deadline) return changes;
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    s.backend->feed().wait(deadline);
  }
  Changes none;
  none.since_revision = s.looked_revision;
  none.revision = s.seen;
  return none;
}

}  // namespace store

bool Session::changed() const {
  store::SessionState& s = impl();
  return !s.unreported.empty() || s.backend->feed().version() != s.looked_version;
}

Changes Session::wait_for_change(std::chrono::milliseconds timeout) {
  store::SessionState& s = impl();
  constexpr std::chrono::milliseconds kLongest = std::chrono::hours(24 * 366 * 100);
  const auto wait = std::clamp(timeout, std::chrono::milliseconds(0), kLongest);
  return store::wait_for_changes(*this, s, std::chrono::steady_clock::now() + wait, nullptr);
}

}  // namespace picklejar
