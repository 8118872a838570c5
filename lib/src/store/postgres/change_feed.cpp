// A store's change feed on a server (docs/FORMAT-POSTGRES.md "Watching for changes"): the
// store's revision is the truth; LISTEN picklejar only tells when to ask it again. A
// notification missed (a connection lost and opened again) costs latency, never a change.

#include <poll.h>

#include <algorithm>

#include "../wake_pipe.hpp"
#include "postgres_backend.hpp"
#include "sql.hpp"

namespace picklejar::store {

// Even without a notification, wait() returns this often, so that the caller asks the
// revision again (a notification can be missed only when the connection was lost).
constexpr std::chrono::milliseconds kLongestWait{10'000};

class PostgresFeed final : public ChangeFeed {
 public:
  explicit PostgresFeed(PostgresBackend& backend) : b_(backend) {}

  std::uint64_t version() override {
    const std::optional<std::int64_t> revision = b_.current_revision();
    if (b_.conn_) b_.conn_->take_notifications();  // the revision says more than any before
    if (!revision) return UINT64_MAX;              // deleted: the next load() says so
    // The store at the revision the session is current with, its own saves included: no
    // change. Any other revision is news.
    if (*revision == b_.current_) return 0;
    return static_cast<std::uint64_t>(*revision) + 1;
  }

  void wait(Clock::time_point deadline) override {
    if (!b_.listening_ || b_.conn_ == nullptr || b_.conn_->broken()) {
      // Not listening yet (or on a new connection): LISTEN, and return so that the caller
      // asks the revision once more — a commit just before LISTEN sent no hint here.
      if (b_.conn_ == nullptr || b_.conn_->broken()) b_.connect();
      b_.conn_->exec_plain(sql::kListen);
      b_.listening_ = true;
      return;
    }
    const Clock::time_point now = Clock::now();
    if (now >= deadline) return;
    if (b_.conn_->take_notifications()) return;  // one arrived during the last statements
    pollfd fds[2] = {{wake_.fd(), POLLIN, 0}, {b_.conn_->socket(), POLLIN, 0}};
    const auto wait_ms = std::chrono::ceil<std::chrono::milliseconds>(
                             std::min<Clock::duration>(deadline - now, kLongestWait))
                             .count();
    if (::poll(fds, 2, static_cast<int>(wait_ms)) <= 0) return;
    if (fds[0].revents != 0) wake_.drain();
    if (fds[1].revents != 0) b_.conn_->take_notifications();
  }

  void wake() noexcept override { wake_.wake(); }

  const char* method() const noexcept override { return "listen"; }

 private:
  PostgresBackend& b_;
  WakePipe wake_;
};

std::unique_ptr<ChangeFeed> postgres_change_feed(PostgresBackend& backend) {
  return std::make_unique<PostgresFeed>(backend);
}

}  // namespace picklejar::store
