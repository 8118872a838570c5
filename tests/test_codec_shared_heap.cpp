// to_value() builds everything in one heap (values a codec makes on the side included): a
// codec that returns a value from outside -- however large -- joins it to that heap, values
// outlive the call and the thread's next to_value() starts afresh, a throwing codec leaks
// nothing (the sanitizer build checks), and values built outside to_value() keep heaps of
// their own.

#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <picklejar/codec.hpp>
#include <picklejar/pickle.hpp>

using picklejar::Value;

namespace shared_heap {

// A long-lived value, much larger than what to_value() builds around it.
const Value& big_constant() {
  static const Value big = [] {
    std::vector<Value> items;
    for (int i = 0; i < 2000; ++i) items.push_back(Value::list({i, Value("item")}));
    return Value::list(std::move(items));
  }();
  return big;
}

struct WithConstant {
  std::string name;
};
Value to_pickle(const WithConstant& w) {
  return Value::dict({{Value("name"), Value(w.name)}, {Value("data"), big_constant()}});
}

struct Throws {
  int after = 0;
};
Value to_pickle(const Throws& t) {
  std::vector<Value> built;
  for (int i = 0; i < t.after; ++i) built.push_back(Value::list({Value("x"), i}));
  throw std::runtime_error("codec gave up");
}

}  // namespace shared_heap

TEST_CASE("to_value: a codec returning a large value from outside joins it to the result") {
  std::vector<Value> results;
  for (int round = 0; round < 3; ++round) {
    const std::vector<shared_heap::WithConstant> items = {{"a"}, {"b"}, {"c"}};
    results.push_back(picklejar::to_value(items));
  }
  for (const Value& v : results) {
    REQUIRE(v.size() == 3);
    CHECK(v[1]["name"] == Value("b"));
    CHECK(v[2]["data"].size() == 2000);
    CHECK(v[2]["data"][1999][0] == Value(1999));
  }
  // The constant still works on its own, and the results still encode and decode to equal
  // values after a later to_value() on the same thread.
  const Value later = picklejar::to_value(std::vector<std::string>{"later"});
  CHECK(later == Value::list({Value("later")}));
  CHECK(shared_heap::big_constant().size() == 2000);
  for (const Value& v : results) CHECK(picklejar::loads(picklejar::dumps(v)) == v);
}

TEST_CASE("to_value: a codec that throws halfway leaks nothing and the next call works") {
  for (int after : {0, 1, 50}) {
    CAPTURE(after);
    CHECK_THROWS_WITH_AS(picklejar::to_value(std::vector<shared_heap::Throws>{{after}}),
                         "codec gave up", std::runtime_error);
    const Value v = picklejar::to_value(std::vector<int>{1, 2, 3});
    CHECK(v == Value::list({1, 2, 3}));
  }
}

TEST_CASE("to_value: values outlive the call, and other threads build their own") {
  Value kept;
  {
    const std::vector<std::vector<std::string>> nested = {{"a", "b"}, {"c"}};
    kept = picklejar::to_value(nested);
  }
  Value from_thread;
  std::thread([&] { from_thread = picklejar::to_value(std::vector<std::string>{"t"}); }).join();
  // Built outside to_value(): an ordinary value, mutable and independent.
  Value outside = Value::list({Value("o")});
  outside.append(kept);
  CHECK(outside[1][0][1] == Value("b"));
  CHECK(from_thread == Value::list({Value("t")}));
  CHECK(picklejar::loads(picklejar::dumps(outside)) == outside);
}
