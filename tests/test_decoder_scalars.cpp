// Decoder: numbers, str, bytes and Python 2 str, in binary and protocol-0 text forms. Expected
// values come from CPython, which loads the same bytes (decoder_support.hpp).

#include <doctest/doctest.h>

#include <bit>
#include <cstdint>
#include <string>
#include <vector>

#include <picklejar/pickle.hpp>
#include <picklejar/repr.hpp>

#include "decoder_support.hpp"

using namespace picklejar::test::literals;
using picklejar::DecodeErrc;
using picklejar::DecodeOptions;
using picklejar::Py2Strings;
namespace test = picklejar::test;

// Pickles are written as Python bytes literals: R"(K\x01.)"_py is b'K\x01.'.

TEST_CASE("decoder: ints and floats CPython writes at every protocol") {
  const auto dumps = test::python_dumps(
      "[0, 1, -1, 255, 256, -256, 65535, 65536, -65536, 2**31 - 1, -2**31, 2**31, -2**31 - 1,"
      " 2**63 - 1, -2**63, 2**63, -2**63 - 1, 2**64, -2**64, 2**2040 - 1, -2**2040,"
      " 2**2047, -2**2047 - 1, 2**2048 * 3, 10**4299, -10**4299, True, False, None,"
      " 0.0, -0.0, 1.5, 1e16, 1e-320, 1.7976931348623157e308, float('inf'), float('-inf'),"
      " float('nan'), 0.1, 2/3]");
  CHECK(dumps.size() >= 6 * 40);
  for (const auto& d : dumps) {
    INFO("protocol " << d.protocol << ": " << d.repr);
    CHECK(picklejar::loads(d.pickle).repr() == d.repr);
  }
}

TEST_CASE("decoder: binary int opcodes") {
  test::check_like_cpython({
      R"(K\x00.)"_py,
      R"(K\xff.)"_py,
      R"(M\x00\x01.)"_py,
      R"(M\xff\xff.)"_py,
      R"(J\x00\x00\x00\x80.)"_py,
      R"(J\xff\xff\xff\x7f.)"_py,
      R"(J\xff\xff\xff\xff.)"_py,
      R"(J\x00\x00\x00\x00.)"_py,
      R"(\x8a\x00.)"_py,  // LONG1 of no bytes is 0
      R"(\x8a\x01\xff.)"_py,
      R"(\x8a\x02\x01\x00.)"_py,
      R"(\x8a\x02\xff\xff.)"_py,  // non-minimal encodings
      R"(\x8a\x08\xff\xff\xff\xff\xff\xff\xff\x7f.)"_py,
      R"(\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x80\xff.)"_py,
      R"(\x8b\x00\x00\x00\x00.)"_py,
      R"(\x8b\x03\x00\x00\x00\x00\x00\x80.)"_py,
      R"(\x8b\x10\x00\x00\x00)"_py + std::string(15, '\xff') + R"(\x7f.)"_py,
      R"(\x8b\x01\x01\x00\x00)"_py + std::string(256, '\x00') + R"(\x80.)"_py,
      R"(\x88.)"_py,
      R"(\x89.)"_py,
      R"(N.)"_py,
  });
}

TEST_CASE("decoder: BINFLOAT keeps the bit pattern") {
  const std::vector<std::uint64_t> patterns = {
      0x3ff8000000000000,  // 1.5
      0x8000000000000000,  // -0.0
      0x7ff0000000000000,  // inf
      0xfff0000000000000,  // -inf
      0x7ff8000000000000,  // nan
      0x7ff8000000000001,  // nan with a payload
      0xfff4000000000abc,  // negative signalling nan with a payload
      0x0000000000000001,  // smallest subnormal
  };
  std::vector<std::string> pickles;
  for (std::uint64_t bits : patterns) {
    std::string p = "G";
    for (int shift = 56; shift >= 0; shift -= 8) p.push_back(static_cast<char>(bits >> shift));
    pickles.push_back(p + ".");
    INFO("bits " << std::hex << bits);
    CHECK(std::bit_cast<std::uint64_t>(picklejar::loads(pickles.back()).as_float()) == bits);
  }
  test::check_like_cpython(pickles);
}

TEST_CASE("decoder: FLOAT text") {
  test::check_like_cpython({
      R"(F1.0\n.)"_py,
      R"(F1e+16\n.)"_py,
      R"(Finf\n.)"_py,
      R"(F-inf\n.)"_py,
      R"(F+inf\n.)"_py,
      R"(Fnan\n.)"_py,
      R"(F-nan\n.)"_py,
      R"(F-0.0\n.)"_py,
      R"(F1e-320\n.)"_py,
      R"(F2.5e-324\n.)"_py,
      R"(F1e-400\n.)"_py,
      R"(F-1e-400\n.)"_py,
      R"(F0.1\n.)"_py,
      R"(F1E5\n.)"_py,
      R"(F+1.5\n.)"_py,
      R"(F1.\n.)"_py,
      R"(F.5\n.)"_py,
      R"(FInf\n.)"_py,
      R"(FNaN\n.)"_py,
      R"(Finfinity\n.)"_py,
      R"(F1.7976931348623157e308\n.)"_py,
      R"(F1.7976931348623159e308\n.)"_py,
      // CPython refuses these too
      R"(F1e500\n.)"_py,
      R"(F-1e500\n.)"_py,
      R"(F\n.)"_py,
      R"(F 1.5\n.)"_py,
      R"(F1.5 \n.)"_py,
      R"(F1_0\n.)"_py,
      R"(F0x1p3\n.)"_py,
      R"(F++1\n.)"_py,
      R"(F+-1\n.)"_py,
      R"(F1.5\r\n.)"_py,
      R"(Fnan(1)\n.)"_py,
      R"(F1.5)"_py,
  });
}

TEST_CASE("decoder: INT and LONG text") {
  test::check_like_cpython(
      {
          R"(I00\n.)"_py,
          R"(I01\n.)"_py,
          R"(I0\n.)"_py,
          R"(I1\n.)"_py,
          R"(I-1\n.)"_py,
          R"(I000\n.)"_py,
          R"(I-00\n.)"_py,
          R"(I2147483647\n.)"_py,
          R"(I-2147483648\n.)"_py,
          R"(I99999999999999999999\n.)"_py,
          R"(I9223372036854775807\n.)"_py,
          R"(I-9223372036854775809\n.)"_py,
          R"(L0\n.)"_py,
          R"(L0L\n.)"_py,
          R"(L-5L\n.)"_py,
          R"(L123\n.)"_py,
          R"(L+5L\n.)"_py,
          R"(L123456789012345678901234567890L\n.)"_py,
          // CPython refuses these too
          R"(I\n.)"_py,
          R"(LL\n.)"_py,
          R"(L12LL\n.)"_py,
          R"(L010L\n.)"_py,
          R"(I1)"_py,
          R"(Ix\n.)"_py,
          "I" + std::string(4301, '9') + "\n.",
      },
      {}, "",
      // CPython's C loader reads INT with strtol (base 0, blanks, underscores) and LONG with
      // int(): docs/DECODING.md lists these as refused.
      {R"(I010\n.)"_py, R"(I1_000\n.)"_py, R"(I0x10\n.)"_py, R"(I 1\n.)"_py, R"(I1 \n.)"_py,
       R"(I+01\n.)"_py, R"(I1\r\n.)"_py, R"(L 5\n.)"_py});
}

TEST_CASE("decoder: INT text +1 and -0 are the numbers, not CPython's bools") {
  // CPython's C loader turns any 3-byte INT line that strtol reads as 0 or 1 into a bool;
  // picklejar keeps bools to the exact "00"/"01" that picklers write (docs/DECODING.md).
  CHECK(test::python_load(R"(I+1\n.)"_py).text == "True");
  CHECK(test::python_load(R"(I-0\n.)"_py).text == "False");
  CHECK(picklejar::loads(R"(I+1\n.)"_py).repr() == "1");
  CHECK(picklejar::loads(R"(I-0\n.)"_py).repr() == "0");
}

TEST_CASE("decoder: str opcodes decode UTF-8 with surrogatepass") {
  const std::vector<std::string> pickles = {
      R"(\x8c\x00.)"_py,
      R"(\x8c\x03abc.)"_py,
      R"(X\x02\x00\x00\x00\xc3\xa9.)"_py,                         // é
      R"(X\x04\x00\x00\x00\xf0\x9f\x98\x80.)"_py,                 // 😀
      R"(\x8c\x03\xed\xa0\x80.)"_py,                              // lone surrogate U+D800
      R"(\x8c\x06\xed\xa0\xbd\xed\xb8\x80.)"_py,                  // two lone surrogates, not a pair
      R"(\x8d\x03\x00\x00\x00\x00\x00\x00\x00\xe2\x82\xac.)"_py,  // €
      R"(\x8c\x04\x00\x0a\x5c\x7f.)"_py,                          // NUL, newline, backslash, DEL
  };
  const std::vector<std::string> invalid = {
      R"(\x8c\x02\xc3\x28.)"_py,          // bad continuation byte
      R"(\x8c\x01\xff.)"_py,              // never valid
      R"(\x8c\x02\xc0\x80.)"_py,          // overlong NUL
      R"(\x8c\x04\xf4\x90\x80\x80.)"_py,  // above U+10FFFF
      R"(\x8c\x02\xe2\x82.)"_py,          // sequence cut short
      R"(X\x01\x00\x00\x00\x80.)"_py,     // lone continuation byte
  };
  auto all = pickles;
  all.insert(all.end(), invalid.begin(), invalid.end());
  test::check_like_cpython(all);
  for (const auto& p : invalid) {
    INFO(test::hex(p));
    CHECK(test::decode_errc(p) == DecodeErrc::bad_utf8);
  }
}

TEST_CASE("decoder: bytes and bytearray opcodes") {
  std::string every_byte;
  for (int b = 0; b < 256; ++b) every_byte.push_back(static_cast<char>(b));
  test::check_like_cpython({
      R"(C\x00.)"_py,
      R"(C\x03abc.)"_py,
      R"(B\x00\x01\x00\x00)"_py + every_byte + ".",
      R"(\x8e\x00\x00\x00\x00\x00\x00\x00\x00.)"_py,
      R"(\x8e\x02\x00\x00\x00\x00\x00\x00\x00\x00\xff.)"_py,
      R"(\x80\x05\x96\x00\x00\x00\x00\x00\x00\x00\x00.)"_py,
      R"(\x80\x05\x96\x00\x01\x00\x00\x00\x00\x00\x00)"_py + every_byte + ".",
  });
}

TEST_CASE("decoder: Python 2 str opcodes under each Py2Strings policy") {
  const std::vector<std::string> pickles = {
      R"(U\x03abc.)"_py,
      R"(T\x03\x00\x00\x00abc.)"_py,
      R"(S'abc'\n.)"_py,
      R"(U\x02\xc3\xa9.)"_py,          // é in UTF-8
      R"(T\x01\x00\x00\x00\xe9.)"_py,  // é in Latin-1
      R"(S'\\xe9\\xff'\n.)"_py,        // Latin-1 through escapes
      R"(U\x03\xed\xa0\x80.)"_py,      // an encoded surrogate: strict UTF-8 refuses it
      R"(U\x01\x80.)"_py,
      R"(U\x00.)"_py,
  };
  struct Policy {
    Py2Strings policy;
    const char* encoding;
  };
  for (const auto& [policy, encoding] :
       {Policy{Py2Strings::ascii, "ASCII"}, Policy{Py2Strings::latin1, "latin1"},
        Policy{Py2Strings::utf8, "utf-8"}, Policy{Py2Strings::bytes, "bytes"}}) {
    SUBCASE(encoding) {
      DecodeOptions options;
      options.py2_strings = policy;
      test::check_like_cpython(
          pickles, options,
          std::string("def load(p): return pickle.loads(p, encoding='") + encoding + "')");
    }
  }
}

TEST_CASE("decoder: STRING quoting and escapes") {
  test::check_like_cpython({
      R"(S''\n.)"_py,
      R"(S""\n.)"_py,
      R"(S'''\n.)"_py,
      R"(S"a'b"\n.)"_py,
      R"(S'a"b'\n.)"_py,
      R"(S'\\n\\t\\r\\\\\\'\\"\\a\\b\\f\\v'\n.)"_py,
      R"(S'\\x41\\x7e\\x00'\n.)"_py,
      R"(S'\\101\\0\\12\\1234'\n.)"_py,
      R"(S'\\q\\8'\n.)"_py,
      R"(S'a\\\\'\n.)"_py,
      // CPython refuses these too
      R"(S'\\'\n.)"_py,
      R"(S'\\x4'\n.)"_py,
      R"(S'\\x4g'\n.)"_py,
      R"(S'\\x'\n.)"_py,
      R"(S'abc"\n.)"_py,
      R"(S'\n.)"_py,
      R"(Sabc\n.)"_py,
      R"(S'abc')"_py,
  });
}

TEST_CASE("decoder: UNICODE is raw-unicode-escape text") {
  test::check_like_cpython({
      R"(Vabc\n.)"_py,
      R"(V\n.)"_py,
      R"(V\xe9\xff\x00\n.)"_py,  // raw bytes are Latin-1 characters
      R"(V\\u20ac\\U0001f600\n.)"_py,
      R"(V\\ud800\n.)"_py,
      R"(V\\udc80x\n.)"_py,               // lone surrogates
      R"(V\\ud83d\\ude00\n.)"_py,         // a surrogate pair stays two code points
      R"(V\\u005c\\u000a\\u0000\n.)"_py,  // how pickle writes backslash, newline and NUL
      R"(V\\x\n.)"_py,
      R"(V\\\n.)"_py,
      R"(Va\\\n.)"_py,        // a backslash not before u/U is literal
      R"(V\\\\u0041\n.)"_py,  // ...and so is the character after it
      R"(V\\\\\\u0041\n.)"_py,
      R"(V\\U0010ffff\n.)"_py,
      // CPython refuses these too
      R"(V\\u12\n.)"_py,
      R"(V\\u12g4\n.)"_py,
      R"(V\\U00110000\n.)"_py,
      R"(V\\UDEADBEEF\n.)"_py,
      R"(Vabc)"_py,
  });
}
