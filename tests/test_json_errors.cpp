// Hostile and malformed input for from_json(): syntax errors carry line, column and byte
// offset; errors of the tagged form carry the JSON Pointer of the offending element; depth is
// bounded and nothing recurses.

#include <doctest/doctest.h>

#include <string>

#include <picklejar/json.hpp>
#include <picklejar/pickle.hpp>

namespace picklejar {
namespace {

JsonReadOptions read_limits(std::size_t max_depth, std::size_t max_int_digits = 4300) {
  JsonReadOptions options;
  options.max_depth = max_depth;
  options.max_int_digits = max_int_digits;
  return options;
}

// from_json(text) throws a JsonError of the tagged form at `pointer` whose reason contains
// `reason`.
void check_tag_error(const std::string& text, const std::string& pointer, const std::string& reason,
                     std::size_t max_int_digits = 4300) {
  CAPTURE(text);
  try {
    from_json(text, read_limits(100'000, max_int_digits));
    FAIL("no error");
  } catch (const JsonError& e) {
    CAPTURE(e.what());
    CHECK(e.pointer() == pointer);
    CHECK(!e.position().has_value());
    CHECK(e.reason().find(reason) != std::string::npos);
    const std::string where = pointer.empty() ? "at the top level" : "at " + pointer;
    CHECK(std::string(e.what()) == "invalid tagged JSON " + where + ": " + e.reason());
  }
}

// from_json(text) throws a syntax JsonError at the given place.
void check_syntax_error(const std::string& text, std::size_t offset, std::size_t line,
                        std::size_t column, const std::string& reason) {
  CAPTURE(text);
  try {
    from_json(text);
    FAIL("no error");
  } catch (const JsonError& e) {
    CAPTURE(e.what());
    REQUIRE(e.position().has_value());
    CHECK(e.position()->offset == offset);
    CHECK(e.position()->line == line);
    CHECK(e.position()->column == column);
    CHECK(e.pointer().empty());
    CHECK(e.reason().find(reason) != std::string::npos);
    CHECK(std::string(e.what()).starts_with("invalid JSON at line " + std::to_string(line) +
                                            ", column " + std::to_string(column) + " (byte " +
                                            std::to_string(offset) + "): "));
  }
}

TEST_CASE("syntax errors say line, column and byte offset") {
  check_syntax_error("[1,\n 2,,]", 7, 2, 4, "unexpected ','");
  check_syntax_error("", 0, 1, 1, "unexpected end of input");
  check_syntax_error("[1", 2, 1, 3, "unexpected end of input");
  check_syntax_error("[1] x", 4, 1, 5, "expected end of input");
  check_syntax_error("{\"a\" 1}", 5, 1, 6, "expected ':'");
  check_syntax_error("[NaN]", 1, 1, 2, "invalid literal");
  check_syntax_error("\"\xff\"", 1, 1, 2, "ill-formed UTF-8");
  check_syntax_error("[1e400]", 5, 1, 6, "number overflow");
  SUBCASE("JSON cannot carry a lone surrogate: such strs use $str chunks instead") {
    check_syntax_error("\"\\ud800\"", 7, 1, 8, "surrogate");
  }
}

TEST_CASE("JsonError is an Error") {
  CHECK_THROWS_AS(from_json("["), Error);
  CHECK_THROWS_AS(from_json(R"({"$nope":1})"), JsonError);
}

TEST_CASE("unknown tags, tags mixed with keys, and two tags in one object") {
  check_tag_error(R"({"$nope":1})", "/$nope", "unknown tag '$nope'");
  check_tag_error(R"([{"a":{"$Tuple":[]}}])", "/0/a/$Tuple", "unknown tag '$Tuple'");
  check_tag_error(R"({"$tuple":[],"a":1})", "/a", "'a' next to a tag");
  check_tag_error(R"({"a":1,"$tuple":[]})", "/a", "'a' next to a tag");
  check_tag_error(R"({"$tuple":[],"$list":[]})", "/$list", "$tuple and $list in one object");
  check_tag_error(R"({"$tuple":[],"$tuple":[]})", "/$tuple", "$tuple appears twice");
  check_tag_error(R"({"$id":1})", "", "needs a tag saying what it is");
  check_tag_error(R"({"$id":1,"$id":2,"$list":[]})", "/$id", "$id appears twice");
  check_tag_error(R"({"$state":{},"$dict":{}})", "/$state", "$state goes only with $odict");
  check_tag_error(R"({"$dict":{"$x":1}})", "/$dict/$x", "starts with a single '$'");
}

TEST_CASE("wrong payload types and missing fields") {
  check_tag_error(R"({"$tuple":{}})", "/$tuple", "$tuple must be an array, not an object");
  check_tag_error(R"({"$set":"x"})", "/$set", "$set must be an array, not a string");
  check_tag_error(R"({"$bytes":[1]})", "/$bytes", "$bytes must be a string, not an array");
  check_tag_error(R"({"$int":5})", "/$int", "$int must be a string, not an integer");
  check_tag_error(R"({"$dict":5})", "/$dict", "$dict must be an object or an array");
  check_tag_error(R"({"$dict":[[1]]})", "/$dict/0", "[key, value]");
  check_tag_error(R"({"$dict":[1]})", "/$dict/0", "[key, value]");
  check_tag_error(R"({"$global":["m"]})", "/$global", "[module, qualname]");
  check_tag_error(R"({"$global":"m.f"})", "/$global", "$global must be an array");
  check_tag_error(R"({"$global":["m",1]})", "/$global/1", "expected a str, got int");
  check_tag_error(R"({"$global":[{"$tuple":[]},"f"]})", "/$global/0", "expected a str, got tuple");
  check_tag_error(R"({"$object":[]})", "/$object", "$object must be an object");
  check_tag_error(R"({"$object":{"callable":null}})", "/$object", "needs a 'form'");
  check_tag_error(R"({"$object":{"form":"reduce"}})", "/$object", "needs a 'callable'");
  check_tag_error(R"({"$object":{"form":"call","callable":null}})", "/$object/form",
                  "unknown form 'call'");
  check_tag_error(R"({"$object":{"form":"reduce","callable":null,"extra":1}})", "/$object/extra",
                  "unknown $object field 'extra'");
  check_tag_error(R"({"$object":{"form":"reduce","callable":null,"args":{"$list":[]}}})",
                  "/$object/args", "expected a tuple, got list");
  check_tag_error(R"({"$object":{"form":"reduce","callable":null,"args":3}})", "/$object/args",
                  "expected a tuple, got int");
  check_tag_error(R"({"$object":{"form":"newobj_ex","callable":null,"kwargs":[]}})",
                  "/$object/kwargs", "expected a dict or None, got list");
  check_tag_error(R"({"$object":{"form":"reduce","callable":null,"listitems":{}}})",
                  "/$object/listitems", "listitems must be an array");
  check_tag_error(R"({"$object":{"form":"reduce","callable":null,"dictitems":[[1,2,3]]}})",
                  "/$object/dictitems/0", "[key, value]");
}

TEST_CASE("bad scalar payloads") {
  check_tag_error(R"({"$bytes":"Zg="})", "/$bytes", "not base64");
  check_tag_error(R"({"$bytes":"Z g="})", "/$bytes", "not base64");
  check_tag_error(R"({"$bytearray":"Zg=a"})", "/$bytearray", "not base64");
  check_tag_error(R"({"$int":"12a"})", "/$int", "not decimal or 0x-prefixed hex");
  check_tag_error(R"({"$int":""})", "/$int", "not decimal");
  check_tag_error(R"({"$int":"0xg"})", "/$int", "'g' is not a hex digit");
  check_tag_error(R"({"$int":"0x"})", "/$int", "no digits after 0x");
  check_tag_error(R"({"$float":"NaN"})", "/$float", "is not nan, -nan, inf, -inf");
  check_tag_error(R"({"$float":"1.5"})", "/$float", "finite floats are plain numbers");
  check_tag_error(R"({"$float":1.5})", "/$float", "$float must be a string");
  check_tag_error(R"({"$str":[65]})", "/$str/0", "surrogate code point");
  check_tag_error(R"({"$str":["a",[]]})", "/$str/1", "surrogate code point");
  check_tag_error(R"({"$str":3})", "/$str", "$str must be an array, not an integer");
  check_tag_error(R"({"$interned":3})", "/$interned", "$interned must be a string");
}

TEST_CASE("ids and refs") {
  check_tag_error(R"({"$ref":1})", "/$ref", "$ref 1 names no $id defined before it");
  check_tag_error(R"([{"$ref":1},{"$id":1,"$list":[]}])", "/0/$ref", "$ref 1 names no $id");
  check_tag_error(R"({"$ref":"1"})", "/$ref", "$ref must be an integer");
  check_tag_error(R"({"$ref":99999999999999999999999})", "/$ref", "names no $id");
  check_tag_error(R"([{"$id":1,"$list":[]},{"$id":1,"$tuple":[]}])", "/1/$id",
                  "$id 1 is defined twice");
  check_tag_error(R"({"$id":-1,"$list":[]})", "/$id", "non-negative integer");
  check_tag_error(R"({"$id":1.0,"$list":[]})", "/$id", "non-negative integer");
  check_tag_error(R"({"$id":1,"$ref":1})", "/$id", "$ref takes no $id");
  check_tag_error(R"({"$id":1,"$interned":"a"})", "/$id", "$interned takes no $id");
  check_tag_error(R"({"$id":1,"$int":"5"})", "/$id",
                  "this int is held in 64 bits and has no identity");
  check_tag_error(R"({"$id":1,"$float":"nan"})", "/$id",
                  "this float is held in 64 bits and has no identity");
  SUBCASE("a ref to the enclosing container is a cycle, and fine") {
    const Value v = from_json(R"({"$id":5,"$list":[{"$ref":5}]})");
    CHECK(v[0].is(v));
  }
  SUBCASE("the $id may follow the tag in the object") {
    const Value v = from_json(R"([{"$list":[],"$id":3},{"$ref":3}])");
    CHECK(v[0].is(v[1]));
  }
}

TEST_CASE("unhashable keys and members") {
  check_tag_error(R"({"$dict":[[[1],2]]})", "/$dict/0",
                  "unhashable type: 'list' used as a dict key");
  check_tag_error(R"({"$set":[{"a":1}]})", "/$set/0",
                  "unhashable type: 'dict' used as a set member");
  check_tag_error(R"({"$frozenset":[{"$tuple":[[]]}]})", "/$frozenset/0", "unhashable");
  // A frozenset that contains itself through a tuple has no hash.
  check_tag_error(R"({"$id":1,"$frozenset":[{"$tuple":[{"$ref":1}]}]})", "/$frozenset",
                  "hash depends on itself");
}

TEST_CASE("ints beyond max_int_digits, and plain JSON integers beyond what the parser reads") {
  const std::string digits(4301, '7');
  check_tag_error(R"({"$int":")" + digits + "\"}", "/$int",
                  "4301 decimal digits exceed max_int_digits (4300)");
  CHECK(from_json(R"({"$int":")" + digits + "\"}", read_limits(100, 0)).int_to_decimal() == digits);
  CHECK(from_json(R"({"$int":"-)" + std::string(4300, '9') + "\"}").is_int());
  check_tag_error("[" + std::string(20, '9') + "]", "/0",
                  "20 decimal digits exceed max_int_digits (10)", /*max_int_digits=*/10);
  // nlohmann's parser refuses integer tokens beyond a double's range (about 308 digits).
  check_syntax_error("[" + std::string(400, '1') + "]", 400, 1, 401,
                     "an integer of 400 digits is beyond what the JSON parser reads");
  SUBCASE("hex has no limit: it converts in linear time") {
    const Value big = from_json(R"({"$int":"0x)" + std::string(200'000, 'f') + "\"}");
    CHECK(big.is_int());
    CHECK(to_json(big) == R"({"$int":"0x)" + std::string(200'000, 'f') + "\"}");
  }
}

TEST_CASE("deep nesting: bounded by max_depth, and nothing recurses") {
  constexpr std::size_t kDepth = 100'000;
  const std::string deep = std::string(kDepth, '[') + std::string(kDepth, ']');
  SUBCASE("100k nested arrays are read without recursion when allowed") {
    const Value v = from_json(deep, read_limits(kDepth));
    CHECK(to_json(v) == deep);
    // The encoder and repr do not recurse either.
    CHECK(dumps(v).size() > kDepth);
  }
  SUBCASE("one level more than max_depth is an error naming the limit") {
    try {
      from_json(deep, read_limits(kDepth - 1));
      FAIL("no error");
    } catch (const JsonError& e) {
      CHECK(e.reason() == "JSON nesting deeper than max_depth (99999)");
      CHECK(e.pointer().starts_with("/0/0/0/0/"));
    }
  }
  SUBCASE("the message shows a deep pointer by its two ends; pointer() has it whole") {
    try {
      from_json(std::string(2'000'000, '[') + std::string(2'000'000, ']'));
      FAIL("no error");
    } catch (const JsonError& e) {
      CHECK(e.pointer().size() > 100'000);
      const std::string what = e.what();
      CHECK(what.size() < 300);
      CHECK(what.starts_with("invalid tagged JSON at /0/0/0/"));
      CHECK(what.find("/...(") != std::string::npos);
      CHECK(what.ends_with("/0/0: JSON nesting deeper than max_depth (100000)"));
    }
  }
  SUBCASE("deep tagged values too") {
    Value v = Value::tuple();
    for (int i = 0; i < 30'000; ++i) v = Value::tuple({v});
    const std::string json = to_json(v);
    CHECK(from_json(json) == v);
    CHECK_THROWS_AS(from_json(json, read_limits(1000)), JsonError);
  }
  SUBCASE("deep objects") {
    std::string objects;
    for (int i = 0; i < 50'000; ++i) objects += "{\"a\":";
    objects += "1" + std::string(50'000, '}');
    const Value v = from_json(objects);
    CHECK(to_json(v) == objects);
  }
}

TEST_CASE("many ids and refs in one document") {
  std::string json = "[";
  for (int i = 0; i < 20'000; ++i) json += "{\"$id\":" + std::to_string(i) + ",\"$list\":[]},";
  for (int i = 0; i < 20'000; ++i) json += "{\"$ref\":" + std::to_string(i) + "},";
  json += "null]";
  const Value v = from_json(json);
  REQUIRE(v.size() == 40'001);
  CHECK(v[123].is(v[20'123]));
}

}  // namespace
}  // namespace picklejar
