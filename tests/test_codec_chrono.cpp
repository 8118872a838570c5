// std::chrono <-> datetime, timedelta, date and time, against CPython's pickles of the equal
// objects at protocols 0-5.

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <tuple>
#include <vector>

#include <picklejar/codec.hpp>
#include <picklejar/repr.hpp>

#include "codec_support.hpp"
#include "process_support.hpp"

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

// Datetimes in zoneinfo zones from the system's time zone database, against Python's own
// reading of them (dt - EPOCH uses dt.utcoffset()): ambiguous and missing local times with
// fold 0 and 1, times before the first transition, beyond the last (the TZ string footer),
// negative DST (Dublin), negative transition times (Nuuk), 30- and 45-minute offsets.
const std::string kZoneSamples = R"(
import random
ZONES = ['Europe/Paris', 'America/New_York', 'Australia/Lord_Howe', 'Pacific/Chatham',
         'Europe/Dublin', 'America/Nuuk', 'Antarctica/Troll', 'America/Sao_Paulo',
         'Asia/Kolkata', 'America/St_Johns', 'Africa/Casablanca', 'Asia/Tehran', 'Etc/GMT+5',
         'America/Santiago', 'Europe/Moscow']
def transitions(tz, year):
    """The UTC hours in `year` after which tz's offset changed (found day by day, then hour
    by hour within a day that changed)."""
    def offset(t):
        return t.astimezone(tz).utcoffset()
    found = []
    day = datetime.datetime(year, 1, 1, tzinfo=UTC)
    while day.year == year:
        if offset(day) != offset(day + datetime.timedelta(days=1)):
            for hour in range(1, 25):
                t = day + datetime.timedelta(hours=hour)
                if offset(t) != offset(t - datetime.timedelta(hours=1)):
                    found.append(t)
        day += datetime.timedelta(days=1)
    return found
def zone_samples(seed, folds):
    rng = random.Random(seed)
    out = []
    for key in ZONES:
        tz = zoneinfo.ZoneInfo(key)
        for _ in range(60):
            year = rng.choice([rng.randint(1, 9998), rng.randint(1850, 2150)])
            dt = datetime.datetime(year, rng.randint(1, 12), rng.randint(1, 28),
                                   rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59),
                                   rng.randint(0, 999999), tzinfo=tz, fold=rng.choice(folds))
            out.append((dt, micros(dt)))
        # Every quarter hour from 3 hours before to 3 after each transition of some years
        # (before 1970, the last listed in the file, the footer's), both folds.
        for year in (1900, 1971, 2021, 2037, 2038, 2090):
            for t in transitions(tz, year):
                wall = t.astimezone(tz).replace(tzinfo=None)
                for quarter in range(-12, 13):
                    for fold in folds:
                        dt = (wall + datetime.timedelta(minutes=15 * quarter)).replace(
                            tzinfo=tz, fold=fold)
                        out.append((dt, micros(dt)))
    return out
)";

TEST_CASE("codec: datetimes in zoneinfo zones read as the instant Python reads") {
  const auto py =
      test::cpython({"zone_samples(1, (0, 1))", "zone_samples(2, (0,))"}, kSetup + kZoneSamples);
  using Samples = std::vector<std::tuple<sys_time<microseconds>, std::int64_t>>;
  // fold travels in the pickle from protocol 4 on; protocols 0-3 get the fold=0 samples.
  for (int protocol = 0; protocol < 6; ++protocol) {
    CAPTURE(protocol);
    const Value& v = *py[protocol >= 4 ? 0 : 1].loaded[protocol];
    const Samples samples = from_value<Samples>(v);
    REQUIRE(samples.size() > 2000);
    std::size_t mismatches = 0;
    for (std::size_t i = 0; i < samples.size(); ++i) {
      const auto& [t, micros] = samples[i];
      if (t.time_since_epoch().count() == micros) continue;
      if (++mismatches <= 5)
        FAIL_CHECK(picklejar::repr(v.at(i).at(0))
                   << ": " << t.time_since_epoch().count() << " != Python's " << micros);
    }
    CHECK(mismatches == 0);
  }
}

// TZ string rules that tzdata does not use today (Jn, n, negative and 25h+ times, no
// transitions at all) in zone files made here, found by key through $TZDIR (C++) and the
// tz path (Python): the same instants as CPython's zoneinfo gives.
TEST_CASE("codec: POSIX TZ rules of every form read as Python reads them") {
  const test::ScratchDir dir;
  const std::string setup = kSetup + "TZDIR = r'" + dir.path().string() + "'\n" + R"(
import os, random, struct
def tzif(footer, transitions=(), types=((0, 0),)):
    def header():
        return b'TZif2' + bytes(15) + struct.pack('>6l', 0, 0, 0, len(transitions),
                                                  len(types), 2)
    def block(time_format):
        data = b''.join(struct.pack(time_format, t) for t, _ in transitions)
        data += bytes(kind for _, kind in transitions)
        data += b''.join(struct.pack('>lbb', offset, dst, 0) for offset, dst in types)
        return data + b'X\x00'
    return header() + block('>l') + header() + block('>q') + b'\n' + footer + b'\n'
ZONES = {
    'Test/Julian': tzif(b'AAA3BBB,J60/2,J300/2'),
    'Test/ZeroBased': tzif(b'AAA-1BBB,59/2,300/3'),
    'Test/AllYear': tzif(b'<+03>-3<+04>,J1/0,J365/25'),
    'Test/Odd': tzif(b'AAA5BBB4,M3.2.0/-1,M11.1.0/26'),
    'Test/Negative': tzif(b'IST-1GMT0,M10.5.0,M3.5.0/1'),
    'Test/Fixed': tzif(b'<-0330>3:30'),
    'Test/Transitions': tzif(b'', transitions=((-2000000000, 1), (0, 2), (1000000000, 1)),
                             types=((3600, 0), (7200, 1), (-1800, 0))),
}
for key, data in ZONES.items():
    os.makedirs(os.path.join(TZDIR, os.path.dirname(key)), exist_ok=True)
    with open(os.path.join(TZDIR, key), 'wb') as f:
        f.write(data)
zoneinfo.reset_tzpath([TZDIR])
def rule_samples():
    rng = random.Random(7)
    out = []
    for key in ZONES:
        tz = zoneinfo.ZoneInfo(key)
        for year in (1901, 1969, 1970, 1999, 2000, 2001, 2024, 2037, 2100):
            for _ in range(40):
                dt = datetime.datetime(year, rng.randint(1, 12), rng.randint(1, 28),
                                       rng.randint(0, 23), rng.choice((0, 30, 59)),
                                       tzinfo=tz, fold=rng.randint(0, 1))
                out.append((dt, micros(dt)))
            for month, day in ((1, 1), (2, 29), (3, 1), (10, 27), (10, 28), (11, 1),
                               (12, 31)):
                for hour in range(0, 24):
                    for fold in (0, 1):
                        try:
                            dt = datetime.datetime(year, month, day, hour, tzinfo=tz,
                                                   fold=fold)
                        except ValueError:
                            continue
                        out.append((dt, micros(dt)))
    return out
)";
  const auto py = test::cpython({"rule_samples()"}, setup);
  const char* old = std::getenv("TZDIR");
  const std::string saved = old ? old : "";
  ::setenv("TZDIR", dir.path().c_str(), 1);
  using Samples = std::vector<std::tuple<sys_time<microseconds>, std::int64_t>>;
  Samples samples;
  std::string error;
  try {
    samples = from_value<Samples>(*py[0].loaded[4]);
  } catch (const picklejar::CodecError& e) {
    error = e.what();
  }
  old ? ::setenv("TZDIR", saved.c_str(), 1) : ::unsetenv("TZDIR");
  REQUIRE(error.empty());
  REQUIRE(samples.size() > 1000);
  std::size_t mismatches = 0;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const auto& [t, micros] = samples[i];
    if (t.time_since_epoch().count() == micros) continue;
    if (++mismatches <= 5)
      FAIL_CHECK(picklejar::repr(py[0].loaded[4]->at(i).at(0))
                 << ": " << t.time_since_epoch().count() << " != Python's " << micros);
  }
  CHECK(mismatches == 0);
}

TEST_CASE("codec: zoneinfo zones that cannot be read are refused, naming the zone") {
  const auto py = test::cpython({"datetime.datetime(2024, 6, 1, tzinfo=zoneinfo.ZoneInfo("
                                 "'Europe/Paris'))",
                                 "datetime.datetime(2024, 6, 1, tzinfo=datetime.timezone.utc)",
                                 "datetime.time(12, tzinfo=zoneinfo.ZoneInfo('Europe/Paris'))"},
                                kSetup);
  // The same datetime with another key in its ZoneInfo._unpickle(key, from_cache) recipe.
  const Value paris = *py[0].loaded[4];
  const auto in_zone = [&](const std::string& key) {
    const Value tz = paris.object_args().at(1);
    return Value::object(
        paris.object_callable(),
        Value::tuple({paris.object_args().at(0),
                      Value::object(tz.object_callable(), Value::tuple({Value(key), Value(1)}),
                                    picklejar::ObjectForm::reduce)}),
        picklejar::ObjectForm::reduce);
  };
  CHECK(test::from_value_error<sys_seconds>(paris).empty());
  CHECK(test::from_value_error<sys_seconds>(in_zone("Mars/Olympus_Mons"))
            .starts_with("tzinfo zoneinfo.ZoneInfo('Mars/Olympus_Mons'): no such zone in the "
                         "time zone database ("));
  for (const char* key : {"../../etc/passwd", "/etc/passwd", "Europe/../../x", "Europe//Paris", "",
                          "Europe/Paris\n", "./Europe/Paris"}) {
    CAPTURE(key);
    const std::string error = test::from_value_error<sys_seconds>(in_zone(key));
    CHECK(error.find("a zone key") != std::string::npos);
  }
  CHECK(test::from_value_error<py::Time>(*py[2].loaded[4]) ==
        "tzinfo zoneinfo.ZoneInfo('Europe/Paris') gives a time of day no UTC offset (its "
        "offset depends on the date)");
  // A zone file that is not one, found through $TZDIR (a key never looked up before).
  const test::ScratchDir dir;
  std::filesystem::create_directories(dir / "Test");
  std::ofstream(dir / "Test" / "Garbage") << "not a zone file at all, but long enough";
  std::ofstream(dir / "Test" / "Truncated") << "TZif2" + std::string(20, '\0');
  const char* old = std::getenv("TZDIR");
  const std::string saved = old ? old : "";
  ::setenv("TZDIR", dir.path().c_str(), 1);
  const std::string garbage = test::from_value_error<sys_seconds>(in_zone("Test/Garbage"));
  const std::string truncated = test::from_value_error<sys_seconds>(in_zone("Test/Truncated"));
  const std::string missing = test::from_value_error<sys_seconds>(in_zone("Test/Missing"));
  old ? ::setenv("TZDIR", saved.c_str(), 1) : ::unsetenv("TZDIR");
  CHECK(garbage == "tzinfo zoneinfo.ZoneInfo('Test/Garbage'): " + (dir / "Test/Garbage").string() +
                       ": not a valid TZif file: no \"TZif\" magic");
  CHECK(truncated.ends_with("not a valid TZif file: it ends early"));
  CHECK(missing ==
        "tzinfo zoneinfo.ZoneInfo('Test/Missing'): no such zone in the time zone "
        "database (" +
            dir.path().string() + ")");

  Value other = *py[1].loaded[4];
  Value args = Value::tuple(
      {other.object_args().at(0), Value::object(Value::global("pytz", "_UTC"), Value::tuple())});
  CHECK(test::from_value_error<sys_seconds>(
            Value::object(other.object_callable(), args, picklejar::ObjectForm::reduce)) ==
        "tzinfo pytz._UTC has no UTC offset picklejar can read (datetime.timezone and "
        "zoneinfo.ZoneInfo only)");
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
