// Decoder options: trailing data after STOP, load_prefix(), and every DecodeLimits field at
// its boundary (the limit itself passes, one below fails with LimitError).

#include <doctest/doctest.h>

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <picklejar/pickle.hpp>

#include "decoder_support.hpp"
#include "python.hpp"

using namespace picklejar::test::literals;
using picklejar::DecodeErrc;
using picklejar::DecodeLimits;
using picklejar::DecodeOptions;
using picklejar::LimitError;
using picklejar::TrailingData;
using picklejar::Value;
namespace test = picklejar::test;

// Pickles are written as Python bytes literals: R"(K\x01.)"_py is b'K\x01.'.

namespace {

std::span<const std::byte> as_bytes(const std::string& s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

// Checks that `pickle` decodes with the limit set to `at` and fails with LimitError (at
// `offset` when given) with the limit set to at - 1.
void check_boundary(const std::string& pickle, std::size_t DecodeLimits::*limit, std::size_t at,
                    std::optional<std::uint64_t> offset = std::nullopt) {
  INFO("pickle " << test::hex(pickle) << ", limit " << at);
  DecodeOptions options;
  options.limits.*limit = at;
  CHECK_NOTHROW(picklejar::loads(pickle, options));
  options.limits.*limit = at - 1;
  const auto e = test::decode_error<LimitError>(pickle, options);
  REQUIRE(e);
  CHECK(e->code() == DecodeErrc::limit_exceeded);
  if (offset) {
    REQUIRE(e->position());
    CHECK(e->position()->offset == *offset);
  }
}

}  // namespace

TEST_CASE("decoder: trailing data after STOP") {
  const std::string two = R"(K\x01.K\x02.)"_py;
  SUBCASE("rejected by default, at the offset where it starts") {
    const auto e = test::decode_error(two);
    REQUIRE(e);
    CHECK(e->code() == DecodeErrc::trailing_data);
    CHECK(e->position()->offset == 3);
    CHECK(e->position()->opcode == -1);
    CHECK(std::string(e->what()).find("3 bytes of trailing data") != std::string::npos);
    CHECK(test::decode_errc(R"(N.\x00)"_py) == DecodeErrc::trailing_data);
  }
  SUBCASE("ignored on request, as pickle.loads does") {
    DecodeOptions options;
    options.trailing_data = TrailingData::ignore;
    test::check_like_cpython({two, R"(N.garbage)"_py, R"(N.\xff\xff)"_py}, options);
  }
  SUBCASE("load_prefix reports what the first pickle used, like Unpickler.load and tell") {
    const std::string stream =
        two + R"(\x80\x04\x95\x09\x00\x00\x00\x00\x00\x00\x00]\x94(K\x03K\x04e.)"_py;
    const std::string expected = test::run_python(
        "import io, pickle\n"
        "f = io.BytesIO(bytes.fromhex('" +
        test::hex(stream) +
        "'))\n"
        "while f.tell() < len(f.getvalue()):\n"
        "    print(repr(pickle.Unpickler(f).load()), f.tell())\n");
    std::string ours;
    for (std::size_t start = 0; start < stream.size();) {
      const auto r = picklejar::load_prefix(as_bytes(stream).subspan(start));
      start += r.consumed;
      ours += r.value.repr() + " " + std::to_string(start) + "\n";
    }
    CHECK(ours == expected);
  }
  SUBCASE("load_prefix still needs a whole first pickle") {
    CHECK_THROWS_AS(picklejar::load_prefix(as_bytes(R"(K\x01)"_py)), picklejar::DecodeError);
  }
}

TEST_CASE("decoder: DecodeLimits::max_input_bytes") {
  const std::string p = R"(K\x01K\x02\x86.)"_py;
  check_boundary(p, &DecodeLimits::max_input_bytes, p.size());
  DecodeOptions options;
  options.limits.max_input_bytes = p.size() - 1;
  const auto e = test::decode_error<LimitError>(p, options);
  REQUIRE(e);
  CHECK_FALSE(e->position().has_value());  // the whole input, not one opcode
  CHECK_THROWS_AS(picklejar::load_prefix(as_bytes(p), options), LimitError);
}

TEST_CASE("decoder: DecodeLimits::max_depth bounds nesting and open MARKs") {
  const auto max_depth = &DecodeLimits::max_depth;
  check_boundary(R"(K\x01\x85\x85\x85.)"_py, max_depth, 3, 4);                   // (((1,),),)
  check_boundary(R"((((ttt.)"_py, max_depth, 3, 2);                              // three MARKs open
  check_boundary(R"(]]]aa.)"_py, max_depth, 3, 4);                               // [[[]]]
  check_boundary(R"(](](]]ee.)"_py, max_depth, 3, 7);                            // [[[], []]]
  check_boundary(R"(}K\x01}K\x02]ss.)"_py, max_depth, 3, 8);                     // {1: {2: []}}
  check_boundary(R"(\x80\x04(K\x01\x85\x85\x91.)"_py, max_depth, 3, 7);          // frozenset of ...
  check_boundary(R"(cbuiltins\nlist\n(K\x01\x85tR.)"_py, max_depth, 3, 20);      // a recipe's args
  check_boundary(R"(cpjtestmod\nEmpty\n)\x81}K\x01]sb.)"_py, max_depth, 3, 24);  // BUILD state
  check_boundary(R"(]]aq\x00(h\x00t.)"_py, max_depth, 3, 8);  // GET brings the depth along
  check_boundary(R"(]]a2\x86.)"_py, max_depth, 3, 4);         // and so does DUP
  SUBCASE("a flat container is not deep, however many items it has (CPython's tuples)") {
    DecodeOptions options;
    options.limits.max_depth = 3;
    for (const auto& d :
         test::python_dumps("[tuple(range(20000)), frozenset(range(20000)), [tuple(range(20000))],"
                            " {'k': tuple(str(i) for i in range(20000))}]")) {
      INFO("protocol " << d.protocol);
      CHECK(picklejar::loads(d.pickle, options).repr() == d.repr);
    }
  }
  SUBCASE("so it bounds the nesting of what CPython writes") {
    for (const auto& d : test::python_dumps("[(lambda n: eval('[' * n + ']' * n))(50)]")) {
      INFO("protocol " << d.protocol);
      DecodeOptions options;
      options.limits.max_depth = 40;
      CHECK(test::decode_error<LimitError>(d.pickle, options).has_value());
      options.limits.max_depth = 200;
      CHECK(picklejar::loads(d.pickle, options).repr() == d.repr);
    }
  }
}

TEST_CASE("decoder: DecodeLimits::max_memo_entries counts distinct indices") {
  check_boundary(R"(Nq\x00q\x01q\x02.)"_py, &DecodeLimits::max_memo_entries, 3, 5);
  check_boundary(R"(\x80\x04N\x94\x94\x94.)"_py, &DecodeLimits::max_memo_entries, 3, 5);
  check_boundary(R"(Np0\np1\np2\n.)"_py, &DecodeLimits::max_memo_entries, 3, 7);
  check_boundary(R"(Nr\x00\x00\x00\x80r\x01\x00\x00\x80.)"_py, &DecodeLimits::max_memo_entries, 2,
                 6);
  // overwriting an index stores nothing new
  check_boundary(R"(Nq\x00q\x00q\x00q\x01.)"_py, &DecodeLimits::max_memo_entries, 2, 7);
}

TEST_CASE("decoder: DecodeLimits::max_container_items applies to every container") {
  const std::vector<std::string> three_items = {
      R"((K\x01K\x02K\x03l.)"_py,
      R"(](K\x01K\x02K\x03e.)"_py,
      R"(]K\x01aK\x02aK\x03a.)"_py,
      R"((K\x01K\x02K\x03t.)"_py,
      R"(K\x01K\x02K\x03\x87.)"_py,
      R"((K\x01K\x01K\x02K\x02K\x03K\x03d.)"_py,
      R"(}(K\x01K\x01K\x02K\x02K\x03K\x03u.)"_py,
      R"(}K\x01K\x01sK\x02K\x02sK\x03K\x03s.)"_py,
      R"(\x80\x04\x8f(K\x01K\x02K\x03\x90.)"_py,
      R"(\x80\x04(K\x01K\x02K\x03\x91.)"_py,
      R"(c__builtin__\nset\n](K\x01K\x02K\x03e\x85R.)"_py,        // set([1, 2, 3])
      R"((cpjtestmod\nPoint\nK\x01K\x02K\x03o.)"_py,              // OBJ args
      R"(\x80\x02cpjtestmod\nTags\n)\x81(K\x01K\x02K\x03e.)"_py,  // an object's list items
      R"(\x80\x02cpjtestmod\nBag\n)\x81}(K\x01K\x01K\x02K\x02K\x03K\x03u.)"_py,
  };
  for (const auto& p : three_items) check_boundary(p, &DecodeLimits::max_container_items, 3);
}

TEST_CASE("decoder: DecodeLimits::max_allocation_bytes applies to every payload") {
  const std::vector<std::string> three_bytes = {
      R"(\x8c\x03abc.)"_py,
      R"(X\x03\x00\x00\x00abc.)"_py,
      R"(\x8d\x03\x00\x00\x00\x00\x00\x00\x00abc.)"_py,
      R"(Vabc\n.)"_py,
      R"(V\\u20ac\n.)"_py,  // one character, three bytes of UTF-8
      R"(C\x03abc.)"_py,
      R"(B\x03\x00\x00\x00abc.)"_py,
      R"(\x8e\x03\x00\x00\x00\x00\x00\x00\x00abc.)"_py,
      R"(\x80\x05\x96\x03\x00\x00\x00\x00\x00\x00\x00abc.)"_py,
      R"(U\x03abc.)"_py,
      R"(T\x03\x00\x00\x00abc.)"_py,
      R"(S'abc'\n.)"_py,
      R"(S'\\x61\\x62\\x63'\n.)"_py,
      R"(\x8b\x03\x00\x00\x00\x01\x02\x03.)"_py,
  };
  for (const auto& p : three_bytes) check_boundary(p, &DecodeLimits::max_allocation_bytes, 3);
  SUBCASE("a Python 2 str as Latin-1 text counts its UTF-8 bytes") {
    DecodeOptions options;
    options.py2_strings = picklejar::Py2Strings::latin1;
    options.limits.max_allocation_bytes = 3;
    CHECK(picklejar::loads(R"(U\x02\xe9a.)"_py, options).as_str() ==
          "\xc3\xa9"
          "a");
    options.limits.max_allocation_bytes = 2;
    CHECK(test::decode_error<LimitError>(R"(U\x02\xe9a.)"_py, options).has_value());
  }
  SUBCASE("and to persistent ids") {
    DecodeOptions options;
    options.persistent_load = [](const Value& pid) { return pid; };
    options.limits.max_allocation_bytes = 3;
    CHECK(picklejar::loads(R"(Pabc\n.)"_py, options).as_str() == "abc");
    options.limits.max_allocation_bytes = 2;
    CHECK(test::decode_error<LimitError>(R"(Pabc\n.)"_py, options).has_value());
  }
}

TEST_CASE("decoder: DecodeLimits::max_objects counts every value made, kept or not") {
  check_boundary(R"(]]]\x87.)"_py, &DecodeLimits::max_objects, 4, 3);
  check_boundary(R"(]0]0]0N.)"_py, &DecodeLimits::max_objects, 3, 4);
  check_boundary(R"(\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x80\x00K\x01\x86.)"_py,
                 &DecodeLimits::max_objects, 2, 13);  // a big int counts, a small one does not
  check_boundary(R"(cbuiltins\nrange\n.)"_py, &DecodeLimits::max_objects, 3);  // 2 str + global
}

TEST_CASE("decoder: DecodeLimits::max_int_digits, CPython's own limit by default") {
  const std::string digits_4300 = "I" + std::string(4300, '7') + "\n.";
  const std::string digits_4301 = "L-" + std::string(4301, '7') + "L\n.";
  CHECK(test::python_load(digits_4300).ok);
  CHECK(test::python_load(digits_4301).text == "ValueError");
  CHECK_NOTHROW(picklejar::loads(digits_4300));
  CHECK(test::decode_error<LimitError>(digits_4301).has_value());
  check_boundary("L-" + std::string(10, '7') + "L\n.", &DecodeLimits::max_int_digits, 10, 0);
}
