// Typed mapping of scalars: None, bool, every integer type (range-checked against ints
// CPython pickles), floating point, enums and Value itself.

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <variant>

#include <picklejar/codec.hpp>

#include "codec_support.hpp"

using picklejar::CodecError;
using picklejar::from_value;
using picklejar::to_value;
using picklejar::Value;
namespace test = picklejar::test;

namespace scalars {
enum class Color { red, green = 5, blue };
PICKLEJAR_ENUM(Color, red, green, blue);
enum class Level : std::uint8_t { low, high };  // no PICKLEJAR_ENUM: any uint8_t is accepted
enum Plain { plain_a = -3, plain_b = 70000 };
enum class Letter : char { a = 'a', z = 'z' };
}  // namespace scalars

TEST_CASE("codec: None, nullptr and std::monostate") {
  const test::CPython py = test::cpython_one("None");
  for (const auto& loaded : py.loaded) {
    CHECK(to_value(nullptr) == *loaded);
    CHECK(to_value(std::monostate{}) == *loaded);
    CHECK(from_value<std::nullptr_t>(*loaded) == nullptr);
    CHECK(from_value<std::monostate>(*loaded) == std::monostate{});
  }
  CHECK(test::from_value_error<std::monostate>(Value(0)) == "expected None, got int");
}

TEST_CASE("codec: bool is bool only") {
  const auto py = test::cpython({"True", "False", "1"});
  test::check_like_cpython(true, py[0], 0);
  test::check_like_cpython(false, py[1], 0);
  CHECK(test::from_value_error<bool>(*py[2].loaded[2]) == "expected bool, got int");
}

TEST_CASE_TEMPLATE("codec: integers round-trip and are range-checked", T, signed char,
                   unsigned char, short, unsigned short, int, unsigned, long, unsigned long,
                   long long, unsigned long long, std::int8_t, std::uint16_t, std::int32_t,
                   std::uint64_t) {
  using Limits = std::numeric_limits<T>;
  const std::string min = std::to_string(Limits::min()), max = std::to_string(Limits::max());
  const auto py = test::cpython({min, max, "(" + min + ")-1", max + "+1", "0", "True"});
  test::check_like_cpython(Limits::min(), py[0], 0);
  test::check_like_cpython(Limits::max(), py[1], 0);
  test::check_like_cpython(T{0}, py[4], 0);
  for (int protocol = 0; protocol < 6; ++protocol) {
    CAPTURE(protocol);
    const std::string range = "out of range [" + min + ", " + max + "]";
    CHECK(test::from_value_error<T>(*py[2].loaded[protocol]) == "int " + py[2].repr + " " + range);
    CHECK(test::from_value_error<T>(*py[3].loaded[protocol]) == "int " + py[3].repr + " " + range);
    CHECK(test::from_value_error<T>(*py[5].loaded[protocol]) == "expected int, got bool");
  }
}

TEST_CASE("codec: ints far beyond 64 bits") {
  const auto py = test::cpython({"2**64", "-2**64", "2**63", "10**300"});
  CHECK(test::from_value_error<std::uint64_t>(*py[0].loaded[4]) ==
        "int 18446744073709551616 out of range [0, 18446744073709551615]");
  CHECK(test::from_value_error<std::int64_t>(*py[1].loaded[4]) ==
        "int -18446744073709551616 out of range [-9223372036854775808, 9223372036854775807]");
  CHECK(from_value<std::uint64_t>(*py[2].loaded[4]) == 9223372036854775808ull);
  CHECK(test::from_value_error<std::int64_t>(*py[2].loaded[4]) ==
        "int 9223372036854775808 out of range [-9223372036854775808, 9223372036854775807]");
  CHECK(test::from_value_error<int>(*py[3].loaded[4]) ==
        "an int of 125 bytes out of range [-2147483648, 2147483647]");
  CHECK(to_value(std::uint64_t{9223372036854775808ull}) == *py[2].loaded[4]);
}

TEST_CASE("codec: floating point") {
  const auto py = test::cpython({"1.5", "-0.0", "float('inf')", "2**53 + 1", "10**400", "1e300",
                                 "3.4028234663852886e+38", "float(2**53 + 1)", "'1.0'"});
  test::check_like_cpython(1.5, py[0], 0);
  test::check_like_cpython(1.5f, py[0], 0);
  test::check_like_cpython(1.5L, py[0], 0);
  CHECK(std::signbit(from_value<double>(*py[1].loaded[0])));
  CHECK(to_value(-0.0) == *py[1].loaded[0]);
  test::check_like_cpython(std::numeric_limits<double>::infinity(), py[2], 0);
  SUBCASE("an int is accepted where a float is expected, rounded as Python's float() does") {
    for (int protocol = 0; protocol < 6; ++protocol) {
      CHECK(from_value<double>(*py[3].loaded[protocol]) ==
            from_value<double>(*py[7].loaded[protocol]));
    }
    CHECK(test::from_value_error<double>(*py[4].loaded[2]) ==
          "an int of 167 bytes too large to convert to float");
  }
  SUBCASE("float refuses a finite double beyond its range, keeps FLT_MAX") {
    CHECK(test::from_value_error<float>(*py[5].loaded[2]) ==
          "float 1e+300 too large for a 32-bit float");
    CHECK(from_value<float>(*py[6].loaded[2]) == std::numeric_limits<float>::max());
    CHECK(std::isinf(from_value<float>(*py[2].loaded[2])));
  }
  SUBCASE("NaN keeps its bits") {
    const double nan = std::nan("");
    CHECK(std::isnan(from_value<double>(to_value(nan))));
  }
  CHECK(test::from_value_error<double>(*py[8].loaded[2]) == "expected float, got str");
}

TEST_CASE("codec: enums are ints") {
  using scalars::Color;
  const auto py =
      test::cpython({"0", "5", "6", "1", "255", "256", "-3", "70000", "ord('z')", "-1"});
  test::check_like_cpython(Color::red, py[0], 0);
  test::check_like_cpython(Color::green, py[1], 0);
  test::check_like_cpython(Color::blue, py[2], 0);
  SUBCASE("PICKLEJAR_ENUM lists the values from_value accepts") {
    CHECK(test::from_value_error<Color>(*py[3].loaded[2]) ==
          "int 1 is not one of the enum's values");
    CHECK(test::from_value_error<Color>(*py[9].loaded[2]) ==
          "int -1 is not one of the enum's values");
  }
  SUBCASE("without it, any value of the underlying type") {
    test::check_like_cpython(static_cast<scalars::Level>(255), py[4], 0);
    CHECK(test::from_value_error<scalars::Level>(*py[5].loaded[2]) ==
          "int 256 out of range [0, 255]");
    CHECK(test::from_value_error<scalars::Level>(*py[9].loaded[2]) ==
          "int -1 out of range [0, 255]");
  }
  SUBCASE("unscoped enums and character-based enums") {
    test::check_like_cpython(scalars::plain_a, py[6], 0);
    test::check_like_cpython(scalars::plain_b, py[7], 0);
    test::check_like_cpython(scalars::Letter::z, py[8], 0);
  }
}

TEST_CASE("codec: Value maps to itself, the same node") {
  const Value list = Value::list({1, 2});
  CHECK(to_value(list).is(list));
  CHECK(from_value<Value>(list).is(list));
}
