// picklejar::Value: construction, kinds, scalar access, containers, equality and hashing.

#include <doctest/doctest.h>

#include <picklejar/error.hpp>
#include <picklejar/repr.hpp>
#include <picklejar/value.hpp>

#include <cmath>
#include <limits>
#include <sstream>
#include <thread>
#include <unordered_set>

#include "python.hpp"

using picklejar::Kind;
using picklejar::Value;

TEST_CASE("Value scalars") {
  SUBCASE("default is None") {
    Value v;
    CHECK(v.is_none());
    CHECK(v.kind() == Kind::none);
    CHECK(Value(nullptr).is_none());
  }
  SUBCASE("bool is its own kind") {
    Value t(true);
    CHECK(t.is_bool());
    CHECK_FALSE(t.is_int());
    CHECK(t.as_bool());
    CHECK(t.as_int() == 1);  // bool is an int in Python
  }
  SUBCASE("ints of every width") {
    CHECK(Value(42).as_int() == 42);
    CHECK(Value(static_cast<std::int8_t>(-5)).as_int() == -5);
    CHECK(Value(std::numeric_limits<std::int64_t>::min()).as_int() ==
          std::numeric_limits<std::int64_t>::min());
    const Value big(std::numeric_limits<std::uint64_t>::max());
    CHECK(big.is_int());
    CHECK_FALSE(big.fits_int64());
    CHECK(big.int_to_decimal() == "18446744073709551615");
    CHECK_THROWS_AS(big.as_int(), picklejar::TypeError);
  }
  SUBCASE("floats") {
    CHECK(Value(1.5).as_float() == 1.5);
    CHECK(Value(2.5f).as_float() == 2.5);
    CHECK(Value(3).as_float() == 3.0);
    CHECK(std::isnan(Value(NAN).as_float()));
  }
  SUBCASE("str validates UTF-8 and keeps surrogates") {
    CHECK(Value("caf\xc3\xa9").as_str() == "caf\xc3\xa9");
    CHECK(Value("caf\xc3\xa9").size() == 4);
    CHECK(Value("\xed\xa0\x80").size() == 1);  // a lone surrogate, as surrogatepass writes it
    CHECK_THROWS_AS(Value("\xff"), picklejar::ValueError);
    CHECK_THROWS_AS(Value("\xc0\x80"), picklejar::ValueError);          // overlong
    CHECK_THROWS_AS(Value("\xf4\x90\x80\x80"), picklejar::ValueError);  // above U+10FFFF
  }
  SUBCASE("bytes and bytearray") {
    const Value b = Value::bytes(std::string_view("a\0b", 3));
    CHECK(b.is_bytes());
    CHECK(b.size() == 3);
    CHECK(b.as_bytes_view() == std::string_view("a\0b", 3));
    Value ba = Value::bytearray("xy");
    ba.mutable_bytes()[0] = std::byte{'z'};
    CHECK(ba.as_bytes_view() == "zy");
    CHECK_THROWS_AS(b.as_str(), picklejar::TypeError);
  }
  SUBCASE("wrong kind names the actual kind") {
    try {
      (void)Value("x").as_int();
      FAIL("expected TypeError");
    } catch (const picklejar::TypeError& e) {
      CHECK(std::string(e.what()) == "as_int: expected int, got str");
    }
  }
}

TEST_CASE("Value big ints") {
  const Value v = Value::integer_from_decimal("-123456789012345678901234567890");
  CHECK(v.is_int());
  CHECK(v.int_to_decimal() == "-123456789012345678901234567890");
  CHECK(Value::integer_from_decimal("42").fits_int64());
  CHECK_THROWS_AS(Value::integer_from_decimal("12a"), picklejar::ValueError);
  CHECK_THROWS_AS(Value::integer_from_decimal(""), picklejar::ValueError);
  const auto bytes = v.int_to_bytes();
  CHECK(Value::integer_from_bytes(bytes) == v);
  CHECK(Value::integer_from_bytes({}).as_int() == 0);
}

TEST_CASE("Value containers") {
  SUBCASE("list") {
    Value l = Value::list({1, "two", 3.0});
    CHECK(l.size() == 3);
    CHECK(l[1].as_str() == "two");
    CHECK(l[-1].as_float() == 3.0);
    CHECK(l.at(0).as_int() == 1);
    l.append(Value::list());
    CHECK(l.size() == 4);
    l.set(0, "one");
    CHECK(l[0].as_str() == "one");
    CHECK_THROWS_AS(l[10], picklejar::LookupError);
    CHECK_THROWS_AS(l.at(4), picklejar::LookupError);
    CHECK(l.contains("two"));
    CHECK_FALSE(l.contains("three"));
  }
  SUBCASE("tuple is not a list") {
    const Value t = Value::tuple({1, 2});
    CHECK(t.is_tuple());
    CHECK_THROWS_AS(Value(t).append(3), picklejar::TypeError);
    CHECK(t != Value::list({1, 2}));
  }
  SUBCASE("dict keeps insertion order and Python key equality") {
    Value d = Value::dict({{"b", 1}, {"a", 2}});
    d.set(1, "int");
    d.set(1.0, "float");  // the same key as 1: the first key stays, the value changes
    d.set(true, "bool");
    CHECK(d.size() == 3);
    const auto items = d.items();
    CHECK(items[0].first.as_str() == "b");
    CHECK(items[2].first.is_int());  // the key object is still the int 1
    CHECK(items[2].second.as_str() == "bool");
    CHECK(d[1.0].as_str() == "bool");
    CHECK(d.find("missing") == std::nullopt);
    CHECK(d.get("missing", 7).as_int() == 7);
    CHECK_THROWS_AS(d["missing"], picklejar::LookupError);
    CHECK_THROWS_AS(d.set(Value::list(), 1), picklejar::TypeError);  // unhashable
    CHECK(d.erase("b"));
    CHECK_FALSE(d.erase("b"));
    CHECK(d.size() == 2);
    std::vector<std::string> keys;
    for (const Value& k : d) keys.push_back(k.repr());
    CHECK(keys == std::vector<std::string>{"'a'", "1"});
  }
  SUBCASE("dict with many keys and erasures") {
    Value d = Value::dict();
    for (int i = 0; i < 5000; ++i) d.set(i, i * 2);
    for (int i = 0; i < 5000; i += 2) CHECK(d.erase(i));
    CHECK(d.size() == 2500);
    CHECK(d[4999].as_int() == 9998);
    CHECK(d.find(4998) == std::nullopt);
    int count = 0;
    for (const Value& k : d) count += k.as_int() % 2;
    CHECK(count == 2500);
  }
  SUBCASE("iteration notices a changed dict") {
    Value d = Value::dict({{1, 1}, {2, 2}});
    auto it = d.begin();
    d.set(3, 3);
    CHECK_THROWS_AS(*it, picklejar::TypeError);
  }
  SUBCASE("set and frozenset") {
    Value s = Value::set({1, 2, 2, 1.0});
    CHECK(s.size() == 2);
    s.add("x");
    CHECK(s.contains("x"));
    CHECK(s == Value::frozenset({1, 2, "x"}));  // set == frozenset in Python
    CHECK_FALSE(s.is_hashable());
    CHECK(Value::frozenset({1}).is_hashable());
    CHECK_THROWS_AS(s.add(Value::list()), picklejar::TypeError);
  }
}

TEST_CASE("Value equality follows Python") {
  CHECK(Value(1) == Value(1.0));
  CHECK(Value(1) == Value(true));
  CHECK(Value(0) == Value(false));
  CHECK(Value(NAN) != Value(NAN));
  CHECK(Value::bytes("a") == Value::bytearray("a"));
  CHECK(Value("a") != Value::bytes("a"));
  CHECK(Value::dict({{"a", 1}, {"b", 2}}) == Value::dict({{"b", 2}, {"a", 1}}));
  CHECK(Value::integer_from_decimal("18446744073709551616") == Value(18446744073709551616.0));
  CHECK(Value::integer_from_decimal("18446744073709551617") != Value(18446744073709551616.0));
  CHECK(Value(9007199254740993) != Value(9007199254740992.0));  // 2**53 + 1 is not a double
  CHECK(Value() == Value());
  CHECK(Value() != Value(0));
  CHECK(Value::global("m", "f") == Value::global("m", "f"));
  CHECK(Value::global("m", "f") != Value::global("m", "g"));
}

TEST_CASE("Value hashing agrees with equality across kinds") {
  CHECK(Value(1).hash() == Value(1.0).hash());
  CHECK(Value(1).hash() == Value(true).hash());
  CHECK(Value(0).hash() == Value(-0.0).hash());
  CHECK(Value(1).hash() != Value(2).hash());
  CHECK(Value(1.5).hash() != Value(1).hash());
  const Value two_pow_64 = Value::integer_from_decimal("18446744073709551616");
  CHECK(two_pow_64.hash() == Value(18446744073709551616.0).hash());
  CHECK(Value(-9223372036854775807 - 1).hash() == Value(-9223372036854775808.0).hash());
  CHECK(Value("a").hash() != Value::bytes("a").hash());
  CHECK(Value::tuple({1, "a"}).hash() == Value::tuple({1.0, "a"}).hash());
  CHECK(Value::tuple({1, 2}).hash() != Value::tuple({2, 1}).hash());
  CHECK(Value::frozenset({1, 2}).hash() == Value::frozenset({2, 1}).hash());
  CHECK_THROWS_AS(Value::list().hash(), picklejar::TypeError);
  CHECK_THROWS_AS(Value::tuple({Value::list()}).hash(), picklejar::TypeError);
  std::unordered_set<Value> set{Value(1), Value("a"), Value::tuple({1, 2})};
  CHECK(set.contains(Value(true)));
  CHECK(set.contains(Value::tuple({1, 2.0})));
}

TEST_CASE("dict keys chosen to collide under Python's hash stay fast") {
  // Python hashes ints modulo 2**61 - 1, so k * (2**61 - 1) all hash to 0 there. Our hash is
  // keyed per process, so such keys spread out; 20,000 of them would take seconds if they
  // collided (quadratic probing), and finish instantly here.
  const std::string keys = picklejar::test::run_python(
      "M = 2**61 - 1\n"
      "assert len({hash(k * M) for k in range(1, 20001)}) == 1\n"
      "print(' '.join(str(k * M) for k in range(1, 20001)))\n");
  std::istringstream in(keys);
  Value d = Value::dict();
  std::string key;
  while (in >> key) d.set(Value::integer_from_decimal(key), d.size());
  CHECK(d.size() == 20'000);
  CHECK(Value::integer_from_decimal("2305843009213693951").hash() != Value(0).hash());
}

TEST_CASE("Value globals and objects") {
  const Value cls = Value::global("app.models", "Point");
  CHECK(cls.global_module() == "app.models");
  CHECK(cls.global_name() == "Point");
  Value obj = Value::object(cls, Value::tuple(), picklejar::ObjectForm::newobj);
  obj.set_object_state(Value::dict({{"x", 1}}));
  obj.object_append(5);
  CHECK(obj.is_object());
  CHECK(obj.object_class() == cls);
  CHECK(obj.object_state()["x"].as_int() == 1);
  CHECK(obj.object_listitems().size() == 1);
  CHECK(obj.object_form() == picklejar::ObjectForm::newobj);
  CHECK(obj.repr() == "<app.models.Point object state={'x': 1} listitems=[5]>");
  CHECK_THROWS_AS(Value::object(cls, Value::list()), picklejar::TypeError);
}

namespace {
// Constructed before the thread builds any value, so destroyed after the thread's spare heaps
// (thread-locals die in reverse order): its value's heap must then be freed, not kept.
struct LateHolder {
  picklejar::Value value;
};
}  // namespace

TEST_CASE("values built many times, and values held by thread-locals, are freed") {
  // Small heaps are reused per thread; the sanitizer build's leak check sees any kept heap or
  // node at exit, and anything reused too early as a use after free.
  std::thread worker([] {
    thread_local LateHolder holder;
    for (int round = 0; round < 3; ++round) {
      std::vector<Value> items;
      for (int i = 0; i < 200; ++i) items.push_back(Value(std::to_string(i)));
      const Value list = Value::list(items);
      CHECK(list.size() == 200);
      CHECK(list[199] == Value("199"));
    }
    holder.value = Value::list({Value("kept"), Value::dict({{"k", Value("v")}})});
    CHECK(holder.value.size() == 2);
  });
  worker.join();
  // And on this thread, after the worker's heaps came and went.
  const Value again = Value::list({Value("a"), Value("b")});
  CHECK(again.repr() == "['a', 'b']");
}

TEST_CASE("Value: each object form has one name, and each name one form") {
  using picklejar::ObjectForm;
  const ObjectForm forms[] = {ObjectForm::reduce, ObjectForm::newobj, ObjectForm::newobj_ex,
                              ObjectForm::inst,   ObjectForm::obj,    ObjectForm::reconstructor};
  std::vector<std::string_view> names;
  for (const ObjectForm form : forms) {
    names.push_back(picklejar::form_name(form));
    CHECK(picklejar::form_named(names.back()) == form);
  }
  CHECK(names == std::vector<std::string_view>{"reduce", "newobj", "newobj_ex", "inst", "obj",
                                               "reconstructor"});
  CHECK_FALSE(picklejar::form_named("Reduce").has_value());
  CHECK_FALSE(picklejar::form_named("").has_value());
}
