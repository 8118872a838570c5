// repr() of well-known classes and plain instances built in C++ (the CLI tests compare the
// same renderings with CPython's repr of CPython's pickles), and the recipes that keep the
// generic form because the readable one would not be what Python shows.

#include <doctest/doctest.h>

#include <fmt/format.h>

#include <picklejar/codec.hpp>
#include <picklejar/error.hpp>
#include <picklejar/repr.hpp>

#include <chrono>
#include <string>
#include <vector>

using picklejar::ObjectForm;
using picklejar::Value;

namespace deskapp {
struct RecentFile {
  std::string path;
  std::chrono::sys_time<std::chrono::microseconds> opened;
};
PICKLEJAR_CLASS(RecentFile, "deskapp.state", "RecentFile", path, opened);
struct WindowGeometry {
  int x = 0, y = 0;
};
PICKLEJAR_CLASS(WindowGeometry, "deskapp.state", "WindowGeometry", x, y);
}  // namespace deskapp

namespace {

Value reduce(std::string_view module, std::string_view name, std::initializer_list<Value> args) {
  return Value::object(Value::global(module, name), Value::tuple(args));
}

Value bytes(std::initializer_list<int> data) {
  std::string s;
  for (int b : data) s.push_back(static_cast<char>(b));
  return Value::bytes(s);
}

}  // namespace

TEST_CASE("C++-written app state prints as Python shows it") {
  using namespace std::chrono;
  const auto opened = sys_days{year{2026} / 12 / 7} + 8h + 42min + 33s + 645309us;
  CHECK(fmt::format("{}", picklejar::to_value(opened)) ==
        "datetime.datetime(2026, 12, 7, 8, 42, 33, 645309, tzinfo=datetime.timezone.utc)");
  const std::vector<deskapp::RecentFile> recent{{"/tmp/a.txt", opened}};
  CHECK(picklejar::repr(picklejar::to_value(recent)) ==
        "[<deskapp.state.RecentFile path='/tmp/a.txt' opened=datetime.datetime(2026, 12, 7, 8, "
        "42, 33, 645309, tzinfo=datetime.timezone.utc)>]");
  CHECK(picklejar::to_value(deskapp::WindowGeometry{10, 20}).repr() ==
        "<deskapp.state.WindowGeometry x=10 y=20>");
  CHECK(picklejar::to_value(picklejar::py::Decimal{"1.5e3"}).repr() == "Decimal('1.5E+3')");
  CHECK(picklejar::to_value(std::complex<double>(0, 1)).repr() == "1j");
  CHECK(picklejar::to_value(seconds(-1)).repr() == "datetime.timedelta(days=-1, seconds=86399)");
}

TEST_CASE("an instance that contains itself prints <...> inside") {
  Value me = Value::object(Value::global("m", "C"), Value::tuple(), ObjectForm::newobj);
  Value state = Value::dict({{Value("me"), me}});
  me.set_object_state(state);
  CHECK(me.repr() == "<m.C me=<...>>");
}

TEST_CASE("recipes Python would not print this way keep the generic form") {
  SUBCASE("a datetime state naming February 30th") {
    const Value v = reduce("datetime", "datetime", {bytes({7, 234, 2, 30, 0, 0, 0, 0, 0, 0})});
    CHECK(v.repr().starts_with("<reduce datetime.datetime(b'"));
  }
  SUBCASE("a timedelta that is not normalized") {
    const Value v = reduce("datetime", "timedelta", {Value(0), Value(90000), Value(0)});
    CHECK(v.repr() == "<reduce datetime.timedelta(0, 90000, 0)>");
  }
  SUBCASE("a Decimal whose text is not a number") {
    CHECK(reduce("decimal", "Decimal", {Value("1.2.3")}).repr() ==
          "<reduce decimal.Decimal('1.2.3')>");
  }
  SUBCASE("a complex of ints (CPython pickles floats)") {
    CHECK(reduce("builtins", "complex", {Value(1), Value(2)}).repr() ==
          "<reduce builtins.complex(1, 2)>");
  }
  SUBCASE("an instance attribute that is not an identifier") {
    Value v = Value::object(Value::global("m", "C"), Value::tuple(), ObjectForm::newobj);
    v.set_object_state(Value::dict({{Value("not a name"), Value(1)}}));
    CHECK(v.repr() == "<m.C object state={'not a name': 1}>");
  }
  SUBCASE("a Windows path part holding a separator") {
    CHECK(reduce("pathlib", "PureWindowsPath", {Value("C:\\"), Value("a\\b")}).repr() ==
          "<reduce pathlib.PureWindowsPath('C:\\\\', 'a\\\\b')>");
  }
}

TEST_CASE("readable renderings respect max_bytes") {
  const Value v = picklejar::to_value(picklejar::py::Decimal{"12345678901234567890"});
  picklejar::ReprOptions options;
  options.max_bytes = 10;
  CHECK_THROWS_AS(picklejar::repr(v, options), picklejar::LimitError);
}
