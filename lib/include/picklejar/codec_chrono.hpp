#pragma once
// std::chrono and the datetime module, built exactly as CPython pickles them.
//
//   C++                                      Python                     recipe
//   std::chrono::sys_time<D>                 datetime.datetime, aware,  datetime(state10,
//     (system_clock::time_point)             tzinfo=timezone.utc timezone(timedelta(0,0,0)))
//   std::chrono::local_time<D>               datetime.datetime, naive   datetime(state10)
//   std::chrono::duration<Rep, Period>       datetime.timedelta         timedelta(days, secs, us)
//   std::chrono::year_month_day              datetime.date              date(state4)
//   picklejar::py::Time                      datetime.time              time(state6[, timezone])
// (stateN is the N-byte string datetime's __reduce__ gives; every object is a REDUCE.)
//
// Naive and aware. A sys_time is a UTC instant, so it is written as an aware datetime in
// datetime.timezone.utc. Reading one back accepts
//   - an aware datetime whose tzinfo is a datetime.timezone (any fixed offset, with or
//     without a name), converted to UTC;
//   - an aware datetime whose tzinfo is a zoneinfo.ZoneInfo ("Europe/Paris"), converted to
//     the UTC instant Python's zoneinfo gives it (fold included) with the zone's rules from
//     the system's time zone database ($TZDIR, else /usr/share/zoneinfo and the other
//     directories CPython searches on Debian; parsed zones are cached per process). A zone
//     the database lacks, or a malformed key, is a CodecError naming the zone; other tzinfo
//     objects (pytz, dateutil) are refused;
//   - a naive datetime, taken to be UTC (datetime.utcnow()'s convention).
// A local_time is a wall-clock reading in no particular zone, which is what a naive datetime
// is; reading one refuses an aware datetime rather than silently dropping its offset.
// `fold` (protocol 4+ only) picks between the two readings of an ambiguous local time in a
// zoneinfo zone, as in Python; it is never written.
//
// Resolution. Python keeps microseconds. A finer C++ duration (system_clock's nanoseconds) is
// rounded to the nearest microsecond, ties to even (what std::chrono::round and Python's
// datetime.fromtimestamp do); reading into a coarser duration rounds the same way. Values
// must fit in 64-bit microseconds (about +-292,000 years) and datetimes in years 1-9999;
// outside, CodecError.

#include <picklejar/config.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <ratio>
#include <utility>

#include <picklejar/codec_core.hpp>
#include <picklejar/value.hpp>

namespace picklejar {

namespace py {
// datetime.time: a time of day, naive or with a fixed UTC offset.
struct Time {
  int hour = 0;         // 0..23
  int minute = 0;       // 0..59
  int second = 0;       // 0..59
  int microsecond = 0;  // 0..999999
  // tzinfo=datetime.timezone(utc_offset), strictly between -24h and 24h; nullopt is naive.
  // Reading keeps a named timezone's offset and drops its name.
  std::optional<std::chrono::microseconds> utc_offset;

  friend bool operator==(const Time&, const Time&) = default;  // every field, utc_offset included
};
}  // namespace py

namespace detail {
// datetime.datetime for microseconds since 1970-01-01 00:00: UTC-aware or naive.
PICKLEJAR_EXPORT Value datetime_value(std::int64_t micros, bool utc);
// Microseconds since 1970-01-01 00:00 UTC (naive taken as UTC; aware converted).
PICKLEJAR_EXPORT std::int64_t read_utc_datetime(const Value& v);
// Microseconds since 1970-01-01 00:00 on the wall clock; refuses an aware datetime.
PICKLEJAR_EXPORT std::int64_t read_naive_datetime(const Value& v);
PICKLEJAR_EXPORT Value timedelta_value(std::int64_t micros);
PICKLEJAR_EXPORT std::int64_t read_timedelta(const Value& v);
PICKLEJAR_EXPORT Value date_value(const std::chrono::year_month_day& date);
PICKLEJAR_EXPORT std::chrono::year_month_day read_date(const Value& v);
PICKLEJAR_EXPORT Value time_value(const py::Time& time);
PICKLEJAR_EXPORT py::Time read_time(const Value& v);

// count * num / den rounded to nearest, ties to even; nullopt when it overflows int64.
PICKLEJAR_EXPORT std::optional<std::int64_t> rescale(std::int64_t count, std::intmax_t num,
                                                     std::intmax_t den);
PICKLEJAR_EXPORT std::int64_t micros_from_floating(long double micros);
[[noreturn]] PICKLEJAR_EXPORT void throw_micros_range();
[[noreturn]] PICKLEJAR_EXPORT void throw_duration_range();

template <class Rep, class Period>
std::int64_t to_micros(std::chrono::duration<Rep, Period> d) {
  using Ratio = std::ratio_divide<Period, std::micro>;
  if constexpr (std::chrono::treat_as_floating_point_v<Rep>) {
    return micros_from_floating(static_cast<long double>(d.count()) * Ratio::num / Ratio::den);
  } else {
    if (!std::in_range<std::int64_t>(d.count())) throw_micros_range();
    const auto micros = rescale(static_cast<std::int64_t>(d.count()), Ratio::num, Ratio::den);
    if (!micros) throw_micros_range();
    return *micros;
  }
}

template <class Duration>
Duration from_micros(std::int64_t micros) {
  using Rep = typename Duration::rep;
  using Ratio = std::ratio_divide<std::micro, typename Duration::period>;
  if constexpr (std::chrono::treat_as_floating_point_v<Rep>) {
    return Duration(static_cast<Rep>(static_cast<long double>(micros) * Ratio::num / Ratio::den));
  } else {
    const auto count = rescale(micros, Ratio::num, Ratio::den);
    if (!count || !std::in_range<Rep>(*count)) throw_duration_range();
    return Duration(static_cast<Rep>(*count));
  }
}
}  // namespace detail

template <class Duration>
struct codec<std::chrono::time_point<std::chrono::system_clock, Duration>> {
  using TimePoint = std::chrono::time_point<std::chrono::system_clock, Duration>;
  static Value to_value(const TimePoint& t) {
    return detail::datetime_value(detail::to_micros(t.time_since_epoch()), true);
  }
  static TimePoint from_value(const Value& v) {
    return TimePoint(detail::from_micros<Duration>(detail::read_utc_datetime(v)));
  }
};

template <class Duration>
struct codec<std::chrono::time_point<std::chrono::local_t, Duration>> {
  using TimePoint = std::chrono::time_point<std::chrono::local_t, Duration>;
  static Value to_value(const TimePoint& t) {
    return detail::datetime_value(detail::to_micros(t.time_since_epoch()), false);
  }
  static TimePoint from_value(const Value& v) {
    return TimePoint(detail::from_micros<Duration>(detail::read_naive_datetime(v)));
  }
};

template <class Rep, class Period>
struct codec<std::chrono::duration<Rep, Period>> {
  using Duration = std::chrono::duration<Rep, Period>;
  static Value to_value(const Duration& d) { return detail::timedelta_value(detail::to_micros(d)); }
  static Duration from_value(const Value& v) {
    return detail::from_micros<Duration>(detail::read_timedelta(v));
  }
};

template <>
struct codec<std::chrono::year_month_day> {
  static Value to_value(const std::chrono::year_month_day& d) { return detail::date_value(d); }
  static std::chrono::year_month_day from_value(const Value& v) { return detail::read_date(v); }
};

template <>
struct codec<py::Time> {
  static Value to_value(const py::Time& t) { return detail::time_value(t); }
  static py::Time from_value(const Value& v) { return detail::read_time(v); }
};

}  // namespace picklejar
