// datetime64 values as numpy's datetime_as_string writes them (make_iso_8601_datetime in
// numpy/core/src/multiarray/datetime_strings.c): as many fields as the unit has, the year
// zero-padded to four characters with its sign ('-001', '2020', '10000').

#include "repr_time.hpp"

#include <fmt/format.h>

#include <array>
#include <cstdint>

namespace picklejar::numpy {
namespace {

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

struct Civil {
  std::int64_t year;
  unsigned month;
  unsigned day;
};

// Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's civil_from_days).
Civil civil_from_days(std::int64_t z) {
  z += 719468;  // callers keep |z| far below 2**62
  const std::int64_t era = floor_div(z, 146097);
  const auto doe = static_cast<std::uint64_t>(z - era * 146097);
  const std::uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::uint64_t mp = (5 * doy + 2) / 153;
  const auto day = static_cast<unsigned>(doy - (153 * mp + 2) / 5 + 1);
  const auto month = static_cast<unsigned>(mp < 10 ? mp + 3 : mp - 9);
  return {static_cast<std::int64_t>(yoe) + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

std::string year_text(std::int64_t year) { return fmt::format("{:04}", year); }

// Ticks per second of the sub-second units, and their digits.
struct Fraction {
  std::int64_t per_second;
  int digits;
};

}  // namespace

std::optional<std::string> datetime_text(std::int64_t ticks, TimeUnit unit, std::int64_t count) {
  if (ticks == INT64_MIN) return std::string("NaT");
  std::int64_t t = 0;
  if (__builtin_mul_overflow(ticks, count, &t)) return std::nullopt;
  // A count of days (or longer) beyond 2**59 (10**15 years) is no date: left as ticks.
  if (unit <= TimeUnit::days && (t > (INT64_C(1) << 59) || t < -(INT64_C(1) << 59)))
    return std::nullopt;
  switch (unit) {
    case TimeUnit::generic:
      return std::nullopt;
    case TimeUnit::years:
      return year_text(1970 + t);
    case TimeUnit::months: {
      const std::int64_t year = 1970 + floor_div(t, 12);
      return fmt::format("{}-{:02}", year_text(year), t - floor_div(t, 12) * 12 + 1);
    }
    case TimeUnit::weeks:
    case TimeUnit::days: {
      const Civil c = civil_from_days(unit == TimeUnit::weeks ? t * 7 : t);
      return fmt::format("{}-{:02}-{:02}", year_text(c.year), c.month, c.day);
    }
    default:
      break;
  }
  // Hours and finer: the day, the second in it, and a fraction of a second.
  static constexpr std::array<Fraction, 6> fractions{{{1'000, 3},
                                                      {1'000'000, 6},
                                                      {1'000'000'000, 9},
                                                      {1'000'000'000'000, 12},
                                                      {1'000'000'000'000'000, 15},
                                                      {1'000'000'000'000'000'000, 18}}};
  std::int64_t seconds = t, fraction = 0, per_day = 86400, scale = 1;
  int fraction_digits = 0;
  if (unit == TimeUnit::hours) per_day = 24, scale = 3600;
  if (unit == TimeUnit::minutes) per_day = 1440, scale = 60;
  if (unit >= TimeUnit::milliseconds) {
    const Fraction f = fractions[static_cast<std::size_t>(unit) -
                                 static_cast<std::size_t>(TimeUnit::milliseconds)];
    seconds = floor_div(t, f.per_second);
    fraction = t - seconds * f.per_second;
    fraction_digits = f.digits;
  }
  const std::int64_t days = floor_div(seconds, per_day);
  const std::int64_t in_day = (seconds - days * per_day) * scale;
  const Civil c = civil_from_days(days);
  std::string text =
      fmt::format("{}-{:02}-{:02}T{:02}", year_text(c.year), c.month, c.day, in_day / 3600);
  if (unit == TimeUnit::hours) return text;
  text += fmt::format(":{:02}", in_day / 60 % 60);
  if (unit == TimeUnit::minutes) return text;
  text += fmt::format(":{:02}", in_day % 60);
  if (fraction_digits > 0) text += fmt::format(".{:0{}}", fraction, fraction_digits);
  return text;
}

}  // namespace picklejar::numpy
