// The tagged JSON form (picklejar/json.hpp, docs/JSON.md): what to_json() writes for every
// kind and tag, that from_json() reads it back to an equal value of the same kinds, layout
// options, and plain JSON read from elsewhere. The expected texts are the format's own
// examples (docs/JSON.md), not results of another program.

#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <picklejar/json.hpp>
#include <picklejar/pickle.hpp>
#include <picklejar/repr.hpp>

namespace picklejar {
namespace {

EncodeOptions at_protocol(int protocol) {
  EncodeOptions options;
  options.protocol = protocol;
  return options;
}

JsonOptions layout(int indent, bool ensure_ascii = false) {
  JsonOptions options;
  options.indent = indent;
  options.ensure_ascii = ensure_ascii;
  return options;
}

// to_json(v) is `text`, and reading it back gives a value that writes the same text and the
// same pickle at every protocol that can express it.
void check_form(const Value& v, const std::string& text) {
  CAPTURE(v.repr());
  CHECK(to_json(v) == text);
  const Value back = from_json(text);
  CHECK(back.kind() == v.kind());
  CHECK(to_json(back) == text);
  CHECK(dumps(back, at_protocol(5)) == dumps(v, at_protocol(5)));
}

std::uint64_t bits(double d) { return std::bit_cast<std::uint64_t>(d); }

TEST_CASE("plain JSON scalars") {
  check_form(Value(), "null");
  check_form(true, "true");
  check_form(false, "false");
  check_form(0, "0");
  check_form(-17, "-17");
  check_form(INT64_MAX, "9223372036854775807");
  check_form(INT64_MIN, "-9223372036854775808");
  check_form("", "\"\"");
  check_form("héllo €", "\"héllo €\"");
}

TEST_CASE("floats are written as Python's repr, which always reads back as a float") {
  check_form(1.0, "1.0");
  check_form(2.5, "2.5");
  check_form(0.1, "0.1");
  check_form(1e16, "1e+16");
  check_form(1e-7, "1e-07");
  check_form(-0.0, "-0.0");
  check_form(5e-324, "5e-324");
  check_form(1.7976931348623157e308, "1.7976931348623157e+308");
  SUBCASE("every bit survives") {
    for (double d : {0.1 + 0.2, 1.0 / 3.0, 123456789.123456789, -2.2250738585072014e-308}) {
      const Value back = from_json(to_json(d));
      REQUIRE(back.is_float());
      CHECK(bits(back.as_float()) == bits(d));
    }
  }
  SUBCASE("-0.0 keeps its sign") {
    CHECK(std::signbit(from_json("-0.0").as_float()));
    CHECK(from_json("-0").is_int());  // as in Python's json: "-0" is the int 0
  }
}

TEST_CASE("$float: the floats JSON has no number for") {
  check_form(std::numeric_limits<double>::infinity(), R"({"$float":"inf"})");
  check_form(-std::numeric_limits<double>::infinity(), R"({"$float":"-inf"})");
  check_form(std::bit_cast<double>(0x7ff8000000000000ull), R"({"$float":"nan"})");
  check_form(std::bit_cast<double>(0xfff8000000000000ull), R"({"$float":"-nan"})");
  SUBCASE("other NaNs are written as their bits") {
    const double payload = std::bit_cast<double>(0x7ff0000000000123ull);
    CHECK(to_json(payload) == R"({"$float":"0x7ff0000000000123"})");
    CHECK(bits(from_json(to_json(payload)).as_float()) == 0x7ff0000000000123ull);
  }
}

TEST_CASE("strs: escapes, and ensure_ascii") {
  check_form("quote \" backslash \\ slash /", R"("quote \" backslash \\ slash /")");
  check_form("\b\f\n\r\t", R"("\b\f\n\r\t")");
  check_form(std::string_view("\x00\x01\x1f\x7f", 4), R"("\u0000\u0001\u001f)"
                                                      "\x7f\"");
  const Value text("é€😀");
  CHECK(to_json(text, layout(-1, true)) == R"("\u00e9\u20ac\ud83d\ude00")");
  CHECK(from_json(to_json(text, layout(-1, true))) == text);
}

TEST_CASE("$str: strs with lone surrogates are chunks of text and code points") {
  // Python's '\ud800x\udfff' in UTF-8 with surrogatepass.
  check_form(Value(std::string_view("\xed\xa0\x80x\xed\xbf\xbf")), R"({"$str":[55296,"x",57343]})");
  check_form(Value(std::string_view("ab\xed\xb0\x80")), R"({"$str":["ab",56320]})");
  // Two lone surrogates that would make a pair are still two code points in Python.
  check_form(Value(std::string_view("\xed\xa0\xbd\xed\xb8\x80")), R"({"$str":[55357,56832]})");
  CHECK(from_json(R"({"$str":["a","b",55296,""]})") == Value(std::string_view("ab\xed\xa0\x80")));
  CHECK(from_json(R"({"$str":"plain"})") == Value("plain"));
}

TEST_CASE("$int: ints beyond 64 bits as decimal text, hex beyond 14200 bits") {
  check_form(Value(UINT64_MAX), R"({"$int":"18446744073709551615"})");
  check_form(Value::integer_from_decimal("-9223372036854775809"),
             R"({"$int":"-9223372036854775809"})");
  SUBCASE("2**14000 is decimal, 2**14200 hex") {
    std::vector<std::byte> two_14000(1751, std::byte{0});
    two_14000[1750] = std::byte{1};  // 2**14000 in little-endian two's complement
    const Value decimal = Value::integer_from_bytes(two_14000);
    const std::string decimal_json = to_json(decimal);
    CHECK(decimal_json == R"({"$int":")" + decimal.int_to_decimal() + "\"}");
    CHECK(decimal.int_to_decimal().size() == 4215);
    CHECK(from_json(decimal_json) == decimal);
    std::vector<std::byte> two_14200(1776, std::byte{0});
    two_14200[1775] = std::byte{1};
    const Value hex = Value::integer_from_bytes(two_14200);
    CHECK(to_json(hex) == R"({"$int":"0x1)" + std::string(3550, '0') + "\"}");
    CHECK(from_json(to_json(hex)) == hex);
  }
  SUBCASE("negative hex") {
    std::vector<std::byte> minus(2000, std::byte{0});
    minus[0] = std::byte{0x01};
    minus[1999] = std::byte{0x80};  // 1 - 2**15999 in two's complement
    const Value big = Value::integer_from_bytes(minus);
    const std::string json = to_json(big);
    CHECK(json == R"({"$int":"-0x7)" + std::string(3999, 'f') + "\"}");
    CHECK(from_json(json) == big);
  }
  SUBCASE("an $int that fits in 64 bits reads as a plain int") {
    CHECK(from_json(R"({"$int":"-5"})") == Value(-5));
    CHECK(from_json(R"({"$int":"0x10"})") == Value(16));
    CHECK(from_json(R"({"$int":"-0x0"})") == Value(0));
  }
}

TEST_CASE("plain JSON numbers beyond 64 bits are read exactly, never through a double") {
  CHECK(from_json("9223372036854775808") == Value::integer_from_decimal("9223372036854775808"));
  CHECK(from_json("18446744073709551616") == Value::integer_from_decimal("18446744073709551616"));
  CHECK(from_json("-9223372036854775809") == Value::integer_from_decimal("-9223372036854775809"));
  const std::string digits = "1" + std::string(300, '0') + "1";
  const Value big = from_json(digits);
  REQUIRE(big.is_int());
  CHECK(big.int_to_decimal() == digits);
  CHECK(from_json("[1e2]")[0].is_float());
}

TEST_CASE("$bytes and $bytearray: base64 with padding") {
  check_form(Value::bytes(""), R"({"$bytes":""})");
  check_form(Value::bytes("f"), R"({"$bytes":"Zg=="})");
  check_form(Value::bytes("fo"), R"({"$bytes":"Zm8="})");
  check_form(Value::bytes("foo"), R"({"$bytes":"Zm9v"})");
  check_form(Value::bytes(std::string_view("\x00\xff\xfe", 3)), R"({"$bytes":"AP/+"})");
  check_form(Value::bytearray("foob"), R"({"$bytearray":"Zm9vYg=="})");
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  CHECK(from_json(to_json(Value::bytes(all))).as_bytes_view() == all);
}

TEST_CASE("lists, $tuple, $set, $frozenset") {
  check_form(Value::list(), "[]");
  check_form(Value::list({1, Value::list({2, Value::list()})}), "[1,[2,[]]]");
  check_form(Value::tuple(), R"({"$tuple":[]})");
  check_form(Value::tuple({1, "a", Value::tuple({2})}), R"({"$tuple":[1,"a",{"$tuple":[2]}]})");
  check_form(Value::set({3, 1, 2}), R"({"$set":[3,1,2]})");
  check_form(Value::frozenset({"b", "a"}), R"({"$frozenset":["b","a"]})");
  check_form(Value::set({Value::frozenset({1}), Value::tuple({2, 3})}),
             R"({"$set":[{"$frozenset":[1]},{"$tuple":[2,3]}]})");
}

TEST_CASE("dicts: str keys as a JSON object, other keys as [key, value] pairs") {
  check_form(Value::dict(), "{}");
  check_form(Value::dict({{"b", 1}, {"a", Value::list({2})}}), R"({"b":1,"a":[2]})");
  check_form(Value::dict({{1, "one"}, {"two", 2}}), R"({"$dict":[[1,"one"],["two",2]]})");
  check_form(Value::dict({{Value::tuple({1, 2}), Value()}}),
             R"({"$dict":[[{"$tuple":[1,2]},null]]})");
  SUBCASE("insertion order is kept") {
    const Value d = from_json(R"({"z":1,"a":2,"m":3})");
    std::vector<std::string> keys;
    for (Value k : d) keys.emplace_back(k.as_str());
    CHECK(keys == std::vector<std::string>{"z", "a", "m"});
  }
  SUBCASE("a plain object's repeated key keeps the last value, as Python's json does") {
    CHECK(from_json(R"({"a":1,"a":2})") == Value::dict({{"a", 2}}));
  }
  SUBCASE("a $dict body may also be a JSON object") {
    CHECK(from_json(R"({"$dict":{"a":1}})") == Value::dict({{"a", 1}}));
  }
}

TEST_CASE("dict keys that start with '$' get one more '$', so they never look like tags") {
  check_form(Value::dict({{"$tuple", 1}}), R"({"$$tuple":1})");
  check_form(Value::dict({{"$", 1}, {"$$", 2}, {"a$", 3}}), R"({"$$":1,"$$$":2,"a$":3})");
  check_form(Value::dict({{"$ref", Value::dict({{"$id", 7}})}}), R"({"$$ref":{"$$id":7}})");
  const Value back = from_json(R"({"$$tuple":[1]})");
  REQUIRE(back.is_dict());
  CHECK(back["$tuple"] == Value::list({1}));
}

TEST_CASE("$odict: collections.OrderedDict, with its attributes as $state") {
  Value od = Value::dict({{"b", 1}, {"a", 2}});
  od.set_dict_flavor(DictFlavor::ordered_dict);
  check_form(od, R"({"$odict":{"b":1,"a":2}})");
  od.set_dict_state(Value::dict({{"label", "x"}}));
  check_form(od, R"({"$odict":{"b":1,"a":2},"$state":{"label":"x"}})");
  const Value back = from_json(to_json(od));
  CHECK(back.dict_flavor() == DictFlavor::ordered_dict);
  CHECK(back.dict_state() == Value::dict({{"label", "x"}}));
  Value pairs = Value::dict({{1, 2}});
  pairs.set_dict_flavor(DictFlavor::ordered_dict);
  check_form(pairs, R"({"$odict":[[1,2]]})");
}

TEST_CASE("$global: [module, qualname]") {
  check_form(Value::global("collections", "OrderedDict"),
             R"({"$global":["collections","OrderedDict"]})");
  check_form(Value::global("pkg.mod", "Outer.Inner"), R"({"$global":["pkg.mod","Outer.Inner"]})");
}

TEST_CASE("$object: the recipe, fields left out when empty") {
  const Value cls = Value::global("app", "Point");
  Value plain = Value::object(cls, Value::tuple(), ObjectForm::newobj);
  plain.set_object_state(Value::dict({{"x", 1}, {"y", 2}}));
  check_form(plain, R"({"$object":{"form":"newobj","callable":{"$global":["app","Point"]},)"
                    R"("state":{"x":1,"y":2}}})");

  Value full = Value::object(Value::global("app", "Bag"), Value::tuple({1, "a"}),
                             ObjectForm::newobj_ex, Value::dict({{"k", Value()}}));
  full.set_object_state(Value::tuple({Value(), Value::dict({{"slot", 3}})}));
  full.object_append(10);
  full.object_append(Value::list());
  full.object_set_item(1, "one");
  full.object_set_item("two", 2);
  check_form(full, R"({"$object":{"form":"newobj_ex","callable":{"$global":["app","Bag"]},)"
                   R"("args":[1,"a"],"kwargs":{"k":null},"state":{"$tuple":[null,{"slot":3}]},)"
                   R"("listitems":[10,[]],"dictitems":[[1,"one"],["two",2]]}})");

  SUBCASE("every form") {
    for (const auto& [form, name] :
         {std::pair{ObjectForm::reduce, "reduce"}, std::pair{ObjectForm::newobj, "newobj"},
          std::pair{ObjectForm::newobj_ex, "newobj_ex"}, std::pair{ObjectForm::inst, "inst"},
          std::pair{ObjectForm::obj, "obj"},
          std::pair{ObjectForm::reconstructor, "reconstructor"}}) {
      const Value o = Value::object(cls, Value::tuple(), form);
      const std::string json = to_json(o);
      CHECK(json == std::string(R"({"$object":{"form":")") + name +
                        R"(","callable":{"$global":["app","Point"]}}})");
      CHECK(from_json(json).object_form() == form);
    }
  }
  SUBCASE("a reduce with a function and arguments") {
    const Value call =
        Value::object(Value::global("builtins", "complex"), Value::tuple({1.0, 2.0}));
    check_form(call, R"({"$object":{"form":"reduce","callable":{"$global":["builtins","complex"]},)"
                     R"("args":[1.0,2.0]}})");
  }
  SUBCASE("args may also be written as a tagged tuple") {
    const Value o = from_json(
        R"({"$object":{"form":"reduce","callable":{"$global":["m","f"]},"args":{"$tuple":[1]}}})");
    CHECK(o.object_args() == Value::tuple({1}));
  }
}

TEST_CASE("layout: compact, indented, indent 0") {
  const Value v = Value::dict({{"a", Value::list({1, Value::tuple({})})}, {"b", Value::dict()}});
  CHECK(to_json(v) == R"({"a":[1,{"$tuple":[]}],"b":{}})");
  CHECK(to_json(v, layout(2)) ==
        "{\n  \"a\": [\n    1,\n    {\n      \"$tuple\": []\n    }\n  ],\n  \"b\": {}\n}");
  CHECK(to_json(v, layout(0)) == "{\n\"a\": [\n1,\n{\n\"$tuple\": []\n}\n],\n\"b\": {}\n}");
  CHECK(from_json(to_json(v, layout(4))) == v);
  CHECK_THROWS_AS(to_json(v, layout(-2)), ValueError);
}

TEST_CASE("write_json hands the same text over in chunks") {
  Value big = Value::list();
  for (int i = 0; i < 50'000; ++i) big.append(Value::tuple({i, "item"}));
  std::vector<std::string> chunks;
  write_json(big, [&](std::string_view chunk) { chunks.emplace_back(chunk); });
  CHECK(chunks.size() > 3);
  std::string joined;
  for (const auto& c : chunks) {
    CHECK(!c.empty());
    joined += c;
  }
  CHECK(joined == to_json(big));
  SUBCASE("an exception from the sink propagates") {
    CHECK_THROWS_AS(write_json(big, [](std::string_view) { throw std::runtime_error("full"); }),
                    std::runtime_error);
  }
}

TEST_CASE("plain JSON from elsewhere becomes dicts, lists, strs and numbers") {
  const Value v =
      from_json(R"( {"name": "x", "sizes": [1, 2.5, null, true], "nested": {"k": []}} )");
  CHECK(v == Value::dict({{"name", "x"},
                          {"sizes", Value::list({1, 2.5, Value(), true})},
                          {"nested", Value::dict({{"k", Value::list()}})}}));
  CHECK(from_json("\"\\u00e9\\ud83d\\ude00\"") == Value("é😀"));
  CHECK(from_json("  42  ") == Value(42));
}

}  // namespace
}  // namespace picklejar
