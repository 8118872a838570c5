// datetime.datetime / date / time / timedelta recipes, as CPython's datetime.__reduce__ makes
// them, for codec_chrono.hpp.

#include <fmt/format.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <picklejar/codec_chrono.hpp>

#include "../tz/zone.hpp"
#include "recipes.hpp"

namespace picklejar::detail {
namespace {

constexpr std::int64_t kMicrosPerSecond = 1'000'000;
constexpr std::int64_t kMicrosPerDay = 86'400 * kMicrosPerSecond;

// Whole days (rounded down) and the microseconds into the last one, without overflowing
// for any int64 (days * kMicrosPerDay can be below INT64_MIN when micros is near it).
struct DaysAndMicros {
  std::int64_t days;
  std::int64_t in_day;  // 0 .. kMicrosPerDay - 1
};
constexpr DaysAndMicros split_days(std::int64_t micros) {
  DaysAndMicros out{micros / kMicrosPerDay, micros % kMicrosPerDay};
  if (out.in_day < 0) {
    out.in_day += kMicrosPerDay;
    --out.days;
  }
  return out;
}

constexpr std::int64_t days_from_civil(int y, unsigned m, unsigned d) {
  using namespace std::chrono;
  return sys_days(year{y} / month{m} / day{d}).time_since_epoch().count();
}

// datetime.min and datetime.max as microseconds since the epoch.
constexpr std::int64_t kMinMicros = days_from_civil(1, 1, 1) * kMicrosPerDay;
constexpr std::int64_t kMaxMicros = (days_from_civil(9999, 12, 31) + 1) * kMicrosPerDay - 1;

bool valid_date(int y, unsigned m, unsigned d) {
  using namespace std::chrono;
  return y >= 1 && y <= 9999 && (year{y} / month{m} / day{d}).ok();
}

// The N-byte state argument of a date, time or datetime recipe: bytes, or a str of code points
// below 256 (Python 2 pickles decoded with Py2Strings::latin1), as datetime's constructor
// accepts.
std::string state_bytes(const Value& arg, std::size_t size, std::string_view name) {
  std::string out;
  if (arg.is_bytes()) {
    out = arg.as_bytes_view();
  } else if (arg.is_str()) {
    const std::string_view utf8 = arg.as_str();
    for (std::size_t i = 0; i < utf8.size(); ++i) {
      const auto c = static_cast<unsigned char>(utf8[i]);
      if (c < 0x80) {
        out.push_back(static_cast<char>(c));
      } else if ((c == 0xC2 || c == 0xC3) && i + 1 < utf8.size()) {
        out.push_back(static_cast<char>(((c & 0x1F) << 6) | (utf8[++i] & 0x3F)));
      } else {
        throw_malformed("datetime", name, "its state str is not latin-1");
      }
    }
  } else {
    throw_malformed("datetime", name,
                    fmt::format("expected a {}-byte state, got {}", size, type_name(arg)));
  }
  if (out.size() != size) {
    throw_malformed("datetime", name,
                    fmt::format("expected a {}-byte state, got {} bytes", size, out.size()));
  }
  return out;
}

unsigned byte_at(const std::string& s, std::size_t i) { return static_cast<unsigned char>(s[i]); }

Value state_value(const std::array<unsigned, 10>& bytes, std::size_t size) {
  std::string s;
  for (std::size_t i = 0; i < size; ++i) s.push_back(static_cast<char>(bytes[i]));
  return Value::bytes(std::string_view(s));
}

// Microseconds since midnight from the hour/minute/second/microsecond bytes at `at`.
std::int64_t time_of_day(const std::string& s, std::size_t at, unsigned hour,
                         std::string_view name) {
  const unsigned minute = byte_at(s, at + 1), second = byte_at(s, at + 2);
  const unsigned micro =
      (byte_at(s, at + 3) << 16) | (byte_at(s, at + 4) << 8) | byte_at(s, at + 5);
  if (hour > 23 || minute > 59 || second > 59 || micro > 999'999) {
    throw_malformed(
        "datetime", name,
        fmt::format("invalid time {:02}:{:02}:{:02}.{:06}", hour, minute, second, micro));
  }
  return ((hour * 60 + minute) * 60 + second) * kMicrosPerSecond + micro;
}

bool is_utc_zone_key(std::string_view key) {
  static constexpr std::string_view kKeys[] = {
      "UTC",   "Etc/UTC",   "UCT",   "Etc/UCT",   "Universal", "Etc/Universal",
      "Zulu",  "Etc/Zulu",  "GMT",   "Etc/GMT",   "GMT0",      "Etc/GMT0",
      "GMT+0", "Etc/GMT+0", "GMT-0", "Etc/GMT-0", "Greenwich", "Etc/Greenwich"};
  for (const std::string_view k : kKeys) {
    if (k == key) return true;
  }
  return false;
}

// zoneinfo.ZoneInfo pickles as getattr(ZoneInfo, '_unpickle')(key, from_cache).
std::optional<std::string_view> zoneinfo_key(const Value& tz) {
  if (!tz.is_object() || tz.object_form() != ObjectForm::reduce) return std::nullopt;
  const Value callable = tz.object_callable();
  if (!callable.is_object() || callable.object_form() != ObjectForm::reduce ||
      !is_global_named(callable.object_callable(), "builtins", "getattr")) {
    return std::nullopt;
  }
  const Value target = callable.object_args();
  if (target.size() != 2 || !is_global_named(target.at(0), "zoneinfo", "ZoneInfo") ||
      !(target.at(1) == Value("_unpickle"))) {
    return std::nullopt;
  }
  const Value args = tz.object_args();
  if (args.size() < 1 || !args.at(0).is_str()) return std::nullopt;
  return args.at(0).as_str();
}

// A wall-clock reading of a datetime, for a tzinfo whose offset depends on it.
struct LocalReading {
  std::int64_t seconds;  // since 1970-01-01 00:00 on the datetime's own clock, micros dropped
  int year;
  bool fold;
};

// The UTC offset of a zoneinfo.ZoneInfo zone at `at`, from the system's time zone database
// (../tz/zone.hpp), chosen as CPython's zoneinfo chooses it. A datetime.time (no date) has
// no offset in such a zone: Python's utcoffset() is None there.
std::int64_t zone_offset(std::string_view key, const std::optional<LocalReading>& at) {
  if (is_utc_zone_key(key)) return 0;
  if (!at) {
    throw CodecError(
        fmt::format("tzinfo zoneinfo.ZoneInfo('{}') gives a time of day no UTC "
                    "offset (its offset depends on the date)",
                    key));
  }
  try {
    return tz::find_zone(key)->offset_at_local(at->seconds, at->year, at->fold) * kMicrosPerSecond;
  } catch (const ValueError& e) {
    throw CodecError(fmt::format("tzinfo zoneinfo.ZoneInfo('{}'): {}", key, e.what()));
  }
}

// A tzinfo's UTC offset in microseconds: a datetime.timezone's fixed one, or a zoneinfo
// zone's at the local time `at`.
std::int64_t utc_offset(const Value& tz, const std::optional<LocalReading>& at) {
  if (const auto key = zoneinfo_key(tz)) return zone_offset(*key, at);
  if (!tz.is_object() || tz.object_form() != ObjectForm::reduce ||
      !is_global_named(tz.object_callable(), "datetime", "timezone")) {
    throw CodecError(
        fmt::format("tzinfo {} has no UTC offset picklejar can read (datetime.timezone and "
                    "zoneinfo.ZoneInfo only)",
                    type_name(tz)));
  }
  const Value args = tz.object_args();
  if (args.size() != 1 && !(args.size() == 2 && args.at(1).is_str())) {
    throw_malformed("datetime", "timezone", "expected (timedelta) or (timedelta, name)");
  }
  const std::int64_t offset = read_timedelta(args.at(0));
  if (offset <= -kMicrosPerDay || offset >= kMicrosPerDay) {
    throw_malformed("datetime", "timezone", "offset not strictly between -24h and 24h");
  }
  return offset;
}

Value timezone_value(std::chrono::microseconds offset) {
  if (offset.count() <= -kMicrosPerDay || offset.count() >= kMicrosPerDay) {
    throw CodecError("UTC offset not strictly between -24h and 24h");
  }
  return make_reduce("datetime", "timezone", {timedelta_value(offset.count())});
}

struct WallClock {
  std::int64_t micros;                 // since 1970-01-01 00:00 on the datetime's own clock
  std::optional<std::int64_t> offset;  // its UTC offset when aware
};

WallClock read_datetime(const Value& v) {
  const Value args = reduce_args(v, "datetime", "datetime");
  if (args.size() != 1 && args.size() != 2) {
    throw_malformed("datetime", "datetime", fmt::format("{} arguments", args.size()));
  }
  const std::string s = state_bytes(args.at(0), 10, "datetime");
  const int y = static_cast<int>(byte_at(s, 0) * 256 + byte_at(s, 1));
  const unsigned m = byte_at(s, 2) & 0x7F, d = byte_at(s, 3);  // 0x80 in the month is `fold`
  if (!valid_date(y, m, d)) {
    throw_malformed("datetime", "datetime", fmt::format("invalid date {}-{}-{}", y, m, d));
  }
  const std::int64_t days = days_from_civil(y, m, d);
  const std::int64_t in_day = time_of_day(s, 4, byte_at(s, 4), "datetime");
  WallClock out{days * kMicrosPerDay + in_day, std::nullopt};
  if (args.size() == 2 && !args.at(1).is_none()) {
    const LocalReading at{days * 86'400 + in_day / kMicrosPerSecond, y,
                          (byte_at(s, 2) & 0x80) != 0};
    out.offset = utc_offset(args.at(1), at);
  }
  return out;
}

}  // namespace

Value datetime_value(std::int64_t micros, bool utc) {
  if (micros < kMinMicros || micros > kMaxMicros) {
    throw CodecError("time point outside datetime's range (years 1 to 9999)");
  }
  const auto [days, in_day] = split_days(micros);
  const std::chrono::year_month_day date{std::chrono::sys_days(std::chrono::days(days))};
  const auto y = static_cast<unsigned>(static_cast<int>(date.year()));
  const auto seconds = static_cast<unsigned>(in_day / kMicrosPerSecond);
  const auto micro = static_cast<unsigned>(in_day % kMicrosPerSecond);
  const std::array<unsigned, 10> state = {y >> 8,
                                          y & 0xFF,
                                          static_cast<unsigned>(date.month()),
                                          static_cast<unsigned>(date.day()),
                                          seconds / 3600,
                                          seconds / 60 % 60,
                                          seconds % 60,
                                          micro >> 16,
                                          (micro >> 8) & 0xFF,
                                          micro & 0xFF};
  if (!utc) return make_reduce("datetime", "datetime", {state_value(state, 10)});
  return make_reduce("datetime", "datetime",
                     {state_value(state, 10), timezone_value(std::chrono::microseconds(0))});
}

std::int64_t read_utc_datetime(const Value& v) {
  const WallClock w = read_datetime(v);
  return w.micros - w.offset.value_or(0);
}

std::int64_t read_naive_datetime(const Value& v) {
  const WallClock w = read_datetime(v);
  if (w.offset) {
    throw CodecError(
        "expected a naive datetime, got an aware one (read it as std::chrono::sys_time)");
  }
  return w.micros;
}

Value timedelta_value(std::int64_t micros) {
  const auto [days, in_day] = split_days(micros);
  return make_reduce(
      "datetime", "timedelta",
      {Value(days), Value(in_day / kMicrosPerSecond), Value(in_day % kMicrosPerSecond)});
}

std::int64_t read_timedelta(const Value& v) {
  const Value args = reduce_args(v, "datetime", "timedelta");
  if (args.size() != 3) {
    throw_malformed("datetime", "timedelta", fmt::format("{} arguments", args.size()));
  }
  std::int64_t parts[3];
  for (std::size_t i = 0; i < 3; ++i) {
    const Value a = args.at(i);
    if (!a.is_int()) throw_malformed("datetime", "timedelta", "arguments are not ints");
    if (!a.fits_int64()) throw_micros_range();
    parts[i] = a.as_int();
  }
  // Python's timedelta is normalized, so only the total has to fit; the days alone may not.
  __extension__ using Int128 = __int128;
  const Int128 micros = static_cast<Int128>(parts[0]) * kMicrosPerDay +
                        static_cast<Int128>(parts[1]) * kMicrosPerSecond + parts[2];
  if (micros < INT64_MIN || micros > INT64_MAX) throw_micros_range();
  return static_cast<std::int64_t>(micros);
}

Value date_value(const std::chrono::year_month_day& date) {
  const int y = static_cast<int>(date.year());
  if (!date.ok() || y < 1 || y > 9999) {
    throw CodecError("not a date in datetime.date's range (years 1 to 9999)");
  }
  const auto uy = static_cast<unsigned>(y);
  const std::array<unsigned, 10> state = {uy >> 8, uy & 0xFF, static_cast<unsigned>(date.month()),
                                          static_cast<unsigned>(date.day())};
  return make_reduce("datetime", "date", {state_value(state, 4)});
}

std::chrono::year_month_day read_date(const Value& v) {
  const Value args = reduce_args(v, "datetime", "date");
  if (args.size() != 1)
    throw_malformed("datetime", "date", fmt::format("{} arguments", args.size()));
  const std::string s = state_bytes(args.at(0), 4, "date");
  const int y = static_cast<int>(byte_at(s, 0) * 256 + byte_at(s, 1));
  const unsigned m = byte_at(s, 2), d = byte_at(s, 3);
  if (!valid_date(y, m, d)) {
    throw_malformed("datetime", "date", fmt::format("invalid date {}-{}-{}", y, m, d));
  }
  return std::chrono::year{y} / std::chrono::month{m} / std::chrono::day{d};
}

Value time_value(const py::Time& t) {
  if (t.hour < 0 || t.hour > 23 || t.minute < 0 || t.minute > 59 || t.second < 0 || t.second > 59 ||
      t.microsecond < 0 || t.microsecond > 999'999) {
    throw CodecError(fmt::format("invalid time of day {:02}:{:02}:{:02}.{:06}", t.hour, t.minute,
                                 t.second, t.microsecond));
  }
  const auto micro = static_cast<unsigned>(t.microsecond);
  const std::array<unsigned, 10> state = {static_cast<unsigned>(t.hour),
                                          static_cast<unsigned>(t.minute),
                                          static_cast<unsigned>(t.second),
                                          micro >> 16,
                                          (micro >> 8) & 0xFF,
                                          micro & 0xFF};
  if (!t.utc_offset) return make_reduce("datetime", "time", {state_value(state, 6)});
  return make_reduce("datetime", "time", {state_value(state, 6), timezone_value(*t.utc_offset)});
}

py::Time read_time(const Value& v) {
  const Value args = reduce_args(v, "datetime", "time");
  if (args.size() != 1 && args.size() != 2) {
    throw_malformed("datetime", "time", fmt::format("{} arguments", args.size()));
  }
  const std::string s = state_bytes(args.at(0), 6, "time");
  const std::int64_t micros = time_of_day(s, 0, byte_at(s, 0) & 0x7F, "time");  // 0x80: fold
  py::Time out;
  out.hour = static_cast<int>(micros / (3600 * kMicrosPerSecond));
  out.minute = static_cast<int>(micros / (60 * kMicrosPerSecond) % 60);
  out.second = static_cast<int>(micros / kMicrosPerSecond % 60);
  out.microsecond = static_cast<int>(micros % kMicrosPerSecond);
  if (args.size() == 2 && !args.at(1).is_none()) {
    out.utc_offset = std::chrono::microseconds(utc_offset(args.at(1), std::nullopt));
  }
  return out;
}

std::optional<std::int64_t> rescale(std::int64_t count, std::intmax_t num, std::intmax_t den) {
  __extension__ using Int128 = __int128;
  const Int128 product = static_cast<Int128>(count) * num;
  Int128 quotient = product / den;
  const Int128 remainder = product % den;
  const Int128 twice = 2 * (remainder < 0 ? -remainder : remainder);
  if (twice > den || (twice == den && quotient % 2 != 0)) quotient += product < 0 ? -1 : 1;
  if (quotient < INT64_MIN || quotient > INT64_MAX) return std::nullopt;
  return static_cast<std::int64_t>(quotient);
}

std::int64_t micros_from_floating(long double micros) {
  // 2**63 is exact in long double; nearbyint rounds ties to even in the default mode.
  if (!std::isfinite(micros) || std::fabs(micros) >= 9223372036854775808.0L) throw_micros_range();
  const long double rounded = std::nearbyint(micros);
  if (std::fabs(rounded) >= 9223372036854775808.0L) throw_micros_range();
  return static_cast<std::int64_t>(rounded);
}

void throw_micros_range() {
  throw CodecError("duration out of the range of 64-bit microseconds (about +-292,000 years)");
}

void throw_duration_range() { throw CodecError("out of the range of the C++ duration type"); }

}  // namespace picklejar::detail
