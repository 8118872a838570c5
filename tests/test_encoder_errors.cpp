// What dumps() refuses: protocol numbers outside 0-5 (ValueError), and values a protocol
// cannot express (EncodeError naming the path inside the value and the protocol). Where
// CPython has the same limit, python3 confirms it at test time.

#include <doctest/doctest.h>

#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include <picklejar/pickle.hpp>

#include "encoder_support.hpp"

using picklejar::EncodeError;
using picklejar::EncodeOptions;
using picklejar::ObjectForm;
using picklejar::Value;
namespace test = picklejar::test;

namespace {

// The EncodeError message dumps() throws at `protocol`, or "" when it succeeds.
std::string encode_error(const Value& value, int protocol) {
  try {
    (void)test::dumps_at(value, protocol);
  } catch (const EncodeError& e) {
    return e.what();
  }
  return "";
}

Value digits(std::size_t n, bool negative = false) {
  return Value::integer_from_decimal((negative ? "-1" : "1") + std::string(n - 1, '0'));
}

}  // namespace

TEST_CASE("encoder errors: protocols outside 0-5 are a ValueError, and nothing is written") {
  const Value value = Value::list({1, 2});
  for (int protocol : {-1, 6, 100}) {
    INFO("protocol ", protocol);
    const std::string message =
        "pickle protocol " + std::to_string(protocol) + " is not supported (0 to 5)";
    EncodeOptions options;
    options.protocol = protocol;
    CHECK_THROWS_WITH_AS(picklejar::dumps(value, options), message.c_str(), picklejar::ValueError);
    std::string text = "kept";
    CHECK_THROWS_AS(picklejar::dump(value, text, options), picklejar::ValueError);
    CHECK(text == "kept");
    std::vector<std::byte> bytes;
    CHECK_THROWS_AS(picklejar::dump(value, bytes, options), picklejar::ValueError);
    CHECK(bytes.empty());
    int calls = 0;
    CHECK_THROWS_AS(picklejar::dump(
                        value, [&](std::span<const std::byte>) { ++calls; }, options),
                    picklejar::ValueError);
    CHECK(calls == 0);
  }
}

TEST_CASE("encoder errors: ints of more than 4300 digits below protocol 2, as in CPython") {
  // CPython 3.11 cannot write them as protocol 0-1 text either (int max str digits).
  const auto cpython = test::cpython_bytes({"obj = 10**4300", "obj = -10**4299", "obj = 10**4299"});
  for (int protocol = 0; protocol <= 5; ++protocol) {
    INFO("protocol ", protocol);
    CHECK(cpython[0].c[protocol].has_value() == (protocol >= 2));
    REQUIRE(cpython[1].c[protocol].has_value());
    REQUIRE(cpython[2].c[protocol].has_value());
    CHECK(test::dumps_at(digits(4300, true), protocol) == *cpython[1].c[protocol]);
    CHECK(test::dumps_at(digits(4300), protocol) == *cpython[2].c[protocol]);
    if (protocol >= 2) CHECK(test::dumps_at(digits(4301), protocol) == *cpython[0].c[protocol]);
  }
  const std::string why =
      "an int of 4301 digits exceeds CPython's 4300-digit limit for protocol 0-1's decimal "
      "form (use protocol 2+)";
  CHECK(encode_error(digits(4301), 0) == "cannot pickle the value itself with protocol 0: " + why);
  CHECK(encode_error(digits(4301, true), 1) ==
        "cannot pickle the value itself with protocol 1: " + why);
  const Value nested = Value::dict({{"big", Value::list({1, digits(4301)})}});
  CHECK(encode_error(nested, 1) == "cannot pickle ['big'][1] with protocol 1: " + why);
  CHECK(encode_error(nested, 2).empty());
}

TEST_CASE("encoder errors: the path names dict keys, tuple items and object parts") {
  const Value big = digits(5000);
  SUBCASE("a dict key, shown by its repr (shortened)") {
    const Value key = Value::global(
        "m\xc3\xb6"
        "dule",
        std::string(50, 'A'));
    const std::string message = encode_error(Value::dict({{1, 2}, {key, 3}}), 0);
    CHECK(
        message.starts_with("cannot pickle {<global m\xc3\xb6"
                            "dule.AAAA"));
    CHECK(message.find("AAA...} with protocol 0: global 'm\xc3\xb6"
                       "dule.AAAA") != std::string::npos);
  }
  SUBCASE("inside a tuple inside a list") {
    const std::string message =
        encode_error(Value::list({0, Value::tuple({Value(), Value::list({big})})}), 0);
    CHECK(message.starts_with("cannot pickle [1][1][0] with protocol 0: "));
  }
  SUBCASE("a set member (rewritten to a list below protocol 4)") {
    const Value member = Value::global(
        "m\xc3\xb6"
        "dule",
        "x");
    const std::string message = encode_error(Value::list({Value::set({member, 1})}), 1);
    CHECK(
        message.starts_with("cannot pickle [0]{<global m\xc3\xb6"
                            "dule.x>} with protocol 1: "));
  }
  SUBCASE("keys and members too long to print are named by kind, not by repr") {
    // repr() refuses ints over 4300 digits (as CPython's str() does); the EncodeError must
    // still be the one thrown.
    CHECK(encode_error(Value::dict({{big, 1}}), 0)
              .starts_with("cannot pickle {<int>} with protocol 0: an int of 5000 digits"));
    CHECK(encode_error(Value::list({Value::set({big})}), 1)
              .starts_with("cannot pickle [0]{<int>} with protocol 1: an int of 5000 digits"));
    const Value beside = Value::list({Value::dict({{big, 1}}), Value::global("m\xc3\xb6", "x")});
    CHECK(encode_error(beside, 2).starts_with("cannot pickle [1] with protocol 2: global"));
  }
  SUBCASE("an object's state and its arguments") {
    Value object = Value::object(Value::global("pjcodec.state", "Door"), Value::tuple(),
                                 ObjectForm::reconstructor);
    object.set_object_state(Value::dict({{"width", big}}));
    CHECK(encode_error(Value::list({object}), 0)
              .starts_with("cannot pickle [0].state['width'] with protocol 0: "));
    const Value reduce = Value::object(Value::global("builtins", "int"), Value::tuple({big}));
    CHECK(encode_error(reduce, 1).starts_with("cannot pickle .args[0] with protocol 1: "));
  }
}

TEST_CASE("encoder errors: object forms a protocol cannot write") {
  SUBCASE("NEWOBJ with arguments below protocol 2") {
    const Value object = Value::object(Value::global("pjcodec.state", "WithArgs"),
                                       Value::tuple({5}), ObjectForm::newobj);
    const Value value = Value::dict({{"w", object}});
    for (int protocol : {0, 1}) {
      CHECK(encode_error(value, protocol) ==
            "cannot pickle ['w'] with protocol " + std::to_string(protocol) +
                ": an object built with __new__ arguments (NEWOBJ) needs protocol 2 or higher");
    }
    for (int protocol = 2; protocol <= 5; ++protocol) CHECK(encode_error(value, protocol).empty());
  }
  SUBCASE("NEWOBJ below protocol 2 when copyreg._reconstructor cannot rebuild the instance") {
    // pickletester's bad_newobj: an int made by NEWOBJ (int.__new__(int)).
    const Value newobj_int =
        Value::object(Value::global("builtins", "int"), Value::tuple(), ObjectForm::newobj);
    Value both = Value::object(Value::global("pjcodec.state", "Registry"), Value::tuple(),
                               ObjectForm::newobj);
    both.object_append(1);
    both.object_set_item("k", 2);
    Value self =
        Value::object(Value::global("pjcodec.state", "Tags"), Value::tuple(), ObjectForm::newobj);
    self.object_append(Value::list({self}));
    for (int protocol : {0, 1}) {
      const std::string at = " with protocol " + std::to_string(protocol) + ": ";
      CHECK(encode_error(Value::list({newobj_int}), protocol) ==
            "cannot pickle [0]" + at +
                "an instance of builtins.int made by NEWOBJ needs protocol 2 or higher: "
                "copyreg._reconstructor cannot make a built-in class's instance");
      CHECK(encode_error(both, protocol).find("both list and dict items") != std::string::npos);
      CHECK(encode_error(self, protocol).find("contains itself") != std::string::npos);
    }
    for (int protocol = 2; protocol <= 5; ++protocol) {
      for (const Value& v : {newobj_int, both, self}) CHECK(encode_error(v, protocol).empty());
    }
  }
  SUBCASE("NEWOBJ_EX from something that is not a global below protocol 4") {
    const Value factory = Value::object(Value::global("builtins", "type"), Value::tuple({1}));
    const Value object =
        Value::object(factory, Value::tuple(), ObjectForm::newobj_ex, Value::dict({{"a", 1}}));
    for (int protocol = 0; protocol <= 3; ++protocol) {
      CHECK(encode_error(Value::list({object}), protocol) ==
            "cannot pickle [0] with protocol " + std::to_string(protocol) +
                ": an object built with keyword arguments (NEWOBJ_EX) from a class that is not "
                "a global");
    }
    CHECK(encode_error(Value::list({object}), 4).empty());
  }
  SUBCASE("a global with an empty module or name, or whose parent name is empty") {
    // The decoder refuses such a global (CPython cannot import it), so nothing writes one.
    const Value nested = Value::list({Value::global("copy_reg", "._reconstructor")});
    for (int protocol = 0; protocol <= 3; ++protocol) {
      CHECK(encode_error(nested, protocol)
                .ends_with(" with protocol " + std::to_string(protocol) +
                           ": global \"copy_reg.\" has an empty qualified name, which no pickle "
                           "can name"));
    }
    CHECK(encode_error(nested, 4).empty());  // STACK_GLOBAL names it whole
    for (int protocol = 0; protocol <= 5; ++protocol) {
      CHECK_FALSE(encode_error(Value::global("", "x"), protocol).empty());
      CHECK_FALSE(encode_error(Value::global("m", ""), protocol).empty());
    }
  }
  SUBCASE("a global with non-ASCII names below protocol 3") {
    const Value value =
        Value::list({Value::global("m\xc3\xb6"
                                   "dule",
                                   "N\xc3\xa4me")});
    for (int protocol = 0; protocol <= 2; ++protocol) {
      CHECK(encode_error(value, protocol) ==
            "cannot pickle [0] with protocol " + std::to_string(protocol) +
                ": global 'm\xc3\xb6"
                "dule.N\xc3\xa4me' has non-ASCII characters, which "
                "protocols 0-2 cannot name");
    }
    for (int protocol = 3; protocol <= 5; ++protocol) CHECK(encode_error(value, protocol).empty());
  }
}
