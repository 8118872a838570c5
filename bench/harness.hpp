#pragma once
// The benchmark's plumbing: a timeit-style timer, a scratch directory, running the Python
// helpers and reading files. Nothing here knows about pickles.

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace picklejar::bench {

struct Timing {
  double seconds = 0;  // best time of one call
  long loops = 0;      // calls per repeat
};

// timeit's method: doubles the loop count until one repeat of `loops` calls takes at least
// `min_seconds`, then keeps the best of `repeat` repeats. Taking the minimum filters out
// interference from other processes, which only ever adds time.
template <class Fn>
Timing best_per_call(Fn&& fn, int repeat, double min_seconds) {
  using Clock = std::chrono::steady_clock;
  auto run = [&](long loops) {
    const auto start = Clock::now();
    for (long i = 0; i < loops; ++i) fn();
    return std::chrono::duration<double>(Clock::now() - start).count();
  };
  long loops = 1;
  double elapsed = run(loops);
  while (elapsed < min_seconds) {
    loops *= 2;
    elapsed = run(loops);
  }
  double best = elapsed;
  for (int r = 1; r < repeat; ++r) best = std::min(best, run(loops));
  return {best / static_cast<double>(loops), loops};
}

// A fresh directory under the system temp dir, removed with everything in it on destruction.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

// Runs argv[0] with the arguments (no shell interpretation of their contents) and returns
// its standard output. Throws std::runtime_error when it cannot start or exits non-zero.
std::string run_capture(const std::vector<std::string>& argv);

std::string read_file(const std::filesystem::path& path);

}  // namespace picklejar::bench
