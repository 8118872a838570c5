// The POSIX TZ string at the end of a TZif file (RFC 8536 §3.3), parsed and evaluated as
// CPython's zoneinfo does (Modules/_zoneinfo.c: parse_tz_str, find_tzrule_ttinfo), so that a
// datetime reads as the same instant in C++ as in the Python that pickled it.

#include <fmt/format.h>

#include <cctype>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include <picklejar/error.hpp>

#include "zone.hpp"

namespace picklejar::tz {
namespace {

constexpr std::int64_t kDay = 86'400;

std::int64_t days_since_epoch(int y, unsigned m, unsigned d) {
  using namespace std::chrono;
  return sys_days(year{y} / month{m} / day{d}).time_since_epoch().count();
}

bool is_digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }
bool is_alpha(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }

// Reads the TZ string left to right; every reader returns false on malformed input.
class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text) {}
  bool at_end() const { return pos_ == text_.size(); }
  char peek() const { return at_end() ? '\0' : text_[pos_]; }
  bool take(char c) {
    if (peek() != c) return false;
    ++pos_;
    return true;
  }

  // "std"/"dst": <...> quoted (letters, digits, + and -) or a run of letters; never empty.
  bool abbreviation() {
    const std::size_t start = pos_;
    if (take('<')) {
      while (!at_end() && peek() != '>') {
        const char c = text_[pos_++];
        if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-') return false;
      }
      return take('>');
    }
    while (is_alpha(peek())) ++pos_;
    return pos_ > start;
  }

  // [+|-]hh[:mm[:ss]], hours 0-24, as seconds east of UTC (POSIX counts west: "+5" is -5h).
  bool offset(std::int64_t& out) {
    std::int64_t sign = -1;
    if (take('-')) {
      sign = 1;
    } else {
      take('+');
    }
    std::int64_t hours = 0;
    if (!digits(1, 2, hours) || hours > 24) return false;
    std::int64_t minutes = 0, seconds = 0;
    if (take(':') && (!digits(2, 2, minutes) || (take(':') && !digits(2, 2, seconds))))
      return false;
    out = sign * (hours * 3600 + minutes * 60 + seconds);
    return true;
  }

  // /time: [+|-]h[h][:mm[:ss]], every part signed alike.
  bool time(std::int64_t& out) {
    std::int64_t sign = 1;
    if (take('-')) {
      sign = -1;
    } else {
      take('+');
    }
    std::int64_t hours = 0, minutes = 0, seconds = 0;
    if (!digits(1, 2, hours)) return false;
    if (take(':') && (!digits(2, 2, minutes) || (take(':') && !digits(2, 2, seconds))))
      return false;
    out = sign * (hours * 3600 + minutes * 60 + seconds);
    return true;
  }

  bool date(PosixDate& out) {
    if (take('M')) {
      std::int64_t m = 0, w = 0, d = 0;
      if (!digits(1, 2, m) || !take('.') || !digits(1, 1, w) || !take('.') || !digits(1, 1, d))
        return false;
      if (m < 1 || m > 12 || w < 1 || w > 5 || d > 6) return false;
      out.form = PosixDate::Form::month_week_day;
      out.month = static_cast<int>(m);
      out.week = static_cast<int>(w);
      out.weekday = static_cast<int>(d);
    } else {
      const bool julian = take('J');
      std::int64_t n = 0;
      if (!digits(1, 3, n) || n < (julian ? 1 : 0) || n > 365) return false;
      out.form = julian ? PosixDate::Form::julian : PosixDate::Form::zero_based;
      out.day = static_cast<int>(n);
    }
    return !take('/') || time(out.time);
  }

 private:
  bool digits(int min, int max, std::int64_t& out) {
    int n = 0;
    out = 0;
    while (n < max && is_digit(peek())) {
      out = out * 10 + (text_[pos_++] - '0');
      ++n;
    }
    return n >= min;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace

std::int64_t PosixDate::local_seconds(int year) const {
  using namespace std::chrono;
  std::int64_t days = 0;
  if (form == Form::month_week_day) {
    const auto first = sys_days(std::chrono::year{year} / month / 1);
    const int first_weekday = static_cast<int>(std::chrono::weekday(first).c_encoding());
    int day_of_month = (weekday - first_weekday + 7) % 7 + 1 + (week - 1) * 7;
    const auto last =
        static_cast<unsigned>((std::chrono::year{year} / month / std::chrono::last).day());
    if (day_of_month > static_cast<int>(last)) day_of_month -= 7;
    days = first.time_since_epoch().count() + day_of_month - 1;
  } else {
    // CPython counts both forms from the day before January 1st (Jn: J1 is January 1st and
    // February 29th is never counted; n: as it is, leap days included).
    int n = day;
    if (form == Form::julian && n >= 59 && std::chrono::year{year}.is_leap()) ++n;
    days = days_since_epoch(year, 1, 1) - 1 + n;
  }
  return days * kDay + time;
}

std::int64_t PosixTz::offset_at_local(std::int64_t local, int year, bool fold) const {
  if (!has_dst) return std_offset;
  std::int64_t begins = start.local_seconds(year);
  std::int64_t ends = end.local_seconds(year);
  // With fold=0 the span with the smaller offset starts at the end of the gap and ends at
  // the end of the fold; with fold=1 from the start of the gap to the start of the fold.
  const std::int64_t dst_diff = dst_offset - std_offset;
  if (fold == (dst_diff >= 0)) {
    ends -= dst_diff;
  } else {
    begins += dst_diff;
  }
  const bool dst =
      begins < ends ? (local >= begins && local < ends) : (local < ends || local >= begins);
  return dst ? dst_offset : std_offset;
}

PosixTz parse_posix_tz(std::string_view text) {
  PosixTz out;
  Reader r(text);
  const auto fail = [text](std::string_view what) -> PosixTz {
    throw ValueError(fmt::format("malformed TZ string \"{}\": {}", text, what));
  };
  if (!r.abbreviation()) return fail("no standard time name");
  if (!r.offset(out.std_offset)) return fail("no standard time offset");
  if (r.at_end()) return out;
  if (!r.abbreviation()) return fail("bad daylight time name");
  out.has_dst = true;
  out.dst_offset = out.std_offset + 3600;
  if (r.peek() != ',' && !r.offset(out.dst_offset)) return fail("bad daylight time offset");
  if (!r.take(',') || !r.date(out.start)) return fail("bad or missing start rule");
  if (!r.take(',') || !r.date(out.end)) return fail("bad or missing end rule");
  if (!r.at_end()) return fail("extra characters at the end");
  return out;
}

}  // namespace picklejar::tz
