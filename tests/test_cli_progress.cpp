// The picklejar command's progress bar (lib/cli/progress): the text of its line, and when
// and how it redraws, driven by a fake clock and a recording sink.

#include <doctest/doctest.h>

#include <chrono>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "progress.hpp"

namespace {

using picklejar::cli::format_amount;
using picklejar::cli::format_duration;
using picklejar::cli::format_rate;
using picklejar::cli::Progress;
using picklejar::cli::ProgressOptions;
using picklejar::cli::ProgressState;
using picklejar::cli::ProgressUnit;
using picklejar::cli::render_progress_line;
using Seconds = std::chrono::duration<double>;
using std::chrono::milliseconds;

// A clock the test moves, and every write the bar makes.
struct Harness {
  std::chrono::steady_clock::time_point now{};
  std::vector<std::string> writes;

  ProgressOptions options(std::uint64_t total, ProgressUnit unit = ProgressUnit::entries) {
    ProgressOptions o;
    o.label = "verify";
    o.total = total;
    o.unit = unit;
    o.width = 100;
    o.clock = [this] { return now; };
    o.sink = [this](std::string_view text) { writes.emplace_back(text); };
    return o;
  }
};

std::string without_blanks(std::string text) {
  while (text.ends_with(' ')) text.pop_back();
  return text;
}

}  // namespace

TEST_CASE("format_duration") {
  CHECK(format_duration(Seconds(0)) == "0:00");
  CHECK(format_duration(Seconds(7)) == "0:07");
  CHECK(format_duration(Seconds(59.9)) == "0:59");
  CHECK(format_duration(Seconds(754)) == "12:34");
  CHECK(format_duration(Seconds(3723)) == "1:02:03");
  CHECK(format_duration(Seconds(100 * 3600)) == "100:00:00");
  CHECK(format_duration(Seconds(-1)) == "--:--");
  CHECK(format_duration(Seconds(std::numeric_limits<double>::infinity())) == "--:--");
  CHECK(format_duration(Seconds(std::numeric_limits<double>::quiet_NaN())) == "--:--");
}

TEST_CASE("format_amount") {
  SUBCASE("entries get thousands separators") {
    CHECK(format_amount(0, ProgressUnit::entries) == "0");
    CHECK(format_amount(999, ProgressUnit::entries) == "999");
    CHECK(format_amount(1000, ProgressUnit::entries) == "1,000");
    CHECK(format_amount(100000, ProgressUnit::entries) == "100,000");
    CHECK(format_amount(1234567, ProgressUnit::entries) == "1,234,567");
  }
  SUBCASE("bytes get binary units") {
    CHECK(format_amount(0, ProgressUnit::bytes) == "0 B");
    CHECK(format_amount(1023, ProgressUnit::bytes) == "1023 B");
    CHECK(format_amount(1536, ProgressUnit::bytes) == "1.5 KiB");
    CHECK(format_amount(std::uint64_t{12} << 20, ProgressUnit::bytes) == "12.0 MiB");
    CHECK(format_amount(std::uint64_t{3} << 30, ProgressUnit::bytes) == "3.0 GiB");
  }
}

TEST_CASE("format_rate") {
  CHECK(format_rate(-1, ProgressUnit::entries) == "-- entries/s");
  CHECK(format_rate(0.5, ProgressUnit::entries) == "0.5 entries/s");
  CHECK(format_rate(980, ProgressUnit::entries) == "980 entries/s");
  CHECK(format_rate(41234, ProgressUnit::entries) == "41.2k entries/s");
  CHECK(format_rate(999'999, ProgressUnit::entries) == "1.0M entries/s");
  CHECK(format_rate(1.3e6, ProgressUnit::entries) == "1.3M entries/s");
  CHECK(format_rate(100, ProgressUnit::bytes) == "100 B/s");
  CHECK(format_rate(8.5 * 1024 * 1024, ProgressUnit::bytes) == "8.5 MiB/s");
  CHECK(format_rate(-1, ProgressUnit::bytes) == "--/s");
}

TEST_CASE("render_progress_line") {
  ProgressState state;
  state.label = "verify";
  state.done = 50'000;
  state.total = 100'000;
  state.elapsed = Seconds(1.25);  // 40,000 entries/s: 50,000 more take 1.25 s

  SUBCASE("bar, percentage, counts, rate and ETA") {
    const std::string line = render_progress_line(state, 120);
    CHECK(line ==
          "verify [####################....................]  50% 50,000/100,000 entries  "
          "40.0k entries/s  ETA 0:01");
  }
  SUBCASE("the bar takes the room left, and the line never reaches the last column") {
    const std::string line = render_progress_line(state, 80);
    CHECK(line.size() == 79);
    CHECK(line.find(" [#######........]  50% ") != std::string::npos);
    CHECK(line.ends_with("ETA 0:01"));
  }
  SUBCASE("a narrow terminal drops the bar, then cuts the line") {
    const std::string narrow = render_progress_line(state, 62);
    CHECK(narrow.find('[') == std::string::npos);
    CHECK(narrow == "verify  50% 50,000/100,000 entries  40.0k entries/s  ETA 0:01");
    CHECK(render_progress_line(state, 20) == "verify  50% 50,000/");
  }
  SUBCASE("before anything is done, or any time has passed, rate and ETA are unknown") {
    const std::string unknown = "verify   0% 0/100,000 entries  -- entries/s  ETA --:--";
    state.done = 0;
    CHECK(render_progress_line(state, 60) == unknown);
    state.elapsed = Seconds(0);
    CHECK(render_progress_line(state, 60) == unknown);
    state.done = 10;
    CHECK(render_progress_line(state, 60).ends_with("  -- entries/s  ETA --:--"));
  }
  SUBCASE("the final line shows the elapsed time") {
    state.done = 100'000;
    state.elapsed = Seconds(2.5);
    state.finished = true;
    CHECK(render_progress_line(state, 62) ==
          "verify 100% 100,000/100,000 entries  40.0k entries/s  in 0:02");
  }
  SUBCASE("more done than the total counts as the total; no total is a full bar") {
    state.done = 150'000;
    CHECK(render_progress_line(state, 60).starts_with("verify 100% 100,000/100,000 entries"));
    state.done = state.total = 0;
    CHECK(render_progress_line(state, 120) ==
          "verify [########################################] 100% 0/0 entries  -- entries/s  "
          "ETA --:--");
  }
  SUBCASE("bytes") {
    state.unit = ProgressUnit::bytes;
    state.done = std::uint64_t{32} << 20;
    state.total = std::uint64_t{128} << 20;
    state.elapsed = Seconds(2);
    CHECK(render_progress_line(state, 60) ==
          "verify  25% 32.0 MiB/128.0 MiB  16.0 MiB/s  ETA 0:06");
  }
}

TEST_CASE("Progress draws at once, then at most once per interval, then a final line") {
  Harness h;
  {
    Progress progress(h.options(1000));
    CHECK(progress.enabled());
    REQUIRE(h.writes.size() == 1);
    CHECK(h.writes[0] == "\r" + render_progress_line({"verify", 0, 1000}, 100));

    progress.advance(10);
    h.now += milliseconds(99);
    progress.advance(10);
    CHECK(h.writes.size() == 1);  // within the interval: no redraw

    h.now += milliseconds(1);
    progress.advance(480);
    REQUIRE(h.writes.size() == 2);
    ProgressState half{"verify", 500, 1000};
    half.elapsed = Seconds(0.1);
    CHECK(h.writes[1] == "\r" + render_progress_line(half, 100));
    CHECK(h.writes[1].find("ETA 0:00") != std::string::npos);

    h.now += milliseconds(400);
    progress.advance(500);
    progress.finish();
    REQUIRE(h.writes.size() == 5);
    ProgressState done{"verify", 1000, 1000};
    done.elapsed = Seconds(0.5);
    done.finished = true;
    CHECK(without_blanks(h.writes[3]) == "\r" + render_progress_line(done, 100));
    CHECK(h.writes[4] == "\n");
    CHECK_FALSE(progress.enabled());

    h.now += milliseconds(1000);
    progress.advance();
    progress.finish();
  }
  CHECK(h.writes.size() == 5);  // nothing after finish(), not even from the destructor
}

TEST_CASE("Progress blanks what a shorter line leaves behind") {
  Harness h;
  Progress progress(h.options(100));
  h.now += std::chrono::seconds(100);
  progress.advance(1);  // "0.0 entries/s  ETA 2:45:00"
  h.now += milliseconds(100);
  progress.advance(99);  // "1.0 entries/s  ETA 0:00": one character shorter
  REQUIRE(h.writes.size() == 3);
  CHECK(h.writes[1].find("ETA 2:45:00") != std::string::npos);
  CHECK(h.writes[2].find("ETA 0:00 ") != std::string::npos);
  CHECK(h.writes[2].size() == h.writes[1].size());
  CHECK(h.writes[2].ends_with(' '));
}

TEST_CASE("Progress ended by an exception ends its line without a final drawing") {
  Harness h;
  try {
    Progress progress(h.options(1000));
    progress.advance(3);
    throw std::runtime_error("boom");
  } catch (const std::runtime_error&) {
  }
  REQUIRE(h.writes.size() == 2);
  CHECK(h.writes[1] == "\n");
}

TEST_CASE("a disabled Progress writes nothing") {
  Harness h;
  ProgressOptions options = h.options(1000);
  options.sink = nullptr;
  {
    Progress progress(std::move(options));
    CHECK_FALSE(progress.enabled());
    progress.advance(500);
    progress.finish();
    Progress none;
    none.advance();
  }
  CHECK(h.writes.empty());
}

TEST_CASE("a moved-from Progress is disabled; the moved-to one carries on") {
  Harness h;
  {
    Progress first(h.options(10));
    Progress second(std::move(first));
    CHECK_FALSE(first.enabled());  // NOLINT(bugprone-use-after-move): documented state
    first.advance();
    CHECK(h.writes.size() == 1);
    h.now += milliseconds(100);
    second.advance(5);
    CHECK(h.writes.size() == 2);
  }
  CHECK(h.writes.size() == 3);  // second's destructor ends the line once
  CHECK(h.writes[2] == "\n");
}

TEST_CASE("advance_entry counts entries, or bytes when the bar counts bytes") {
  Harness h;
  Progress entries(h.options(10));
  h.now += milliseconds(100);
  entries.advance_entry(4096);
  CHECK(h.writes.back().find(" 1/10 entries") != std::string::npos);
  entries.finish();

  Progress bytes(h.options(8192, ProgressUnit::bytes));
  h.now += milliseconds(100);
  bytes.advance_entry(4096);
  CHECK(h.writes.back().find(" 4.0 KiB/8.0 KiB") != std::string::npos);
  bytes.finish();
}

TEST_CASE("stderr_progress stays quiet for short work and when asked") {
  // Whatever stderr is, these never draw: the work is below both thresholds, or quiet.
  CHECK_FALSE(picklejar::cli::stderr_progress("x", 9'999, 1000).enabled());
  CHECK_FALSE(picklejar::cli::stderr_progress("x", 100'000, 0, true).enabled());
}
