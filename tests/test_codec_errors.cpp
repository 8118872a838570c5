// Mapping errors: CodecError names the path inside the value, in both directions.

#include <doctest/doctest.h>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <picklejar/codec.hpp>

#include "codec_support.hpp"

using picklejar::CodecError;
using picklejar::from_value;
using picklejar::to_value;
using picklejar::Value;
namespace test = picklejar::test;

namespace errors {
struct Size {
  int width = 0;
  int height = 0;
};
PICKLEJAR_CLASS(Size, "pjcodec.state", "Window", width, height);

struct Frame {
  Size window;
  std::vector<std::string> recent;
};
PICKLEJAR_CLASS(Frame, "pjcodec.state", "Session", window, recent);
}  // namespace errors

TEST_CASE("codec errors: the issue's example") {
  const test::CPython py = test::cpython_one("{'window': {'size': [1, 'x']}}");
  using Layout = std::map<std::string, std::map<std::string, std::vector<int>>>;
  for (const auto& loaded : py.loaded) {
    try {
      (void)from_value<Layout>(*loaded);
      FAIL("no error");
    } catch (const CodecError& e) {
      CHECK(std::string(e.what()) == R"(["window"]["size"][1]: expected int, got str)");
      CHECK(e.path() == R"(["window"]["size"][1])");
      CHECK(e.reason() == "expected int, got str");
    }
  }
}

TEST_CASE("codec errors: CodecError is a TypeError") {
  CHECK_THROWS_AS(from_value<int>(Value("x")), picklejar::TypeError);
  CHECK_THROWS_AS(from_value<int>(Value("x")), picklejar::Error);
  try {
    (void)from_value<int>(Value("x"));
  } catch (const CodecError& e) {
    CHECK(e.path().empty());
    CHECK(std::string(e.what()) == "expected int, got str");
  }
}

TEST_CASE("codec errors: paths through attributes, keys, members and tuples") {
  const auto py = test::cpython({
      "pjcodec.state.Session(pjcodec.state.Window('wide', 1), [], {})",
      "pjcodec.state.Session(pjcodec.state.Window(1, 2), ['a', 3], {})",
      "{'a': 1}",
      "{(1, 'x'): 2}",
      "{'a'}",
      "[300]",
      "{'k\"\\n': 'v'}",
      "{'" + std::string(100, 'k') + "': 'v'}",
      "{None: [1, 2.5]}",
  });
  CHECK(test::from_value_error<errors::Frame>(*py[0].loaded[2]) ==
        ".window.width: expected int, got str");
  CHECK(test::from_value_error<errors::Frame>(*py[1].loaded[0]) ==
        ".recent[1]: expected str, got int");
  CHECK(test::from_value_error<std::map<int, int>>(*py[2].loaded[2]) ==
        R"(["a"]: key: expected int, got str)");
  CHECK(test::from_value_error<std::map<std::tuple<int, int>, int>>(*py[3].loaded[2]) ==
        "[(1, 'x')]: key[1]: expected int, got str");
  CHECK(test::from_value_error<std::set<int>>(*py[4].loaded[2]) ==
        R"({"a"}: expected int, got str)");
  CHECK(test::from_value_error<std::vector<std::uint8_t>>(*py[5].loaded[2]) ==
        "expected bytes or bytearray, got list");
  CHECK(test::from_value_error<std::vector<signed char>>(*py[5].loaded[2]) ==
        "[0]: int 300 out of range [-128, 127]");
  CHECK(test::from_value_error<std::map<std::string, int>>(*py[6].loaded[2]) ==
        R"(["k\"\n"]: expected int, got str)");
  CHECK(test::from_value_error<std::map<std::string, int>>(*py[7].loaded[2]) ==
        R"([")" + std::string(60, 'k') + R"(..."]: expected int, got str)");
  CHECK(test::from_value_error<std::map<std::optional<int>, std::vector<int>>>(*py[8].loaded[2]) ==
        "[None][1]: expected int, got float");
}

TEST_CASE("codec errors: to_value names the C++ path") {
  CHECK(test::to_value_error(std::vector<std::string>{"ok", "bad\xff"}).starts_with("[1]: "));
  CHECK(test::to_value_error(std::map<std::string, std::string>{{"k", "\xff"}})
            .starts_with(R"(["k"]: )"));
  CHECK(test::to_value_error(std::map<std::string, int>{{"\xff", 1}}).starts_with("key: "));
  CHECK(test::to_value_error(errors::Frame{{1, 2}, {"a", "\xc3"}}).starts_with(".recent[1]: "));
  CHECK(test::to_value_error(std::tuple<int, std::optional<std::string>>{1, "\xff"})
            .starts_with("[1]: "));
}

TEST_CASE("codec errors: complex and other recipes say what is malformed") {
  const Value bad = Value::object(Value::global("builtins", "complex"), Value::tuple({1.0, "x"}));
  CHECK(test::from_value_error<std::complex<double>>(bad) == "malformed complex: a part is a str");
  CHECK(test::from_value_error<std::complex<double>>(Value::list({bad})) ==
        "expected complex, got list");
  CHECK(test::from_value_error<std::vector<std::complex<double>>>(Value::list({1, bad})) ==
        "[0]: expected complex, got int");
}
