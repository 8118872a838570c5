// Typed mapping of std containers, pairs, tuples, optional and variant, against what CPython
// pickles for the equal Python objects.

#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <deque>
#include <list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

#include <picklejar/codec.hpp>

#include "codec_support.hpp"

using picklejar::from_value;
using picklejar::to_value;
using picklejar::Value;
namespace test = picklejar::test;

TEST_CASE("codec: sequences are lists, and read back from lists or tuples") {
  const auto py = test::cpython({"[1, 2, 3]", "(1, 2, 3)", "['a', 'b']", "[0.5, -1.0]",
                                 "[True, False, True]", "[]", "[[1], [], [2, 3]]", "[1, 2]"});
  test::check_like_cpython(std::vector<int>{1, 2, 3}, py[0], 0);
  test::check_like_cpython(std::deque<std::string>{"a", "b"}, py[2], 0);
  test::check_like_cpython(std::list<double>{0.5, -1.0}, py[3], 0);
  test::check_like_cpython(std::vector<bool>{true, false, true}, py[4], 0);
  test::check_like_cpython(std::array<int, 3>{1, 2, 3}, py[0], 0);
  test::check_like_cpython(std::vector<long>{}, py[5], 0);
  test::check_like_cpython(std::array<int, 0>{}, py[5], 0);
  test::check_like_cpython(std::vector<std::vector<int>>{{1}, {}, {2, 3}}, py[6], 0);
  for (const auto& loaded : py[1].loaded) {
    CHECK(from_value<std::vector<int>>(*loaded) == std::vector<int>{1, 2, 3});
    CHECK(from_value<std::list<int>>(*loaded) == std::list<int>{1, 2, 3});
    CHECK(from_value<std::array<int, 3>>(*loaded) == std::array<int, 3>{1, 2, 3});
  }
  CHECK(test::from_value_error<std::array<int, 3>>(*py[7].loaded[2]) == "expected 3 items, got 2");
  CHECK(test::from_value_error<std::vector<int>>(Value::set({1})) ==
        "expected list or tuple, got set");
}

TEST_CASE("codec: maps are dicts with any mappable key") {
  const auto py = test::cpython({
      "{'b': 1, 'a': 2}",
      "{1: ['x'], -5: []}",
      "{(1, 'a'): 0.5, (2, 'b'): 1.5}",
      "{(1, 2): 'list key', (): 'empty'}",
      "{b'k': None}",
      "collections.OrderedDict([('a', 1)])",
      "{(1, (2, 3)): 0}",
  });
  test::check_like_cpython(std::map<std::string, int>{{"b", 1}, {"a", 2}}, py[0], 0);
  test::check_like_cpython(std::unordered_map<std::string, int>{{"b", 1}, {"a", 2}}, py[0], 0);
  test::check_like_cpython(std::map<int, std::vector<std::string>>{{1, {"x"}}, {-5, {}}}, py[1], 0);
  test::check_like_cpython(
      std::map<std::pair<int, std::string>, double>{{{1, "a"}, 0.5}, {{2, "b"}, 1.5}}, py[2], 0);
  test::check_like_cpython(
      std::map<std::tuple<int, std::string>, double>{{{1, "a"}, 0.5}, {{2, "b"}, 1.5}}, py[2], 0);
  SUBCASE("a key that maps to a list becomes a tuple, as Python code would write it") {
    test::check_like_cpython(
        std::map<std::vector<int>, std::string>{{{1, 2}, "list key"}, {{}, "empty"}}, py[3], 0);
    test::check_like_cpython(std::map<std::tuple<int, std::vector<int>>, int>{{{1, {2, 3}}, 0}},
                             py[6], 0);
  }
  test::check_like_cpython(
      std::map<std::vector<std::byte>, std::optional<int>>{{{std::byte{'k'}}, std::nullopt}}, py[4],
      0);
  CHECK(from_value<std::map<std::string, int>>(*py[5].loaded[4]) ==
        std::map<std::string, int>{{"a", 1}});
  CHECK(test::from_value_error<std::map<int, int>>(Value::list()) == "expected dict, got list");
}

TEST_CASE("codec: keys that collide, or cannot be keys") {
  SUBCASE("two C++ keys that are one Python key") {
    using Key = std::variant<int, double>;
    const std::map<Key, int> map{{Key(1), 10}, {Key(1.0), 20}};
    CHECK(test::to_value_error(map) == "[1.0]: equal in Python to an earlier key");
    CHECK(test::to_value_error(std::set<Key>{Key(2), Key(2.0)}) ==
          "[1]: equal in Python to an earlier member");
  }
  SUBCASE("two Python keys that are one C++ key") {
    const auto py = test::cpython({"{2**53: 'a', 2**53 + 1: 'b'}", "{2**53, 2**53 + 1}"});
    CHECK(test::from_value_error<std::map<double, std::string>>(*py[0].loaded[2]) ==
          "[9007199254740993]: maps to the same C++ key as an earlier one");
    CHECK(test::from_value_error<std::set<double>>(*py[1].loaded[2]) ==
          "{9007199254740993}: maps to the same C++ key as an earlier one");
  }
  SUBCASE("a dict cannot be a key; a set becomes a frozenset") {
    CHECK(test::to_value_error(std::map<std::map<int, int>, int>{{{{1, 2}}, 3}}) ==
          "key: unhashable type: 'dict' cannot be a dict key or set member");
    const std::set<std::set<int>> nested{{1}, {2, 3}};
    const Value value = picklejar::to_value(nested);
    CHECK(value == Value::set({Value::frozenset({1}), Value::frozenset({2, 3})}));
    CHECK(picklejar::from_value<std::set<std::set<int>>>(value) == nested);
  }
}

TEST_CASE("codec: sets are sets, and read back from sets or frozensets") {
  const auto py =
      test::cpython({"{1, 2, 3}", "frozenset({1, 2, 3})", "{'x'}", "set()", "{(1, 2), (3,)}"});
  test::check_like_cpython(std::set<int>{1, 2, 3}, py[0], 0);
  test::check_like_cpython(std::unordered_set<std::string>{"x"}, py[2], 0);
  test::check_like_cpython(std::set<std::int64_t>{}, py[3], 0);
  test::check_like_cpython(std::set<std::vector<int>>{{1, 2}, {3}}, py[4], 0);
  for (const auto& loaded : py[1].loaded) {
    CHECK(from_value<std::set<int>>(*loaded) == std::set<int>{1, 2, 3});
  }
  CHECK(test::from_value_error<std::set<int>>(Value::list({1})) ==
        "expected set or frozenset, got list");
}

TEST_CASE("codec: pairs and tuples are tuples of checked arity") {
  const auto py =
      test::cpython({"(1, 'a')", "(1, 'a', None, [2.5])", "()", "[1, 'a']", "(1, 'a', 2)"});
  test::check_like_cpython(std::pair<int, std::string>{1, "a"}, py[0], 0);
  test::check_like_cpython(std::tuple<int, std::string>{1, "a"}, py[0], 0);
  test::check_like_cpython(
      std::tuple<long, std::string, std::optional<int>, std::vector<double>>{1, "a", {}, {2.5}},
      py[1], 0);
  test::check_like_cpython(std::tuple<>{}, py[2], 0);
  CHECK(from_value<std::pair<int, std::string>>(*py[3].loaded[2]) ==
        std::pair<int, std::string>{1, "a"});
  CHECK(test::from_value_error<std::pair<int, std::string>>(*py[4].loaded[2]) ==
        "expected 2 items, got 3");
  CHECK(test::from_value_error<std::tuple<int, int, int>>(*py[4].loaded[2]) ==
        "[1]: expected int, got str");
}

TEST_CASE("codec: std::optional is None or the value") {
  const auto py = test::cpython({"None", "7", "[None, 1]"});
  test::check_like_cpython(std::optional<int>{}, py[0], 0);
  test::check_like_cpython(std::optional<int>{7}, py[1], 0);
  test::check_like_cpython(std::vector<std::optional<int>>{std::nullopt, 1}, py[2], 0);
}

TEST_CASE("codec: std::variant writes the active alternative, reads the first that accepts") {
  using V = std::variant<std::monostate, int, double, std::string, std::vector<int>>;
  const auto py = test::cpython({"None", "1", "1.5", "'x'", "[1, 2]", "(3,)", "{1: 2}", "True"});
  test::check_like_cpython(V{}, py[0], 0);
  test::check_like_cpython(V{1}, py[1], 0);
  test::check_like_cpython(V{1.5}, py[2], 0);
  test::check_like_cpython(V{std::string("x")}, py[3], 0);
  test::check_like_cpython(V{std::vector<int>{1, 2}}, py[4], 0);
  CHECK(from_value<V>(*py[5].loaded[2]) == V{std::vector<int>{3}});
  SUBCASE("declaration order decides: double before int takes the int") {
    using DoubleFirst = std::variant<double, int>;
    const DoubleFirst read = from_value<DoubleFirst>(*py[1].loaded[2]);
    CHECK(read.index() == 0);
    CHECK(std::get<0>(read) == 1.0);
  }
  SUBCASE("no alternative accepts") {
    CHECK(test::from_value_error<std::variant<int, std::string>>(*py[6].loaded[2]) ==
          "no alternative of the std::variant accepts dict (#0: expected int, got dict; #1: "
          "expected str, got dict)");
    CHECK(test::from_value_error<std::variant<int, std::vector<int>>>(Value::list({1, "a"})) ==
          "no alternative of the std::variant accepts list (#0: expected int, got list; #1: "
          "[1]: expected int, got str)");
  }
}

TEST_CASE("codec: nested containers agree with CPython") {
  using Prefs = std::map<std::string, std::vector<std::tuple<int, std::optional<std::string>>>>;
  const Prefs prefs{{"a", {{1, std::nullopt}, {2, "x"}}}, {"b", {}}};
  test::check_like_cpython(prefs, test::cpython_one("{'a': [(1, None), (2, 'x')], 'b': []}"), 0);
}
