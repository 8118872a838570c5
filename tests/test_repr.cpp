// repr(): must print exactly what CPython 3.11 prints for built-in values.

#include <doctest/doctest.h>

#include <picklejar/error.hpp>
#include <picklejar/pickle.hpp>
#include <picklejar/repr.hpp>
#include <picklejar/value.hpp>

#include <cstring>
#include <random>
#include <sstream>

#include "python.hpp"
#include "value/utf8.hpp"

using picklejar::Value;

TEST_CASE("float repr matches CPython") {
  const std::string lines = picklejar::test::run_python(R"(
import random, struct
random.seed(11)
values = [0.0, -0.0, 1.0, 1.5, 0.1, 1e16, 1e15, 123456789012345678.0, 1e-4, 1e-5, 0.0001234,
          5e-324, 1.7976931348623157e308, float('inf'), float('-inf'), float('nan'), 2.5e-7,
          1e22, 1e21, 9007199254740993.0, 100.0, 1234.5678]
values += [struct.unpack('<d', random.getrandbits(64).to_bytes(8, 'little'))[0] for _ in range(2000)]
values += [random.uniform(-1e6, 1e6) for _ in range(500)]
for v in values:
    print(struct.pack('>d', v).hex(), repr(v))
)");
  std::istringstream in(lines);
  std::string bits_hex, expected;
  int checked = 0;
  while (in >> bits_hex >> expected) {
    const std::uint64_t bits = std::stoull(bits_hex, nullptr, 16);
    double d;
    std::memcpy(&d, &bits, sizeof d);
    CAPTURE(expected);
    CHECK(picklejar::float_repr(d) == expected);
    ++checked;
  }
  CHECK(checked == 2522);
}

TEST_CASE("str repr escapes exactly the code points CPython escapes") {
  // One character per code point: '1' when repr(chr(c)) prints the character itself.
  const std::string printable = picklejar::test::run_python(R"(
import sys
sys.stdout.write(''.join('1' if repr(chr(c))[1:-1] == chr(c) else '0' for c in range(0x110000)))
)");
  REQUIRE(printable.size() == 0x110000);
  int mismatches = 0;
  for (char32_t c = 0; c < 0x110000; ++c) {
    if (c == '\'' || c == '\\') continue;  // quote and backslash are escaped by rule, not table
    std::string utf8;
    picklejar::detail::append_utf8(utf8, c);
    const bool raw = picklejar::str_repr(utf8) == "'" + utf8 + "'";
    if (raw != (printable[c] == '1') && ++mismatches < 10) {
      FAIL_CHECK("code point " << static_cast<unsigned>(c) << " printed differently");
    }
  }
  CHECK(mismatches == 0);
}

TEST_CASE("repr of built-in values matches CPython") {
  struct Case {
    Value value;
    const char* expected;
  };
  const Case cases[] = {
      {Value(), "None"},
      {Value(true), "True"},
      {Value(-5), "-5"},
      {Value::integer_from_decimal("-100000000000000000000000"), "-100000000000000000000000"},
      {Value("it's"), R"("it's")"},
      {Value("both ' and \""), R"('both \' and "')"},
      {Value("tab\there\nnul\x01\x7f\xc2\x80\xc2\xa0\xed\xa0\x80"),
       R"('tab\there\nnul\x01\x7f\x80\xa0\ud800')"},
      {Value::bytes(std::string_view("a'\x00\xff\\", 5)), R"(b"a'\x00\xff\\")"},
      {Value::bytearray(""), "bytearray(b'')"},
      {Value::list({1, Value::tuple({2}), Value::tuple(), Value::tuple({3, 4})}),
       "[1, (2,), (), (3, 4)]"},
      {Value::dict({{"a", Value::set()}, {1, Value::frozenset()}}), "{'a': set(), 1: frozenset()}"},
      {Value::set({3, 1, 2}), "{3, 1, 2}"},
      {Value::frozenset({"x"}), "frozenset({'x'})"},
      {Value::global("os", "system"), "<global os.system>"},
      {Value::global("evil\x1b[2J", "x\ny"), R"(<global 'evil\x1b[2J.x\ny'>)"},
  };
  for (const Case& c : cases) CHECK(c.value.repr() == c.expected);
  Value od = Value::dict({{"a", 1}});
  od.set_dict_flavor(picklejar::DictFlavor::ordered_dict);
  CHECK(od.repr() == "OrderedDict([('a', 1)])");
  CHECK(fmt::format("{}", Value::list({1.0, "x"})) == "[1.0, 'x']");
}

TEST_CASE("repr refuses ints longer than CPython's 4300-digit limit") {
  const Value huge = Value::integer_from_decimal(std::string(5000, '7'));
  CHECK_THROWS_AS((void)huge.repr(), picklejar::LimitError);
  picklejar::ReprOptions unlimited;
  unlimited.max_int_digits = 0;
  CHECK(picklejar::repr(huge, unlimited) == std::string(5000, '7'));
  CHECK(Value::integer_from_decimal(std::string(4300, '9')).repr().size() == 4300);
}

TEST_CASE("repr of shared objects: Python's while repeats are small, labelled past that") {
  using picklejar::ReprOptions;
  using picklejar::SharedRepr;
  const Value a = Value::list({1, 2});
  const Value twice = Value::list({a, a, Value::dict({{"k", a}})});
  Value cyclic = Value::list({a});
  cyclic.append(cyclic);
  SUBCASE("small repeats print as Python prints them") {
    const std::string out = picklejar::test::run_python(R"(
a = [1, 2]
c = [a]
c.append(c)
print(repr([a, a, {'k': a}]))
print(repr(c))
)");
    CHECK(twice.repr() + "\n" + cyclic.repr() + "\n" == out);
    std::string text;
    CHECK_FALSE(picklejar::append_repr(text, twice));  // false: Python's repr
  }
  SUBCASE("SharedRepr::label: '#N=' at the first appearance, '#N#' after, cycles included") {
    ReprOptions label;
    label.shared = SharedRepr::label;
    CHECK(picklejar::repr(twice, label) == "[#1=[1, 2], #1#, {'k': #1#}]");
    CHECK(picklejar::repr(cyclic, label) == "#1=[[1, 2], #1#]");
    // A short shared str prints in full, a long one gets a label too.
    const Value s("short");
    const Value l(std::string(40, 'x'));
    CHECK(picklejar::repr(Value::tuple({s, s, l, l}), label) ==
          "('short', 'short', #1='" + std::string(40, 'x') + "', #1#)");
    std::string text = "prefix ";
    CHECK(picklejar::append_repr(text, twice, label));
    CHECK(text == "prefix [#1=[1, 2], #1#, {'k': #1#}]");
  }
  SUBCASE("SharedRepr::automatic switches to labels once repeats pass max_repeated_bytes") {
    ReprOptions tight;
    tight.max_repeated_bytes = 5;  // "[1, 2]" printed again is 6 bytes
    CHECK(picklejar::repr(twice, tight) == "[#1=[1, 2], #1#, {'k': #1#}]");
    tight.max_repeated_bytes = 12;  // both repeats fit
    CHECK(picklejar::repr(twice, tight) == "[[1, 2], [1, 2], {'k': [1, 2]}]");
  }
  SUBCASE("equal globals print as one object, whether the value holds one node or several") {
    // Separate GLOBAL opcodes decode to separate nodes; the encoder writes equal globals
    // once and then memo GETs, so a round trip shares them (the fuzzer found the two
    // printing differently: one Python's text, the other labelled).
    const std::string name(40, 'C');
    const Value one = Value::global("mod", name);
    const Value shared = Value::list({one, one, one});
    const Value separate = Value::list(
        {Value::global("mod", name), Value::global("mod", name), Value::global("mod", name)});
    const Value back = picklejar::loads(picklejar::dumps(separate));  // protocol 4
    ReprOptions tight;
    tight.max_repeated_bytes = 60;  // one repeat of the 53-byte text fits, two do not
    const std::string labelled = "[#1=<global mod." + name + ">, #1#, #1#]";
    ReprOptions label;
    label.shared = SharedRepr::label;
    for (const Value* v : {&shared, &separate, &back}) {
      CHECK(picklejar::repr(*v, tight) == labelled);
      CHECK(picklejar::repr(*v, label) == labelled);
    }
    tight.max_repeated_bytes = 110;
    const std::string python =
        "[<global mod." + name + ">, <global mod." + name + ">, <global mod." + name + ">]";
    CHECK(picklejar::repr(separate, tight) == python);
    CHECK(picklejar::repr(back, tight) == python);
  }
  SUBCASE("an exponential DAG prints in linear space by default, in full only on request") {
    Value t = Value::tuple();
    for (int i = 0; i < 100; ++i) t = Value::tuple({t, t});
    const std::string text = fmt::format("{}", t);  // the formatter: bounded too
    CHECK(text.size() < 100 * 16);
    CHECK(text.starts_with("(#1=(#2=("));
    CHECK(text.ends_with(", #2#), #1#)"));
    ReprOptions expand;
    expand.shared = SharedRepr::expand;
    expand.max_bytes = 1 << 16;
    CHECK_THROWS_AS(picklejar::repr(t, expand), picklejar::LimitError);
  }
}

TEST_CASE("repr shows an OrderedDict's instance attributes, which Python's repr leaves out") {
  Value od = Value::dict({{"a", 1}});
  od.set_dict_flavor(picklejar::DictFlavor::ordered_dict);
  od.set_dict_state(Value::dict({{"__setstate__", Value::global("posix", "system")}}));
  CHECK(od.repr() == "<OrderedDict([('a', 1)]) state={'__setstate__': <global posix.system>}>");
  Value empty = Value::dict();
  empty.set_dict_flavor(picklejar::DictFlavor::ordered_dict);
  empty.set_dict_state("x");
  CHECK(empty.repr() == "<OrderedDict() state='x'>");
}
