// std::chrono <-> datetime, timedelta, date and time, against CPython's pickles of the equal
// objects at protocols 0-5.

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <tuple>

#include <picklejar/codec.hpp>

#include "codec_support.hpp"

using namespace std::chrono;
using picklejar::from_value;
using picklejar::to_value;
using picklejar::Value;
namespace py = picklejar::py;
namespace test = picklejar::test;

namespace {

const std::string kSetup = R"(
UTC = datetime.timezone.utc
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=UTC)
US = datetime.timedelta(microseconds=1)
def micros(dt):
    """dt as microseconds since the epoch (UTC; a naive dt taken as UTC)."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return (dt - EPOCH) // US
)";

sys_time<microseconds> utc(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0,
                           int us = 0) {
  return sys_days(year{y} / mo / d) + hours{h} + minutes{mi} + seconds{s} + microseconds{us};
}

local_time<microseconds> wall(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0,
                              int us = 0) {
  return local_days(year{y} / mo / d) + hours{h} + minutes{mi} + seconds{s} + microseconds{us};
}

}  // namespace

TEST_CASE("codec: sys_time is an aware datetime in datetime.timezone.utc") {
  const auto py = test::cpython(
      {"datetime.datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=UTC)", "EPOCH",
       "datetime.datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)",
       "datetime.datetime.min.replace(tzinfo=UTC)", "datetime.datetime.max.replace(tzinfo=UTC)",
       "datetime.datetime(2000, 2, 29, 12, tzinfo=UTC)",
       "datetime.datetime(2024, 1, 2, tzinfo=UTC)"},
      kSetup);
  test::check_like_cpython(utc(2024, 1, 2, 3, 4, 5, 6), py[0], 0);
  test::check_like_cpython(utc(1970, 1, 1), py[1], 0);
  test::check_like_cpython(utc(1969, 12, 31, 23, 59, 59, 999999), py[2], 0);
  test::check_like_cpython(utc(1, 1, 1), py[3], 0);
  test::check_like_cpython(utc(9999, 12, 31, 23, 59, 59, 999999), py[4], 0);
  test::check_like_cpython(utc(2000, 2, 29, 12), py[5], 0);
  SUBCASE("any duration: seconds, days, system_clock's own") {
    test::check_like_cpython(
        time_point_cast<seconds>(utc(2024, 1, 2, 3, 4, 5)),
        test::cpython_one("datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)", kSetup), 0);
    test::check_like_cpython(sys_days(year{2024} / 1 / 2), py[6], 0);
    test::check_like_cpython(system_clock::time_point(utc(2024, 1, 2, 3, 4, 5, 6)), py[0], 0);
    test::check_like_cpython(sys_time<duration<double>>(utc(2024, 1, 2)), py[6], 0);
  }
}

TEST_CASE("codec: reading sys_time converts fixed offsets to UTC and takes naive as UTC") {
  const auto py = test::cpython(
      {
          "(dt := datetime.datetime(2024, 1, 2, 3, 4, 5, 6), micros(dt))",
          "(dt := datetime.datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=datetime.timezone("
          "datetime.timedelta(hours=5, minutes=30), 'IST')), micros(dt))",
          "(dt := datetime.datetime(2024, 1, 1, 20, tzinfo=datetime.timezone("
          "-datetime.timedelta(hours=8))), micros(dt))",
          "(dt := datetime.datetime(1, 1, 1, 23, 59, tzinfo=datetime.timezone.max), micros(dt))",
          "(dt := datetime.datetime(9999, 12, 31, tzinfo=datetime.timezone.min), micros(dt))",
          "(dt := datetime.datetime(2024, 6, 1, tzinfo=datetime.timezone("
          "datetime.timedelta(seconds=1, microseconds=7))), micros(dt))",
          "(dt := datetime.datetime(2024, 6, 1, 12, tzinfo=zoneinfo.ZoneInfo('UTC')), micros(dt))",
          "(dt := datetime.datetime(2024, 6, 1, 12, tzinfo=zoneinfo.ZoneInfo('Etc/UTC')), "
          "micros(dt))",
          "(dt := datetime.datetime(2024, 11, 3, 1, 30, fold=1), micros(dt))",
      },
      kSetup);
  for (const auto& p : py) {
    INFO(p.expression, " = ", p.repr);
    for (int protocol = 0; protocol < 6; ++protocol) {
      CAPTURE(protocol);
      const auto [t, micros] =
          from_value<std::tuple<sys_time<microseconds>, std::int64_t>>(*p.loaded[protocol]);
      CHECK(t.time_since_epoch().count() == micros);
    }
  }
}

TEST_CASE("codec: tzinfo without a fixed offset is refused") {
  const auto py =
      test::cpython({"datetime.datetime(2024, 6, 1, tzinfo=zoneinfo.ZoneInfo('Europe/Paris'))",
                     "datetime.datetime(2024, 6, 1, tzinfo=datetime.timezone.utc)"},
                    kSetup);
  CHECK(test::from_value_error<sys_seconds>(*py[0].loaded[4]) ==
        "tzinfo zoneinfo.ZoneInfo('Europe/Paris') needs a time zone database; only fixed "
        "offsets (datetime.timezone) and UTC zones can be read");
  Value other = *py[1].loaded[4];
  Value args = Value::tuple(
      {other.object_args().at(0), Value::object(Value::global("pytz", "_UTC"), Value::tuple())});
  CHECK(test::from_value_error<sys_seconds>(
            Value::object(other.object_callable(), args, picklejar::ObjectForm::reduce)) ==
        "tzinfo pytz._UTC has no fixed UTC offset picklejar can read (datetime.timezone and "
        "zoneinfo.ZoneInfo('UTC') only)");
}

TEST_CASE("codec: finer durations round to the microsecond, ties to even, as Python does") {
  const auto py =
      test::cpython({"EPOCH + datetime.timedelta(microseconds=1.5)",
                     "EPOCH + datetime.timedelta(microseconds=2.5)",
                     "EPOCH + datetime.timedelta(microseconds=-1.5)",
                     "EPOCH + datetime.timedelta(microseconds=0.4)",
                     "(dt := datetime.datetime(2024, 1, 2, 0, 0, 5, 500000), round((dt - "
                     "EPOCH.replace(tzinfo=None)) / datetime.timedelta(seconds=1)))",
                     "(dt := datetime.datetime(2024, 1, 2, 0, 0, 4, 500000), round((dt - "
                     "EPOCH.replace(tzinfo=None)) / datetime.timedelta(seconds=1)))",
                     "(dt := datetime.datetime(1969, 12, 31, 23, 59, 59, 500000), round((dt - "
                     "EPOCH.replace(tzinfo=None)) / datetime.timedelta(seconds=1)))"},
                    kSetup);
  const sys_time<nanoseconds> epoch{};
  for (int protocol = 2; protocol < 6; ++protocol) {
    CAPTURE(protocol);
    CHECK(to_value(epoch + nanoseconds(1500)) == *py[0].loaded[protocol]);
    CHECK(to_value(epoch + nanoseconds(2500)) == *py[1].loaded[protocol]);
    CHECK(to_value(epoch - nanoseconds(1500)) == *py[2].loaded[protocol]);
    CHECK(to_value(epoch + nanoseconds(400)) == *py[3].loaded[protocol]);
  }
  for (int i = 4; i < 7; ++i) {
    INFO(py[i].expression, " = ", py[i].repr);
    const auto [t, expected] = from_value<std::tuple<sys_seconds, std::int64_t>>(*py[i].loaded[4]);
    CHECK(t.time_since_epoch().count() == expected);
  }
}

TEST_CASE("codec: local_time is a naive datetime") {
  const auto py =
      test::cpython({"datetime.datetime(2024, 1, 2, 3, 4, 5, 6)", "datetime.datetime(1, 1, 1)",
                     "datetime.datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=UTC)"},
                    kSetup);
  test::check_like_cpython(wall(2024, 1, 2, 3, 4, 5, 6), py[0], 0);
  test::check_like_cpython(wall(1, 1, 1), py[1], 0);
  test::check_like_cpython(local_days(year{1} / 1 / 1), py[1], 0);
  CHECK(test::from_value_error<local_seconds>(*py[2].loaded[3]) ==
        "expected a naive datetime, got an aware one (read it as std::chrono::sys_time)");
}

TEST_CASE("codec: datetimes outside years 1-9999, or beyond the C++ type, are refused") {
  CHECK(test::to_value_error(sys_days(year{10000} / 1 / 1)) ==
        "time point outside datetime's range (years 1 to 9999)");
  CHECK(test::to_value_error(utc(1, 1, 1) - microseconds(1)) ==
        "time point outside datetime's range (years 1 to 9999)");
  CHECK(test::to_value_error(sys_time<duration<std::int64_t, std::ratio<86400 * 365>>>(
            duration<std::int64_t, std::ratio<86400 * 365>>(INT64_MAX / 2))) ==
        "duration out of the range of 64-bit microseconds (about +-292,000 years)");
  const auto py = test::cpython({"datetime.datetime(9999, 1, 1)"}, kSetup);
  CHECK(test::from_value_error<sys_time<nanoseconds>>(*py[0].loaded[2]) ==
        "out of the range of the C++ duration type");
}

TEST_CASE("codec: durations are timedeltas") {
  const auto py =
      test::cpython({"datetime.timedelta(seconds=5)", "datetime.timedelta(microseconds=-1)",
                     "datetime.timedelta(hours=-25)", "datetime.timedelta(days=3)",
                     "datetime.timedelta(milliseconds=1500)", "datetime.timedelta(seconds=1.25)",
                     "datetime.timedelta(microseconds=1.5)", "datetime.timedelta(0)",
                     "datetime.timedelta(microseconds=-2**63)"},
                    kSetup);
  test::check_like_cpython(seconds(5), py[0], 0);
  test::check_like_cpython(microseconds(-1), py[1], 0);
  test::check_like_cpython(hours(-25), py[2], 0);
  test::check_like_cpython(days(3), py[3], 0);
  test::check_like_cpython(milliseconds(1500), py[4], 0);
  test::check_like_cpython(duration<double>(1.25), py[5], 0);
  test::check_like_cpython(microseconds(2), py[6], 0);
  test::check_like_cpython(seconds(0), py[7], 0);
  test::check_like_cpython(microseconds(INT64_MIN), py[8], 0);
  for (int protocol = 2; protocol < 6; ++protocol) {
    CHECK(to_value(nanoseconds(1500)) == *py[6].loaded[protocol]);
  }
}

TEST_CASE("codec: reading a timedelta into a coarser duration rounds ties to even") {
  const auto py = test::cpython({"(td := datetime.timedelta(microseconds=1500), round(td / "
                                 "datetime.timedelta(milliseconds=1)))",
                                 "(td := datetime.timedelta(microseconds=2500), round(td / "
                                 "datetime.timedelta(milliseconds=1)))",
                                 "(td := datetime.timedelta(microseconds=-2500), round(td / "
                                 "datetime.timedelta(milliseconds=1)))",
                                 "(td := datetime.timedelta(days=1, microseconds=-1), round(td / "
                                 "datetime.timedelta(seconds=1)))"},
                                kSetup);
  for (int i = 0; i < 3; ++i) {
    INFO(py[i].expression, " = ", py[i].repr);
    for (const auto& loaded : py[i].loaded) {
      const auto [d, expected] = from_value<std::tuple<milliseconds, std::int64_t>>(*loaded);
      CHECK(d.count() == expected);
    }
  }
  const auto [d, expected] = from_value<std::tuple<seconds, std::int64_t>>(*py[3].loaded[3]);
  CHECK(d.count() == expected);
}

TEST_CASE("codec: timedeltas beyond the C++ duration are refused") {
  const auto py = test::cpython({"datetime.timedelta.max", "datetime.timedelta(days=1)"}, kSetup);
  CHECK(test::from_value_error<microseconds>(*py[0].loaded[2]) ==
        "duration out of the range of 64-bit microseconds (about +-292,000 years)");
  CHECK(test::from_value_error<duration<std::int16_t>>(*py[1].loaded[2]) ==
        "out of the range of the C++ duration type");
  CHECK(from_value<duration<std::int32_t>>(*py[1].loaded[2]).count() == 86400);
}

TEST_CASE("codec: year_month_day is a datetime.date") {
  const auto py = test::cpython({"datetime.date(2024, 2, 29)", "datetime.date.min",
                                 "datetime.date.max", "datetime.datetime(2024, 2, 29)"});
  test::check_like_cpython(year{2024} / 2 / 29, py[0], 0);
  test::check_like_cpython(year{1} / 1 / 1, py[1], 0);
  test::check_like_cpython(year{9999} / 12 / 31, py[2], 0);
  CHECK(test::to_value_error(year{2023} / 2 / 29) ==
        "not a date in datetime.date's range (years 1 to 9999)");
  CHECK(test::to_value_error(year{10000} / 1 / 1) ==
        "not a date in datetime.date's range (years 1 to 9999)");
  CHECK(test::from_value_error<year_month_day>(*py[3].loaded[2]) ==
        "expected datetime.date, got datetime.datetime");
}

TEST_CASE("codec: py::Time is a datetime.time") {
  const auto py = test::cpython(
      {"datetime.time(3, 4, 5, 6)", "datetime.time(23, 59, 59, 999999, tzinfo=UTC)",
       "datetime.time(1, 2, tzinfo=datetime.timezone(datetime.timedelta(hours=-5)))",
       "datetime.time(1, 2, tzinfo=datetime.timezone(datetime.timedelta(hours=1), 'CET'))",
       "datetime.time(1, 30, fold=1)", "datetime.time(0)"},
      kSetup);
  test::check_like_cpython(py::Time{3, 4, 5, 6, {}}, py[0], 0);
  test::check_like_cpython(py::Time{23, 59, 59, 999999, microseconds(0)}, py[1], 0);
  test::check_like_cpython(py::Time{1, 2, 0, 0, hours(-5)}, py[2], 0);
  test::check_like_cpython(py::Time{}, py[5], 0);
  SUBCASE("a named timezone keeps its offset; fold is ignored") {
    test::check_like_cpython(py::Time{1, 2, 0, 0, hours(1)}, py[3], 6);
    test::check_like_cpython(py::Time{1, 30, 0, 0, {}}, py[4], 6);
  }
  CHECK(test::to_value_error(py::Time{24, 0, 0, 0, {}}) == "invalid time of day 24:00:00.000000");
  CHECK(test::to_value_error(py::Time{1, 0, 0, 0, hours(24)}) ==
        "UTC offset not strictly between -24h and 24h");
}

TEST_CASE("codec: malformed datetime recipes") {
  const Value dt = test::cpython_one("datetime.datetime(2024, 1, 2)", kSetup).loaded[4].value();
  const auto with_state = [&](Value state) {
    return Value::object(dt.object_callable(), Value::tuple({state}),
                         picklejar::ObjectForm::reduce);
  };
  CHECK(test::from_value_error<local_seconds>(with_state(Value::bytes("\x07\xe8\x01\x02"))) ==
        "malformed datetime.datetime: expected a 10-byte state, got 4 bytes");
  CHECK(test::from_value_error<local_seconds>(
            with_state(Value::bytes(std::string_view("\x07\xe8\x02\x1e\0\0\0\0\0\0", 10)))) ==
        "malformed datetime.datetime: invalid date 2024-2-30");
  CHECK(test::from_value_error<local_seconds>(
            with_state(Value::bytes(std::string_view("\x07\xe8\x02\x1d\x18\0\0\0\0\0", 10)))) ==
        "malformed datetime.datetime: invalid time 24:00:00.000000");
  CHECK(test::from_value_error<local_seconds>(with_state(Value(1))) ==
        "malformed datetime.datetime: expected a 10-byte state, got int");
  CHECK(test::from_value_error<local_seconds>(Value("2024-01-02")) ==
        "expected datetime.datetime, got str");
  SUBCASE("a latin-1 str state (Python 2 pickles read with Py2Strings::latin1) is accepted") {
    const char utf8[] = "\x07\xc3\xa8\x01\x02\x03\x04\x05\x00\x00\x06";
    const std::string latin1_as_utf8(utf8, sizeof utf8 - 1);
    CHECK(from_value<local_time<microseconds>>(with_state(Value(latin1_as_utf8))) ==
          wall(2024, 1, 2, 3, 4, 5, 6));
  }
}
