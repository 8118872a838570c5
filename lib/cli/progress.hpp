#pragma once
// A one-line progress bar for the picklejar command's long operations (verify, export,
// import, convert-protocol over many entries):
//
//   verify [##########..........]  50% 50,000/100,000 entries  41.2k entries/s  ETA 0:01
//
// redrawn in place with '\r' at most every `interval`, ended by a newline. Debian packages
// no C++ progress-bar library (indicators, tqdm.cpp are not packaged), so this is ours.
// Everything it depends on is injected (clock, width, sink), so the tests drive it without a
// terminal; stderr_progress() wires it to a real one and to nothing when stderr is not a
// terminal.
//
// Thread safety: one thread at a time.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace picklejar::cli {

// What the bar counts.
enum class ProgressUnit {
  entries,  // "12,345/100,000 entries", "41.2k entries/s"
  bytes,    // "12.0 MiB/96.0 MiB", "8.5 MiB/s"
};

struct ProgressOptions {
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  // Printed first, e.g. "verify" or "import: encode".
  std::string label;
  // The work to do, in `unit`s. 0 makes the bar a full one at once.
  std::uint64_t total = 0;
  ProgressUnit unit = ProgressUnit::entries;
  // Terminal columns; lines are kept at most width - 1 long so they never wrap. Default 80.
  int width = 80;
  // Where lines go. Empty (the default): the bar is disabled and prints nothing.
  std::function<void(std::string_view)> sink;
  // Default std::chrono::steady_clock::now.
  Clock clock;
  // The least time between two redraws (the final one excepted). Default 100 ms.
  std::chrono::milliseconds interval{100};
};

// What a line shows; render_progress_line() turns it into text.
struct ProgressState {
  std::string_view label;
  std::uint64_t done = 0;
  std::uint64_t total = 0;
  ProgressUnit unit = ProgressUnit::entries;
  std::chrono::duration<double> elapsed{0};
  bool finished = false;  // the final line: elapsed time instead of the ETA
};

class Progress {
 public:
  // A disabled bar: every call does nothing.
  Progress() = default;
  // Draws the first line (0%) at once when options.sink is set.
  explicit Progress(ProgressOptions options);
  // A moved-from bar is disabled.
  Progress(Progress&& other) noexcept;
  Progress& operator=(Progress&& other) noexcept;
  // Ends the line (without drawing 100%) when finish() was not called, so that an error
  // message printed next starts on a line of its own. Never throws.
  ~Progress();

  bool enabled() const noexcept { return static_cast<bool>(options_.sink); }
  // `units` more are done; redraws when `interval` has passed since the last drawing.
  void advance(std::uint64_t units = 1);
  // One more entry of `bytes` bytes is done, counted in the bar's unit.
  void advance_entry(std::uint64_t bytes) {
    advance(options_.unit == ProgressUnit::bytes ? bytes : 1);
  }
  // Draws the final line (whatever was counted, with the elapsed time) and a newline. Later
  // calls do nothing.
  void finish();

 private:
  std::chrono::steady_clock::time_point now() const;
  void draw(bool finished);

  ProgressOptions options_;
  std::chrono::steady_clock::time_point start_{};
  std::chrono::steady_clock::time_point last_draw_{};
  std::uint64_t done_ = 0;
  std::size_t last_length_ = 0;  // of the line on screen, to blank what a shorter one leaves
  bool open_ = false;            // a line is on screen without its newline
};

// Long work gets a bar: at least this many entries, or this many bytes of pickles.
inline constexpr std::uint64_t kProgressMinEntries = 10'000;
inline constexpr std::uint64_t kProgressMinBytes = std::uint64_t{64} << 20;

// A bar on stderr for work over `entries` entries holding `bytes` bytes of pickles: counted
// in bytes when the bytes are many, in entries otherwise. Disabled when the work is short
// (below both thresholds above), when stderr is not a terminal, or when `quiet`.
Progress stderr_progress(std::string label, std::uint64_t entries, std::uint64_t bytes,
                         bool quiet = false);

// ---- formatting (exposed for the tests) ---------------------------------------------------------
// "0:07", "12:34", "1:02:03".
std::string format_duration(std::chrono::duration<double> duration);
// "12,345" for entries; "512 B", "1.5 KiB", "12.0 MiB", "3.2 GiB" for bytes.
std::string format_amount(std::uint64_t amount, ProgressUnit unit);
// "980 entries/s", "41.2k entries/s", "1.3M entries/s"; "8.5 MiB/s". "-- entries/s" for a
// negative rate: not known yet.
std::string format_rate(double per_second, ProgressUnit unit);
// The whole line, at most width - 1 characters (the bar shrinks, then goes, to fit).
std::string render_progress_line(const ProgressState& state, int width);

}  // namespace picklejar::cli
