// SQLite's change feed: PRAGMA data_version (or, for a file read without its WAL index, the
// file's stamp) says whether another connection committed, and
// wait() sleeps until it is worth asking again — on inotify events of the database's files,
// or on a timer.
//
// A WAL commit writes its frames (the inotify events) and only then, after the fsync,
// publishes them in the shared-memory index, which raises no event. So an event is followed
// by a settling time in which wait() returns after 1, 2, 4, ... ms (at most 100 ms apart, for
// 10 s) even without another event, until version() shows the commit; a rollback-journal
// commit ends by deleting the -journal file, an event after the commit is visible.

#include <poll.h>

#include <algorithm>
#include <functional>
#include <string>
#include <system_error>
#include <vector>

#include "file_events.hpp"
#include "sqlite.hpp"
#include "sqlite_backend.hpp"

namespace picklejar::store {
namespace {

using std::chrono::milliseconds;

// After an event, look again for this long: a commit becomes visible only after its fsync,
// which a busy disk may take seconds to finish.
constexpr milliseconds kSettleTime{10'000};
constexpr milliseconds kSettleFirst{1};
constexpr milliseconds kSettleMax{100};
constexpr milliseconds kPollFirst{2};  // polling: right after a change
constexpr milliseconds kPollMax{100};  // polling: while nothing changes

// The file SQLite names its -wal and -journal after: symlinks resolved, as SQLite does.
std::filesystem::path real_path(const std::filesystem::path& path) {
  std::error_code error;
  std::filesystem::path real = std::filesystem::weakly_canonical(path, error);
  return error ? std::filesystem::absolute(path, error) : real;
}

class SqliteChangeFeed final : public ChangeFeed {
 public:
  SqliteChangeFeed(std::function<std::uint64_t()> version, const std::filesystem::path& path,
                   bool poll_only)
      : version_(std::move(version)), path_(real_path(path)), poll_only_(poll_only) {}

  std::uint64_t version() override {
    const std::uint64_t now = version_();
    if (now != last_version_) pause_ = kPollFirst;  // polling: something moves, look often
    last_version_ = now;
    return now;
  }

  void wait(Clock::time_point deadline) override {
    if (!poll_only_ && !watch_ && !watch_failed_) {
      // A commit between the caller's last version() and now raised no event yet: return, so
      // that the caller looks once more before the first blocking wait.
      start_watch();
      if (watch_) return;
    }
    const Clock::time_point now = Clock::now();
    if (now >= deadline) return;
    Clock::time_point until = deadline;
    if (!watch_) {
      until = std::min(deadline, now + pause_);
      pause_ = std::min(pause_ * 2, kPollMax);
    } else if (now < settle_until_) {
      until = std::min(deadline, now + settle_step_);
      settle_step_ = std::min(settle_step_ * 2, kSettleMax);
    }
    pollfd fds[2] = {{wake_.fd(), POLLIN, 0}, {watch_ ? watch_->fd() : -1, POLLIN, 0}};
    const auto wait_ms = std::chrono::ceil<milliseconds>(until - now).count();
    if (::poll(fds, 2, static_cast<int>(std::min<std::int64_t>(wait_ms, 3'600'000))) <= 0) return;
    if (fds[0].revents != 0) wake_.drain();
    if (watch_ && fds[1].revents != 0 && watch_->drain()) {
      settle_until_ = Clock::now() + kSettleTime;
      settle_step_ = kSettleFirst;
    }
    if (watch_ && watch_->dead()) watch_.reset();  // the directory went away: poll from now on
  }

  void wake() noexcept override { wake_.wake(); }

  const char* method() const noexcept override { return watch_ ? "inotify" : "poll"; }

 private:
  void start_watch() {
    const std::string name = path_.filename().string();
    watch_ = DirectoryWatch::open(path_.parent_path(), {name, name + "-wal", name + "-journal"});
    watch_failed_ = watch_ == nullptr;
  }

  std::function<std::uint64_t()> version_;
  std::filesystem::path path_;
  bool poll_only_;
  WakePipe wake_;
  std::unique_ptr<DirectoryWatch> watch_;  // made at the first wait()
  bool watch_failed_ = false;
  std::uint64_t last_version_ = 0;
  milliseconds pause_ = kPollFirst;
  Clock::time_point settle_until_{};
  milliseconds settle_step_ = kSettleFirst;
};

}  // namespace

std::unique_ptr<ChangeFeed> sqlite_change_feed(std::function<std::uint64_t()> version,
                                               const std::filesystem::path& path, bool poll_only) {
  return std::make_unique<SqliteChangeFeed>(std::move(version), path, poll_only);
}

}  // namespace picklejar::store
