#include "progress.hpp"

#include <fmt/format.h>

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <utility>

namespace picklejar::cli {
namespace {

constexpr int kMinBarWidth = 10;
constexpr int kMaxBarWidth = 40;

std::string with_thousands(std::uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

std::string binary_size(double bytes) {
  static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
  if (bytes < 1024) return fmt::format("{:.0f} B", bytes);
  int unit = -1;
  while (bytes >= 1024 && unit < 4) {
    bytes /= 1024;
    ++unit;
  }
  return fmt::format("{:.1f} {}", bytes, kUnits[unit]);
}

std::string bar(std::uint64_t done, std::uint64_t total, int width) {
  const double fraction = total == 0 ? 1.0 : static_cast<double>(done) / static_cast<double>(total);
  const auto filled = static_cast<int>(std::clamp(fraction, 0.0, 1.0) * width);
  return "[" + std::string(filled, '#') + std::string(width - filled, '.') + "]";
}

int terminal_width(int fd) {
  winsize size{};
  if (ioctl(fd, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  if (const char* columns = std::getenv("COLUMNS")) {
    const int n = std::atoi(columns);
    if (n > 0) return n;
  }
  return 80;
}

}  // namespace

// ---- formatting --------------------------------------------------------------------------------

std::string format_duration(std::chrono::duration<double> duration) {
  const double seconds = duration.count();
  if (!std::isfinite(seconds) || seconds < 0 || seconds >= 1e9) return "--:--";
  const auto total = static_cast<std::uint64_t>(seconds);
  const std::uint64_t hours = total / 3600;
  if (hours > 0) return fmt::format("{}:{:02}:{:02}", hours, total / 60 % 60, total % 60);
  return fmt::format("{}:{:02}", total / 60, total % 60);
}

std::string format_amount(std::uint64_t amount, ProgressUnit unit) {
  if (unit == ProgressUnit::bytes) return binary_size(static_cast<double>(amount));
  return with_thousands(amount);
}

std::string format_rate(double per_second, ProgressUnit unit) {
  const bool known = std::isfinite(per_second) && per_second >= 0;
  if (unit == ProgressUnit::bytes) return (known ? binary_size(per_second) : "--") + "/s";
  if (!known) return "-- entries/s";
  if (per_second >= 999'950) return fmt::format("{:.1f}M entries/s", per_second / 1e6);
  if (per_second >= 999.5) return fmt::format("{:.1f}k entries/s", per_second / 1e3);
  if (per_second >= 9.95) return fmt::format("{:.0f} entries/s", per_second);
  return fmt::format("{:.1f} entries/s", per_second);
}

std::string render_progress_line(const ProgressState& state, int width) {
  const std::uint64_t total = state.total;
  const std::uint64_t done = std::min(state.done, total);
  const double seconds = state.elapsed.count();
  // Unknown (not 0) until something is done: a first drawing has nothing to measure.
  const double rate = seconds > 0 && done > 0 ? static_cast<double>(done) / seconds : -1;
  const int percent = total == 0 ? 100 : static_cast<int>(done * 100 / total);
  std::string counts = format_amount(done, state.unit) + "/" + format_amount(total, state.unit);
  if (state.unit == ProgressUnit::entries) counts += " entries";
  std::string tail;
  if (state.finished) {
    tail = "in " + format_duration(state.elapsed);
  } else if (rate > 0) {
    tail = "ETA " + format_duration(std::chrono::duration<double>((total - done) / rate));
  } else {
    tail = "ETA --:--";
  }
  const std::string numbers =
      fmt::format("{:3}% {}  {}  {}", percent, counts, format_rate(rate, state.unit), tail);
  const int room = width - 1 - static_cast<int>(state.label.size() + numbers.size()) - 4;
  std::string line(state.label);
  if (room >= kMinBarWidth) line += " " + bar(done, total, std::min(room, kMaxBarWidth));
  line += " " + numbers;
  if (width > 1 && line.size() > static_cast<std::size_t>(width - 1)) line.resize(width - 1);
  return line;
}

// ---- Progress ----------------------------------------------------------------------------------

Progress::Progress(ProgressOptions options) : options_(std::move(options)) {
  if (!enabled()) return;
  start_ = last_draw_ = now();
  draw(false);
}

Progress::Progress(Progress&& other) noexcept
    : options_(std::exchange(other.options_, {})),
      start_(other.start_),
      last_draw_(other.last_draw_),
      done_(other.done_),
      last_length_(other.last_length_),
      open_(std::exchange(other.open_, false)) {}

Progress& Progress::operator=(Progress&& other) noexcept {
  if (this != &other) {
    Progress doomed(std::move(*this));  // ends our line as the destructor would
    options_ = std::exchange(other.options_, {});
    start_ = other.start_;
    last_draw_ = other.last_draw_;
    done_ = other.done_;
    last_length_ = other.last_length_;
    open_ = std::exchange(other.open_, false);
  }
  return *this;
}

Progress::~Progress() {
  if (!open_) return;
  try {
    options_.sink("\n");
  } catch (...) {  // a destructor reports nothing: the line stays unfinished
  }
}

std::chrono::steady_clock::time_point Progress::now() const {
  return options_.clock ? options_.clock() : std::chrono::steady_clock::now();
}

void Progress::advance(std::uint64_t units) {
  if (!enabled()) return;
  done_ += units;
  if (now() - last_draw_ >= options_.interval) draw(false);
}

void Progress::finish() {
  if (!enabled()) return;
  draw(true);
  options_.sink("\n");
  open_ = false;
  options_.sink = nullptr;
}

void Progress::draw(bool finished) {
  const auto at = now();
  ProgressState state;
  state.label = options_.label;
  state.done = done_;
  state.total = options_.total;
  state.unit = options_.unit;
  state.elapsed = at - start_;
  state.finished = finished;
  const std::string line = render_progress_line(state, options_.width);
  std::string out = "\r" + line;
  if (line.size() < last_length_) out.append(last_length_ - line.size(), ' ');
  options_.sink(out);
  last_length_ = line.size();
  last_draw_ = at;
  open_ = true;
}

Progress stderr_progress(std::string label, std::uint64_t entries, std::uint64_t bytes,
                         bool quiet) {
  if (quiet || (entries < kProgressMinEntries && bytes < kProgressMinBytes)) return {};
  if (isatty(STDERR_FILENO) == 0) return {};
  ProgressOptions options;
  options.label = std::move(label);
  options.unit = bytes >= kProgressMinBytes ? ProgressUnit::bytes : ProgressUnit::entries;
  options.total = options.unit == ProgressUnit::bytes ? bytes : entries;
  options.width = terminal_width(STDERR_FILENO);
  options.sink = [](std::string_view text) {
    std::fwrite(text.data(), 1, text.size(), stderr);
    std::fflush(stderr);
  };
  return Progress(std::move(options));
}

}  // namespace picklejar::cli
