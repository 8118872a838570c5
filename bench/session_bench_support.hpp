#pragma once
// session_bench's plumbing: the benchmark's values, timing of one-shot workloads, and
// processes that start together.

#include <chrono>
#include <filesystem>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include <picklejar/value.hpp>

namespace picklejar::bench {

// The session key of value i: "key000042".
std::string session_key(int i);

// n realistic small values, the same in every run: dicts of a user record (ids, names, an
// e-mail address, a score, flags, tags, a short history, nested preferences), 250-350 bytes
// pickled.
std::vector<Value> session_values(int n);

// Writes the values' pickles (protocol 4) to `file` as 4-byte little-endian length + pickle,
// the format bench/session_bench_py.py reads.
void write_values(const std::filesystem::path& file, const std::vector<Value>& values);

// Seconds of the fastest of `repeat` runs of timed(state), each between an untimed
// setup() and teardown(state). For workloads too long to loop (a 10k-key save, 1k fsyncs):
// the minimum filters out interference from other processes, which only ever adds time.
template <class Setup, class Timed, class Teardown>
double best_of(int repeat, Setup&& setup, Timed&& timed, Teardown&& teardown) {
  using Clock = std::chrono::steady_clock;
  double best = std::numeric_limits<double>::infinity();
  for (int r = 0; r < repeat; ++r) {
    auto state = setup();
    const auto start = Clock::now();
    timed(state);
    best = std::min(best, std::chrono::duration<double>(Clock::now() - start).count());
    teardown(state);
  }
  return best;
}

// What a child of run_together() calls: ready() once it has prepared (opened its store),
// which returns when every child is ready; finished() right after its last operation,
// before it cleans up.
struct Together {
  std::function<void()> ready;
  std::function<void()> finished;
};

// Forks `processes` children running child(together), which must return normally (an
// exception fails the run). Returns the seconds from the moment all were ready to the last
// finished().
double run_together(int processes, const std::function<void(const Together&)>& child);

}  // namespace picklejar::bench
