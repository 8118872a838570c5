// Sharing in the tagged JSON form: "$id"/"$ref" for nodes met more than once (shared
// references and cycles), the pool of plain dict keys and global names ("$interned"), and
// building graphs whose dict keys and set members are only complete at the end.

#include <doctest/doctest.h>

#include <string>

#include <picklejar/json.hpp>
#include <picklejar/pickle.hpp>
#include <picklejar/repr.hpp>

#include "python.hpp"

namespace picklejar {
namespace {

EncodeOptions at_protocol(int protocol) {
  EncodeOptions options;
  options.protocol = protocol;
  return options;
}

// python3 prints bytes as hex (one line).
std::string from_hex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

// Reading the JSON back gives a value that pickles to the same bytes at every protocol that
// can express it (the memo writes a node met twice as a GET: the bytes see the sharing).
void check_same_pickles(const Value& v) {
  const Value back = from_json(to_json(v));
  CHECK(to_json(back) == to_json(v));
  for (int protocol = 0; protocol <= 5; ++protocol) {
    CAPTURE(protocol);
    std::string expected;
    try {
      expected = dumps(v, at_protocol(protocol));
    } catch (const EncodeError&) {
      CHECK_THROWS_AS(dumps(back, at_protocol(protocol)), EncodeError);
      continue;
    }
    CHECK(dumps(back, at_protocol(protocol)) == expected);
  }
}

TEST_CASE("a node met twice gets an $id where it first appears and a $ref after") {
  const Value inner = Value::list({1, 2});
  const Value v = Value::list({inner, inner, Value::dict({{"k", inner}})});
  CHECK(to_json(v) == R"([{"$id":1,"$list":[1,2]},{"$ref":1},{"k":{"$ref":1}}])");
  const Value back = from_json(to_json(v));
  CHECK(back[0].is(back[1]));
  CHECK(back[0].is(back[2]["k"]));
  check_same_pickles(v);
}

TEST_CASE("shared nodes of every kind") {
  const Value s("text");
  const Value b = Value::bytes("b");
  const Value ba = Value::bytearray("ba");
  const Value big = Value::integer_from_decimal("123456789012345678901234567890");
  const Value t = Value::tuple({1});
  const Value d = Value::dict({{"a", 1}});
  const Value set = Value::set({1});
  const Value fs = Value::frozenset({1});
  const Value g = Value::global("m", "f");
  const Value o = Value::object(g, Value::tuple());
  const Value v = Value::list({s, s, b, b, ba, ba, big, big, t, t, d, d, set, set, fs, fs, o, o});
  CHECK(to_json(v) == R"([{"$id":1,"$str":"text"},{"$ref":1},{"$id":2,"$bytes":"Yg=="},{"$ref":2},)"
                      R"({"$id":3,"$bytearray":"YmE="},{"$ref":3},)"
                      R"({"$id":4,"$int":"123456789012345678901234567890"},{"$ref":4},)"
                      R"({"$id":5,"$tuple":[1]},{"$ref":5},{"$id":6,"$dict":{"a":1}},{"$ref":6},)"
                      R"({"$id":7,"$set":[1]},{"$ref":7},{"$id":8,"$frozenset":[1]},{"$ref":8},)"
                      R"({"$id":9,"$object":{"form":"reduce","callable":{"$global":["m","f"]}}},)"
                      R"({"$ref":9}])");
  const Value back = from_json(to_json(v));
  for (std::size_t i = 0; i < v.size(); i += 2) {
    CAPTURE(i);
    CHECK(back.at(i).is(back.at(i + 1)));
    CHECK(back.at(i).kind() == v.at(i).kind());
  }
  check_same_pickles(v);
}

TEST_CASE("the same global twice, and as an object's callable") {
  const Value g = Value::global("app", "Point");
  const Value v = Value::list({g, Value::object(g, Value::tuple(), ObjectForm::newobj)});
  CHECK(to_json(v) == R"([{"$id":1,"$global":["app","Point"]},)"
                      R"({"$object":{"form":"newobj","callable":{"$ref":1}}}])");
  check_same_pickles(v);
}

TEST_CASE("cycles") {
  SUBCASE("a list containing itself") {
    Value l = Value::list({0});
    l.append(l);
    CHECK(to_json(l) == R"({"$id":1,"$list":[0,{"$ref":1}]})");
    const Value back = from_json(to_json(l));
    CHECK(back[1].is(back));
    check_same_pickles(l);
  }
  SUBCASE("a dict containing itself") {
    Value d = Value::dict();
    d.set("self", d);
    CHECK(to_json(d) == R"({"$id":1,"$dict":{"self":{"$ref":1}}})");
    const Value back = from_json(to_json(d));
    CHECK(back["self"].is(back));
    check_same_pickles(d);
  }
  SUBCASE("two lists containing each other") {
    Value a = Value::list(), b = Value::list();
    a.append(b);
    b.append(a);
    const Value v = Value::list({a, b});
    const Value back = from_json(to_json(v));
    CHECK(back[0][0].is(back[1]));
    CHECK(back[1][0].is(back[0]));
    check_same_pickles(v);
  }
  SUBCASE("a tuple reached again through the list it contains") {
    Value l = Value::list();
    const Value t = Value::tuple({l, 5});
    l.append(t);
    CHECK(to_json(t) == R"({"$id":1,"$tuple":[[{"$ref":1}],5]})");
    const Value back = from_json(to_json(t));
    REQUIRE(back.is_tuple());
    CHECK(back[0][0].is(back));
    check_same_pickles(t);
  }
  SUBCASE("an object whose state refers to it") {
    Value o = Value::object(Value::global("app", "Node"), Value::tuple(), ObjectForm::newobj);
    o.set_object_state(Value::dict({{"parent", o}, {"children", Value::list({o})}}));
    const Value back = from_json(to_json(o));
    CHECK(back.object_state()["parent"].is(back));
    CHECK(back.object_state()["children"][0].is(back));
    check_same_pickles(o);
  }
  SUBCASE("an OrderedDict whose attributes refer to it") {
    Value od = Value::dict();
    od.set_dict_flavor(DictFlavor::ordered_dict);
    od.set("me", od);
    od.set_dict_state(Value::dict({{"owner", od}}));
    const Value back = from_json(to_json(od));
    CHECK(back["me"].is(back));
    CHECK(back.dict_state()["owner"].is(back));
    check_same_pickles(od);
  }
}

TEST_CASE("plain dict keys are pooled: one str node per text") {
  SUBCASE("records sharing their key strs stay plain JSON objects") {
    const Value x("x"), y("y");
    Value records = Value::list();
    for (int i = 0; i < 3; ++i) records.append(Value::dict({{x, i}, {y, -i}}));
    CHECK(to_json(records) == R"([{"x":0,"y":0},{"x":1,"y":-1},{"x":2,"y":-2}])");
    const Value back = from_json(to_json(records));
    Value first_key = *back[0].begin(), third_key = *back[2].begin();
    CHECK(first_key.is(third_key));
    check_same_pickles(records);
  }
  SUBCASE("a pooled key used as a value too is written $interned there") {
    const Value name("name");
    const Value v = Value::list({Value::dict({{name, 1}}), name});
    CHECK(to_json(v) == R"([{"name":1},{"$interned":"name"}])");
    const Value back = from_json(to_json(v));
    CHECK((*back[0].begin()).is(back[1]));
    check_same_pickles(v);
  }
  SUBCASE("a second str node with the same text is written as an ordinary str") {
    const Value v = Value::list({Value::dict({{Value("k"), 1}}), Value::dict({{Value("k"), 2}})});
    CHECK(to_json(v) == R"([{"k":1},{"$dict":[["k",2]]}])");
    const Value back = from_json(to_json(v));
    CHECK_FALSE((*back[0].begin()).is(*back[1].begin()));
    check_same_pickles(v);
  }
  SUBCASE("plain JSON from elsewhere: equal keys are one node, equal values are not") {
    const Value v = from_json(R"([{"a":"a"},{"a":"a"}])");
    CHECK((*v[0].begin()).is(*v[1].begin()));
    CHECK_FALSE(v[0]["a"].is(v[1]["a"]));
  }
  SUBCASE("global names share the pool with dict keys") {
    const Value module("app");
    Value g1 = Value::global("app", "A");
    const Value v = Value::list({g1, Value::global("app", "B"), Value::dict({{"app", 1}})});
    const std::string json = to_json(v);
    // Value::global makes a new str node per call: only the first "app" is the pooled one.
    CHECK(json == R"([{"$global":["app","A"]},{"$global":[{"$str":"app"},"B"]},)"
                  R"({"$dict":[["app",1]]}])");
    check_same_pickles(v);
  }
}

TEST_CASE("protocol 4 globals share their module str, as CPython's memo writes it") {
  // CPython writes "collections" once and fetches it from the memo for the second class.
  const std::string pickle = from_hex(
      test::run_python("import collections, pickle\n"
                       "print(pickle.dumps([collections.Counter, collections.deque], 4).hex())\n"));
  const Value decoded = loads(pickle);
  const std::string json = to_json(decoded);
  CHECK(json == R"([{"$global":["collections","Counter"]},{"$global":["collections","deque"]}])");
  CHECK(dumps(from_json(json), at_protocol(4)) == pickle);
}

TEST_CASE("dict keys and set members are hashed only once they are complete") {
  SUBCASE("a tuple key reached again through the state of the object it holds") {
    // t = (obj,); obj.__dict__ = {t: 1}: while t is still being read, its own key appears.
    Value obj = Value::object(Value::global("app", "Holder"), Value::tuple(), ObjectForm::newobj);
    const Value t = Value::tuple({obj, "t"});
    obj.set_object_state(Value::dict({{t, 1}}));
    CHECK(to_json(t) ==
          R"({"$id":1,"$tuple":[{"$object":{"form":"newobj",)"
          R"("callable":{"$global":["app","Holder"]},"state":{"$dict":[[{"$ref":1},1]]}}},"t"]})");
    const Value back = from_json(to_json(t));
    const Value state = back[0].object_state();
    REQUIRE(state.contains(back));
    CHECK(state[back] == Value(1));
    check_same_pickles(t);
  }
  SUBCASE("frozensets inside frozensets inside keys, defined where the key is") {
    const Value inner = Value::frozenset({1, 2});
    const Value outer = Value::frozenset({inner, Value::tuple({inner, 3})});
    const Value d = Value::dict({{outer, "v"}, {Value::tuple({outer}), "w"}});
    const Value back = from_json(to_json(d));
    CHECK(back == d);
    CHECK(back[outer] == Value("v"));
    CHECK(back[Value::tuple({outer})] == Value("w"));
    check_same_pickles(d);
  }
  SUBCASE("a frozenset first written inside a set, then used as a key by reference") {
    const Value f = Value::frozenset({Value::tuple({"x"})});
    const Value v = Value::list({Value::set({f}), Value::dict({{f, 1}})});
    const Value back = from_json(to_json(v));
    CHECK(back == v);
    CHECK(back[1][f] == Value(1));
    check_same_pickles(v);
  }
  SUBCASE("instance keys with equal recipes stay two keys, as the decoder keeps them") {
    const std::string instance =
        R"({"$object":{"form":"newobj","callable":{"$global":["app","Empty"]}}})";
    const Value back = from_json(R"({"$dict":[[)" + instance + R"(,1],[)" + instance + R"(,2]]})");
    CHECK(back.size() == 2);
    CHECK(to_json(back) == R"({"$dict":[[)" + instance + R"(,1],[)" + instance + R"(,2]]})");
  }
  SUBCASE("other equal keys are one key: the first key object, the last value") {
    const Value back = from_json(R"({"$dict":[[1,"a"],[1.0,"b"],[true,"c"]]})");
    REQUIRE(back.size() == 1);
    CHECK((*back.begin()).is_int());
    CHECK(back[1] == Value("c"));
  }
}

}  // namespace
}  // namespace picklejar
