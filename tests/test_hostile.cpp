// Hostile input, part 1: malformed pickles. Each must fail with the right DecodeError (code,
// byte offset, opcode) and never crash, leak or return a value CPython would refuse. The
// denial-of-service shapes are in test_hostile_dos.cpp.

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include <picklejar/pickle.hpp>

#include "decoder_support.hpp"
#include "pickle/opcodes.hpp"
#include "python.hpp"

using namespace picklejar::test::literals;
using picklejar::DecodeErrc;
using picklejar::DecodeError;
using picklejar::DecodeOptions;
using picklejar::TrailingData;
namespace test = picklejar::test;

// Pickles are written as Python bytes literals: R"(K\x01.)"_py is b'K\x01.'.

namespace {

// Valid pickles CPython writes, at protocols 0-5, of values that use most opcode families.
const std::vector<test::PyDump>& valid_pickles() {
  static const auto dumps = test::python_dumps(R"([
      [None, True, False, 0, 255, 65535, -1, 2**31, 2**100, -2**2100, 1.5, float('nan')],
      ['', 'abc', 'é\ud800😀' * 3, b'', b'\x00\xff' * 200, bytearray(b'xy'), 'x' * 300],
      {'a': (1, 2, 3), 'b': {4, 5}, 'c': frozenset({6}), (7,): [(), (8, 9)]},
      (lambda s: [s, s, {'k': s}])([1, 2]),
      (lambda l: (l.append(l), l)[1])([]),
      [__import__('pjtestmod').Point(1, 2), __import__('pjtestmod').Widget('w', 3)],
      [__import__('pjtestmod').KwOnly(key=5), __import__('collections').OrderedDict(a=1)],
      [str(i) for i in range(300)],
  ])");
  return dumps;
}

// Decodes, requiring success or a DecodeError; anything else (a low-level exception escaping,
// a TypeError from the value layer) fails the test.
std::optional<DecodeErrc> decode_outcome(const std::string& pickle) {
  try {
    picklejar::loads(pickle);
    return std::nullopt;
  } catch (const DecodeError& e) {
    return e.code();
  }
}

}  // namespace

TEST_CASE("hostile: every truncation of a valid pickle is DecodeErrc::truncated") {
  std::size_t prefixes = 0;
  for (const auto& d : valid_pickles()) {
    REQUIRE_NOTHROW(picklejar::loads(d.pickle));
    for (std::size_t n = 0; n < d.pickle.size(); ++n, ++prefixes) {
      const auto e = test::decode_error(d.pickle.substr(0, n));
      if (!e || e->code() != DecodeErrc::truncated) {
        FAIL_CHECK("protocol " << d.protocol << ", prefix of " << n << " bytes of "
                               << d.repr.substr(0, 60) << ": "
                               << (e ? e->what() : "decoded without error"));
      }
    }
  }
  CHECK(prefixes > 20'000);
}

TEST_CASE("hostile: valid pickles with one byte changed decode or fail cleanly") {
  const char replacements[] = {'\x00', '\xff', '(', '.', 'h', 'e', '\x95', '\x8e'};
  std::size_t failures = 0;
  for (const auto& d : valid_pickles()) {
    for (std::size_t i = 0; i < d.pickle.size(); ++i) {
      for (char r : replacements) {
        std::string mutated = d.pickle;
        mutated[i] = r;
        INFO("protocol " << d.protocol << ", byte " << i << " := " << int(r));
        failures += decode_outcome(mutated).has_value();
      }
    }
  }
  CHECK(failures > 0);
}

TEST_CASE("hostile: bytes that are not opcodes") {
  std::vector<std::string> pickles;
  for (int b = 0; b < 256; ++b) {
    if (picklejar::pickle::opcode_info(static_cast<std::uint8_t>(b)) != nullptr) continue;
    const std::string p = "N" + std::string(1, static_cast<char>(b)) + ".";
    pickles.push_back(p);
    const auto e = test::decode_error(p);
    REQUIRE(e);
    CHECK(e->code() == DecodeErrc::unknown_opcode);
    CHECK(e->position()->offset == 1);
    CHECK(e->position()->opcode == b);
  }
  CHECK(pickles.size() == 256 - 68);
  test::check_like_cpython(pickles);
  const auto e = test::decode_error(R"(\x80\x02N\xff.)"_py);
  CHECK(std::string(e->what()) ==
        "pickle decode error at offset 3 (opcode 0xff <unknown>): invalid load key, '\\xff'");
}

TEST_CASE("hostile: stack underflow and misplaced MARKs") {
  struct Case {
    std::string pickle;
    DecodeErrc code;
    std::uint64_t offset;
  };
  const std::vector<Case> cases = {
      {R"(0)"_py, DecodeErrc::stack_underflow, 0},
      {R"(K\x01K\x02(\x86.)"_py, DecodeErrc::stack_underflow, 5},
      {R"(K\x01(\x85.)"_py, DecodeErrc::stack_underflow, 3},
      {R"(K\x01(2.)"_py, DecodeErrc::stack_underflow, 3},
      {R"(K\x01(R.)"_py, DecodeErrc::stack_underflow, 3},
      {R"(K\x01(.)"_py, DecodeErrc::stack_underflow, 3},
      {R"(K\x01t.)"_py, DecodeErrc::mark_missing, 2},
      {R"(K\x011.)"_py, DecodeErrc::mark_missing, 2},
      {R"(]K\x01e.)"_py, DecodeErrc::mark_missing, 3},
      {R"(((e.)"_py, DecodeErrc::stack_underflow, 2},  // APPENDS needs a list below the MARK
      {R"((K\x01(q\x00.)"_py, DecodeErrc::stack_underflow, 4},  // PUT of a MARK
      {R"(\x80\x04(\x94.)"_py, DecodeErrc::stack_underflow, 3},
      {R"((o.)"_py, DecodeErrc::stack_underflow, 1},
      {R"(X\x01\x00\x00\x00a(\x93.)"_py, DecodeErrc::stack_underflow, 7},
  };
  std::vector<std::string> pickles;
  for (const auto& c : cases) {
    pickles.push_back(c.pickle);
    INFO(test::hex(c.pickle));
    const auto e = test::decode_error(c.pickle);
    REQUIRE(e);
    CHECK(e->code() == c.code);
    CHECK(e->position()->offset == c.offset);
    CHECK(e->position()->opcode == static_cast<unsigned char>(c.pickle[c.offset]));
  }
  test::check_like_cpython(pickles);
  const auto e = test::decode_error(R"(K\x01K\x02(\x86.)"_py);
  CHECK(std::string(e->what()) ==
        "pickle decode error at offset 5 (opcode 0x86 TUPLE2): unpickling stack underflow (a "
        "MARK is on top of the stack)");
}

TEST_CASE("hostile: DICT and SETITEMS with an odd number of items") {
  const std::vector<std::string> pickles = {R"((K\x01d.)"_py, R"((K\x01K\x02K\x03d.)"_py,
                                            R"(}(K\x01u.)"_py, R"(}(K\x01K\x02K\x03u.)"_py};
  test::check_like_cpython(pickles);
  for (const auto& p : pickles) {
    const auto e = test::decode_error(p);
    REQUIRE(e);
    CHECK(e->code() == DecodeErrc::odd_items);
    CHECK(e->position()->offset == p.size() - 2);
  }
}

TEST_CASE("hostile: container opcodes aimed at the wrong kind of value") {
  struct Target {
    const char* name;
    std::string pickle;
  };
  const std::vector<Target> targets = {
      {"int", R"(K\x01)"_py},
      {"None", R"(N)"_py},
      {"str", R"(X\x01\x00\x00\x00a)"_py},
      {"bytes", R"(C\x01a)"_py},
      {"bytearray", R"(\x80\x05\x96\x00\x00\x00\x00\x00\x00\x00\x00)"_py},
      {"tuple", R"(K\x01\x85)"_py},
      {"list", R"(])"_py},
      {"dict", R"(})"_py},
      {"set", R"(\x80\x04\x8f)"_py},
      {"frozenset", R"(\x80\x04(\x91)"_py},
      {"global", R"(cbuiltins\nrange\n)"_py},
  };
  struct Operation {
    const char* name;
    std::string pickle;
    const char* accepts;  // the target kind it applies to
  };
  const std::vector<Operation> operations = {
      {"APPEND", R"(K\x07a)"_py, "list"},       {"APPENDS", R"((K\x07e)"_py, "list"},
      {"SETITEM", R"(K\x07K\x08s)"_py, "dict"}, {"SETITEMS", R"((K\x07K\x08u)"_py, "dict"},
      {"ADDITEMS", R"((K\x07\x90)"_py, "set"},  {"BUILD", R"(}b)"_py, "object"},
      {"empty APPENDS", R"((e)"_py, "list"},    {"empty SETITEMS", R"((u)"_py, "dict"},
      {"empty ADDITEMS", R"((\x90)"_py, "set"},
  };
  std::vector<std::string> pickles, stricter;
  for (const auto& t : targets) {
    for (const auto& op : operations) {
      const std::string p = t.pickle + op.pickle + ".";
      pickles.push_back(p);
      // CPython does nothing for an empty slice, whatever the target; it calls
      // bytearray.append/extend, and sets attributes on a class from an empty BUILD state.
      // picklejar refuses them all (docs/DECODING.md).
      const std::string kind = t.name, name = op.name;
      if ((name.starts_with("empty") && kind != op.accepts) ||
          (kind == "bytearray" && (name == "APPEND" || name == "APPENDS")) ||
          (kind == "global" && name == "BUILD")) {
        stricter.push_back(p);
      }
      INFO(op.name << " on " << t.name);
      const auto e = test::decode_error(p);
      if (std::string(op.accepts) == t.name) {
        CHECK_FALSE(e.has_value());
      } else {
        REQUIRE(e);
        CHECK(e->code() == DecodeErrc::wrong_type);
        CHECK(e->position()->offset == p.size() - 2);
      }
    }
  }
  test::check_like_cpython(pickles, {}, "", stricter, DecodeErrc::wrong_type);
}

TEST_CASE("hostile: GET of an index never stored") {
  const std::vector<std::string> pickles = {
      R"(h\x00.)"_py,
      R"(Nq\x01h\x00.)"_py,
      R"(j\xff\xff\xff\xff.)"_py,
      R"(g0\n.)"_py,
      R"(Np18446744073709551615\ng18446744073709551614\n.)"_py,
      R"(\x80\x04N\x94h\x01.)"_py};
  test::check_like_cpython(pickles);
  for (const auto& p : pickles) {
    const auto e = test::decode_error(p);
    REQUIRE(e);
    CHECK(e->code() == DecodeErrc::memo_missing);
  }
}

TEST_CASE("hostile: huge declared lengths fail before anything is allocated") {
  struct Case {
    std::string pickle;
    DecodeErrc code;
  };
  const std::string u8_2_40 = R"(\x00\x00\x00\x00\x00\x01\x00\x00)"_py;
  const std::string u8_2_63 = R"(\x00\x00\x00\x00\x00\x00\x00\x80)"_py;
  const std::string u8_max = R"(\xff\xff\xff\xff\xff\xff\xff\xff)"_py;
  std::vector<Case> cases;
  for (const std::string op :
       {"\x8e", "\x8d", "\x96", "\x95"}) {  // BINBYTES8 BINUNICODE8 BYTEARRAY8 FRAME
    for (const auto& length : {u8_2_40, u8_2_63, u8_max}) {
      cases.push_back({"\x80\x05" + op + length + "abc.", DecodeErrc::truncated});
    }
  }
  cases.push_back({R"(B\xff\xff\xff\xffabc.)"_py, DecodeErrc::truncated});
  cases.push_back({R"(X\xff\xff\xff\xffabc.)"_py, DecodeErrc::truncated});
  cases.push_back({R"(T\xff\xff\xff\x7fabc.)"_py, DecodeErrc::truncated});
  cases.push_back({R"(T\xff\xff\xff\xffabc.)"_py, DecodeErrc::bad_argument});  // negative
  cases.push_back({R"(T\x00\x00\x00\x80abc.)"_py, DecodeErrc::bad_argument});
  cases.push_back({R"(\x8b\xff\xff\xff\x7fabc.)"_py, DecodeErrc::truncated});
  cases.push_back({R"(\x8b\xff\xff\xff\xffabc.)"_py, DecodeErrc::bad_argument});  // negative
  cases.push_back({R"(\x8a\xffabc.)"_py, DecodeErrc::truncated});
  cases.push_back({R"(C\xffabc.)"_py, DecodeErrc::truncated});
  cases.push_back({R"(U\xffabc.)"_py, DecodeErrc::truncated});
  cases.push_back({R"(\x8c\xffabc.)"_py, DecodeErrc::truncated});
  for (const auto& c : cases) {
    INFO(test::hex(c.pickle));
    const auto e = test::decode_error(c.pickle);
    REQUIRE(e);
    CHECK(e->code() == c.code);
    const auto opcode_at = c.pickle.rfind("\x80\x05", 0) == 0 ? 2u : 0u;
    CHECK(e->position()->offset == opcode_at);
    CHECK(e->position()->opcode == static_cast<unsigned char>(c.pickle[opcode_at]));
  }
  const auto e = test::decode_error("\x80\x05\x8e" + u8_2_63 + "abc.");
  CHECK(std::string(e->what()) ==
        "pickle decode error at offset 2 (opcode 0x8e BINBYTES8): pickle data was truncated: "
        "bytes payload declares 9223372036854775808 bytes, 4 remain");
}

TEST_CASE("hostile: PROTO above 5, a missing STOP, bytes after STOP") {
  SUBCASE("PROTO 6") {
    for (const auto& [p, offset] :
         {std::pair{R"(\x80\x06.)"_py, 0u}, std::pair{R"(\x80\x05N\x80\xff.)"_py, 3u}}) {
      const auto e = test::decode_error(p);
      REQUIRE(e);
      CHECK(e->code() == DecodeErrc::unsupported_protocol);
      CHECK(e->position()->offset == offset);
      CHECK(e->position()->opcode == 0x80);
    }
    test::check_like_cpython({R"(\x80\x06.)"_py, R"(\x80\x05N\x80\xff.)"_py});
  }
  SUBCASE("no STOP") {
    for (const auto& p : {""_py, R"(N)"_py, R"(\x80\x04\x95\x01\x00\x00\x00\x00\x00\x00\x00N)"_py,
                          R"((lp0\nI1\na)"_py}) {
      const auto e = test::decode_error(p);
      REQUIRE(e);
      CHECK(e->code() == DecodeErrc::truncated);
      CHECK(e->position()->offset == p.size());
      CHECK(e->position()->opcode == -1);
    }
  }
  SUBCASE("bytes after STOP") {
    const std::string p = R"(\x80\x04N.\x80\x04N.)"_py;
    const auto e = test::decode_error(p);
    REQUIRE(e);
    CHECK(e->code() == DecodeErrc::trailing_data);
    CHECK(e->position()->offset == 4);
    DecodeOptions ignore;
    ignore.trailing_data = TrailingData::ignore;
    CHECK(picklejar::loads(p, ignore).is_none());
  }
}
