// py::Decimal, py::Uuid, std::complex and py::OrderedDict against CPython's pickles of
// decimal.Decimal, uuid.UUID, complex and collections.OrderedDict at protocols 0-5.

#include <doctest/doctest.h>

#include <complex>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <picklejar/codec.hpp>

#include "codec_support.hpp"

using picklejar::DictFlavor;
using picklejar::from_value;
using picklejar::ObjectForm;
using picklejar::to_value;
using picklejar::Value;
namespace py = picklejar::py;
namespace test = picklejar::test;

TEST_CASE("codec: py::Decimal is decimal.Decimal, kept as text") {
  const std::vector<std::string> texts = {
      "1.50",      "-0",       "Infinity",
      "-Infinity", "NaN",      "sNaN123",
      "1E+2",      "-1.23E-7", "123456789012345678901234567890.5"};
  std::vector<std::string> expressions;
  for (const auto& t : texts) expressions.push_back("decimal.Decimal('" + t + "')");
  const auto pys = test::cpython(expressions);
  for (const auto& p : pys) {
    // str(d) is what Decimal.__reduce__ writes, so py::Decimal{str(d)} is the same recipe.
    test::check_like_cpython(py::Decimal{p.str}, p, 0);
  }
  SUBCASE("the text must be Decimal syntax") {
    for (const char* bad : {"", "1.2.3", "abc", "1e", "--1", "+", ".", "1 ", "Infinit", "nan1x"}) {
      CAPTURE(bad);
      CHECK(test::to_value_error(py::Decimal{bad}) ==
            "'" + std::string(bad) + "' is not a decimal.Decimal string");
    }
    for (const char* good : {"1.", ".5", "+1e-5", "inf", "-INFINITY", "nan", "snan", "0E+10"}) {
      CAPTURE(good);
      CHECK(to_value(py::Decimal{good}).object_args().at(0) == Value(good));
    }
  }
  CHECK(test::from_value_error<py::Decimal>(Value(1.5)) == "expected decimal.Decimal, got float");
}

TEST_CASE("codec: py::Uuid is uuid.UUID") {
  const auto pys = test::cpython({
      "uuid.UUID('12345678-1234-5678-1234-567812345678')",
      "uuid.UUID(int=0)",
      "uuid.UUID(int=2**128 - 1)",
      "uuid.UUID('00000000-0000-0000-0000-0000000000ff')",
      "uuid.UUID(int=5, is_safe=uuid.SafeUUID.safe)",
  });
  for (const auto& p : pys) {
    INFO(p.expression);
    const std::optional<py::Uuid> parsed = py::Uuid::parse(p.str);
    REQUIRE(parsed);
    CHECK(parsed->str() == p.str);
    if (p.expression.find("is_safe") == std::string::npos) {
      test::check_like_cpython(*parsed, p);
    } else {  // is_safe is written only when known; reading ignores it
      for (const auto& loaded : p.loaded) CHECK(from_value<py::Uuid>(*loaded) == *parsed);
    }
    SUBCASE("protocols 0-1 write copyreg._reconstructor, which is read the same") {
      CHECK(p.loaded[0]->object_form() == ObjectForm::reconstructor);
      CHECK(p.loaded[1]->object_form() == ObjectForm::reconstructor);
    }
  }
  CHECK(py::Uuid::parse("12345678-1234-5678-1234-56781234567") == std::nullopt);
  CHECK(py::Uuid::parse("12345678_1234-5678-1234-567812345678") == std::nullopt);
  CHECK(py::Uuid::parse("1234567g-1234-5678-1234-567812345678") == std::nullopt);
  CHECK(py::Uuid::parse("ABCDEF00-1234-5678-1234-567812345678")->str() ==
        "abcdef00-1234-5678-1234-567812345678");
  SUBCASE("an int outside [0, 2**128) is refused") {
    Value v = to_value(py::Uuid{});
    v.set_object_state(Value::dict({{Value("int"), Value(-1)}}));
    CHECK(test::from_value_error<py::Uuid>(v) ==
          "malformed uuid.UUID: its 'int' is not in [0, 2**128)");
    v.set_object_state(Value::dict(
        {{Value("int"), Value::integer_from_decimal("340282366920938463463374607431768211456")}}));
    CHECK(test::from_value_error<py::Uuid>(v) ==
          "malformed uuid.UUID: its 'int' is not in [0, 2**128)");
    v.set_object_state(Value::dict({{Value("hex"), Value("x")}}));
    CHECK(test::from_value_error<py::Uuid>(v) == "malformed uuid.UUID: no 'int' attribute");
  }
}

TEST_CASE("codec: std::complex is complex") {
  const auto pys =
      test::cpython({"complex(1, 2)", "complex(-0.0, float('inf'))", "complex(0.5, 0)", "1j"});
  test::check_like_cpython(std::complex<double>(1, 2), pys[0], 0);
  test::check_like_cpython(std::complex<double>(-0.0, std::numeric_limits<double>::infinity()),
                           pys[1], 0);
  test::check_like_cpython(std::complex<float>(0.5f, 0), pys[2], 0);
  test::check_like_cpython(std::complex<long double>(0, 1), pys[3], 0);
  CHECK(test::from_value_error<std::complex<double>>(Value(1.0)) == "expected complex, got float");
}

TEST_CASE("codec: py::OrderedDict is collections.OrderedDict") {
  const auto pys =
      test::cpython({"collections.OrderedDict([('b', 1), ('a', 2)])", "collections.OrderedDict()",
                     "{'b': 1, 'a': 2}", "collections.OrderedDict([((1, 2), [None])])"});
  using Items = py::OrderedDict<std::string, int>;
  const Items items{{{"b", 1}, {"a", 2}}};
  test::check_like_cpython(items, pys[0], 0);
  test::check_like_cpython(Items{}, pys[1], 0);
  test::check_like_cpython(
      py::OrderedDict<std::vector<int>, std::vector<std::nullptr_t>>{{{{1, 2}, {nullptr}}}}, pys[3],
      0);
  SUBCASE("to_value makes an OrderedDict, whose order counts") {
    const Value v = to_value(items);
    CHECK(v.dict_flavor() == DictFlavor::ordered_dict);
    CHECK_FALSE(to_value(Items{{{"a", 2}, {"b", 1}}}) == *pys[0].loaded[4]);
  }
  SUBCASE("a plain dict is read in its order") {
    CHECK(from_value<Items>(*pys[2].loaded[4]) == items);
  }
  CHECK(test::to_value_error(py::OrderedDict<double, int>{{{1.0, 1}, {1.0, 2}}}) ==
        "[1.0]: equal in Python to an earlier key");
}
