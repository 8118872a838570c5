// Crash safety of save() (issue 4, section 3): a child saves large changes in a loop and is
// killed with SIGKILL at random moments, 200 times per durability mode. After every kill the
// file must open, pass PRAGMA integrity_check, and hold exactly one committed generation:
// every key of that generation and no other, each entry whole (its digest verifies and its
// contents are the ones that generation wrote), all written by one revision.
//
// Generation g (g >= 1) sets kFixedKeys keys "k00".. to {"gen": g, "key": name, "blob":
// bytes}, with blobs of 1-17 KB that differ per generation and key, adds kNewKeys keys
// "g<g>-<i>" and erases the previous generation's: a torn save shows as a mixed generation,
// a wrong key set or a damaged blob. Generation 0 is the empty file.
//
// The child reports through a pipe when it is ready, when each save() starts and when it has
// returned, so the parent knows which generations are committed and whether the kill landed
// inside a save(). Each round the child first saves one generation whole, which the parent
// times; once the next save starts, the parent kills the child after a seeded random fraction
// of that time. The kills so land at random points of a save (and, late by the time a kill
// takes, some just after it), before and after its commit point, on any machine and build.
//
// PICKLEJAR_CRASH_KILLS sets the kills per mode: at least 200 in a normal build (more for a
// soak run); any number in a sanitizer build, where every step is several times slower.

#include <doctest/doctest.h>

#include <signal.h>
#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <picklejar/session.hpp>

#include "session_support.hpp"

using picklejar::Durability;
using picklejar::Session;
using picklejar::SessionOptions;
using picklejar::Value;
using picklejar::test::RawDb;
using picklejar::test::ScratchDir;

namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

constexpr int kFixedKeys = 24;
constexpr int kNewKeys = 4;
constexpr int kDefaultKills = 200;

int kills_per_mode() {
  const char* text = std::getenv("PICKLEJAR_CRASH_KILLS");
  const int asked = text != nullptr ? std::atoi(text) : 0;
  if (asked <= 0) return kDefaultKills;
  return kSanitized ? asked : std::max(asked, kDefaultKills);
}

SessionOptions options_for(Durability durability) {
  SessionOptions options;
  options.durability = durability;
  options.filesystem = picklejar::FilesystemCheck::local;  // the crash test is about WAL
  options.lock_timeout = std::chrono::seconds(30);
  return options;
}

std::string fixed_key(int k) { return fmt::format("k{:02}", k); }
std::string new_key(std::int64_t generation, int i) { return fmt::format("g{}-{}", generation, i); }

// Bytes only generation `g` writes under `key`: 1-17 KB of one 8-byte word made of both, so
// a page of another generation or key inside it shows. Cheap to make (doubling copies), so
// the saver spends its time in save(), also in a sanitizer build.
std::string blob_for(std::int64_t generation, const std::string& key) {
  const std::uint64_t word = std::hash<std::string>{}(key) ^
                             (static_cast<std::uint64_t>(generation) * 0x9E3779B97F4A7C15ULL);
  const std::size_t size = 1024 + (word >> 20) % 16384;
  std::string bytes(reinterpret_cast<const char*>(&word), sizeof word);
  while (bytes.size() < size) bytes += bytes;
  bytes.resize(size);
  return bytes;
}

Value entry_for(std::int64_t generation, const std::string& key) {
  return Value::dict({{"gen", generation},
                      {"key", Value(key)},
                      {"blob", Value::bytes(blob_for(generation, key))}});
}

std::set<std::string> keys_of(std::int64_t generation) {
  std::set<std::string> keys;
  if (generation == 0) return keys;
  for (int k = 0; k < kFixedKeys; ++k) keys.insert(fixed_key(k));
  for (int i = 0; i < kNewKeys; ++i) keys.insert(new_key(generation, i));
  return keys;
}

// Makes the session's changes for generation `g` (from generation g - 1); save() commits them.
void stage(Session& s, std::int64_t generation) {
  for (const std::string& key : keys_of(generation)) s.set(key, entry_for(generation, key));
  if (generation > 1)
    for (int i = 0; i < kNewKeys; ++i) s.erase(new_key(generation - 1, i));
}

// The generation a session holds, checking that it is exactly one: every key of it and no
// other, each entry (verified by its digest as it is decoded) the one that generation wrote.
// Empty, with `why` set, when it is not.
std::optional<std::int64_t> generation_of(const Session& s, std::string& why) {
  if (s.empty()) return 0;
  const std::optional<Value> first = s.find(fixed_key(0));
  if (!first) {
    why = "no key " + fixed_key(0);
    return std::nullopt;
  }
  const std::int64_t generation = (*first)["gen"].as_int();
  const std::set<std::string> expected = keys_of(generation);
  if (s.keys() != std::vector<std::string>(expected.begin(), expected.end())) {
    why = fmt::format("the keys are not generation {}'s: {}", generation, fmt::join(s.keys(), " "));
    return std::nullopt;
  }
  for (const std::string& key : expected) {
    if (s.get(key) != entry_for(generation, key)) {
      why = fmt::format("key {} is not generation {}'s", key, generation);
      return std::nullopt;
    }
  }
  return generation;
}

// What the child tells the parent, one int64 per message (pipe writes this small are atomic).
constexpr std::int64_t kReady = 0;
std::int64_t save_starts(std::int64_t generation) { return -generation; }
std::int64_t save_returned(std::int64_t generation) { return generation; }

class Pipe {
 public:
  Pipe() { REQUIRE(::pipe(fds_) == 0); }
  ~Pipe() {
    close_read();
    close_write();
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  void close_read() { close(0); }
  void close_write() { close(1); }
  void send(std::int64_t message) {
    if (::write(fds_[1], &message, sizeof message) != sizeof message) ::_exit(3);
  }
  // The next message; empty at end of file (every writer gone).
  std::optional<std::int64_t> receive() {
    std::int64_t message = 0;
    for (;;) {
      const ssize_t n = ::read(fds_[0], &message, sizeof message);
      if (n == sizeof message) return message;
      if (n == 0) return std::nullopt;
      if (!(n < 0 && errno == EINTR)) FAIL("short read from the child's pipe");
    }
  }

 private:
  void close(int end) {
    if (fds_[end] >= 0) ::close(fds_[end]);
    fds_[end] = -1;
  }
  int fds_[2];
};

// The child: opens the file, reads its generation, and saves the next ones until killed.
int saver(const std::filesystem::path& file, Durability durability, Pipe& pipe) {
  pipe.close_read();
  Session s(file, options_for(durability));
  const std::optional<Value> first = s.find(fixed_key(0));
  pipe.send(kReady);
  for (std::int64_t g = first ? (*first)["gen"].as_int() + 1 : 1;; ++g) {
    stage(s, g);
    pipe.send(save_starts(g));
    s.save();
    pipe.send(save_returned(g));
  }
}

struct Tally {
  int kills = 0;
  int inside_save = 0;         // killed between a save's start and its return
  int inside_save_landed = 0;  // ... and that save's generation is the one found
};

// What the child said before it died.
struct Report {
  std::int64_t committed = 0;              // the last generation whose save() returned
  std::optional<std::int64_t> unfinished;  // a save() that had started and not returned
};

void read_reports(Pipe& pipe, Report& report) {
  while (const std::optional<std::int64_t> message = pipe.receive()) {
    if (*message < 0) {
      report.unfinished = -*message;
    } else {
      report.committed = *message;
      report.unfinished.reset();
    }
  }
}

// After a kill: the file opens and holds exactly one generation, the last one committed or
// the one whose save() was under way.
void check_file(const std::filesystem::path& file, Durability durability, const Report& report,
                std::int64_t& generation, Tally& tally) {
  Session s(file, options_for(durability));
  std::string why;
  const std::optional<std::int64_t> found = generation_of(s, why);
  REQUIRE_MESSAGE(found.has_value(), why);
  CHECK(s.check_database().empty());
  if (report.unfinished) {
    ++tally.inside_save;
    REQUIRE(*report.unfinished == report.committed + 1);
    CHECK((*found == report.committed || *found == *report.unfinished));
    if (*found == *report.unfinished) ++tally.inside_save_landed;
  } else {
    CHECK(*found == report.committed);
  }
  generation = *found;
  // Every entry of a generation was written by its one save: one revision, the file's last.
  RawDb raw(file);
  CHECK(raw.text("PRAGMA integrity_check") == "ok");
  CHECK(raw.integer("SELECT count(*) FROM entries WHERE revision <> "
                    "(SELECT value FROM meta WHERE name = 'revision')") == 0);
  CHECK(raw.integer("SELECT count(*) FROM entries") ==
        static_cast<std::int64_t>(keys_of(generation).size()));
}

// One round: start a saver on a file at `generation`, time its first save, kill it after
// `fraction` of such a save into its second, and check the file it leaves.
void kill_and_check(const std::filesystem::path& file, Durability durability, double fraction,
                    std::int64_t& generation, Tally& tally) {
  using Clock = std::chrono::steady_clock;
  Pipe pipe;
  const pid_t child = picklejar::test::fork_child([&] { return saver(file, durability, pipe); });
  pipe.close_write();
  REQUIRE_MESSAGE(pipe.receive() == kReady, "the saver did not start (see its output)");
  REQUIRE(pipe.receive() == save_starts(generation + 1));
  const auto first_save = Clock::now();
  REQUIRE(pipe.receive() == save_returned(generation + 1));
  const auto save_time = Clock::now() - first_save;
  REQUIRE(pipe.receive() == save_starts(generation + 2));
  std::this_thread::sleep_for(std::chrono::duration_cast<Clock::duration>(save_time * fraction));
  ::kill(child, SIGKILL);
  REQUIRE(picklejar::test::wait_child(child) == 128 + SIGKILL);
  Report report{generation + 1, generation + 2};
  read_reports(pipe, report);
  ++tally.kills;
  check_file(file, durability, report, generation, tally);
}

void crash_loop(Durability durability, std::uint32_t seed) {
  ScratchDir dir;
  const auto file = dir / "crash.pj";
  { Session create(file, options_for(durability)); }
  std::mt19937 random(seed);
  std::int64_t generation = 0;
  Tally tally;
  const int kills = kills_per_mode();
  for (int round = 0; round < kills; ++round) {
    CAPTURE(round);
    const double fraction = static_cast<double>(random() % 1000) / 1000.0;
    CAPTURE(fraction);
    kill_and_check(file, durability, fraction, generation, tally);
  }
  MESSAGE(fmt::format("{} kills, {} inside save() ({} of those committed), last generation {}",
                      tally.kills, tally.inside_save, tally.inside_save_landed, generation));
  CHECK(tally.kills == kills);
  CHECK(generation >= kills);
  // The point of the test: many kills land while a save() is under way.
  CHECK(tally.inside_save * 5 >= tally.kills);
  // Some of those before the commit point. (After it, in the fsync of a durable save, is
  // frequent; in a fast save, which has no fsync, rare.)
  CHECK(tally.inside_save_landed < tally.inside_save);
}

}  // namespace

TEST_CASE("Session crash: savers killed at random leave one whole generation (durable)") {
  crash_loop(Durability::durable, 20261126);
}

TEST_CASE("Session crash: savers killed at random leave one whole generation (fast)") {
  crash_loop(Durability::fast, 20261127);
}
