// Decoder: the fast paths (UTF-8 validated 16 bytes at a time, runs of small-int opcodes read
// in one loop, one probe per dict insert, slots copied field by field into the memo) accept
// and refuse exactly what the plain paths do, with the same errors and offsets. Expected
// values come from CPython, which loads the same bytes (decoder_support.hpp).

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <picklejar/pickle.hpp>

#include "decoder_support.hpp"

using namespace picklejar::test::literals;
using picklejar::DecodeErrc;
namespace test = picklejar::test;

namespace {

// SHORT_BINUNICODE or BINUNICODE of `text`, then STOP.
std::string str_pickle(const std::string& text) {
  std::string p;
  if (text.size() < 256) {
    p = "\x8c" + std::string(1, static_cast<char>(text.size()));
  } else {
    p = "X";
    for (int i = 0; i < 4; ++i) p.push_back(static_cast<char>((text.size() >> (8 * i)) & 0xff));
  }
  return p + text + ".";
}

// The byte offset a bad_utf8 error names ("... in position 5"), or -1.
long error_position(const std::string& message) {
  const std::string marker = "in position ";
  const auto at = message.find(marker);
  if (at == std::string::npos) return -1;
  return std::stol(message.substr(at + marker.size()));
}

}  // namespace

TEST_CASE("decoder: invalid UTF-8 at every offset of a 16-byte block, as CPython finds it") {
  // Each is wrong where it stands (the ASCII 'x' or the end that follows cuts a sequence short),
  // at the byte offset given within it.
  const std::vector<std::pair<std::string, std::size_t>> wrong = {
      {"\x80", 0},              // lone continuation
      {"\xbf", 0},              // lone continuation
      {"\xc0\x80", 0},          // overlong 2-byte NUL
      {"\xc1\xbf", 0},          // overlong 2-byte
      {"\xe0\x80\x80", 0},      // overlong 3-byte
      {"\xe0\x9f\xbf", 0},      // overlong 3-byte, just below U+0800
      {"\xf0\x80\x80\x80", 0},  // overlong 4-byte
      {"\xf0\x8f\xbf\xbf", 0},  // overlong 4-byte, just below U+10000
      {"\xf4\x90\x80\x80", 0},  // above U+10FFFF
      {"\xf5\x80\x80\x80", 0},  // lead byte that is never valid
      {"\xff", 0},              // never valid
      {"\xfe", 0},              // never valid
      {"\xc3", 0},              // 2-byte sequence cut short
      {"\xe2\x82", 0},          // 3-byte sequence cut short
      {"\xf0\x9f\x98", 0},      // 4-byte sequence cut short
      {"\xc3\xa9\xa9", 2},      // one continuation too many
      {"\xe2\x82\xac\x80", 3},  // one continuation too many
  };
  // Valid, and on the edge of what the tables allow.
  const std::vector<std::string> right = {
      "\xed\xa0\x80",      // lone surrogate U+D800 (surrogatepass)
      "\xed\xbf\xbf",      // lone surrogate U+DFFF
      "\xed\x9f\xbf",      // U+D7FF
      "\xee\x80\x80",      // U+E000
      "\xc2\x80",          // U+0080
      "\xe0\xa0\x80",      // U+0800
      "\xef\xbf\xbf",      // U+FFFF
      "\xf0\x90\x80\x80",  // U+10000
      "\xf4\x8f\xbf\xbf",  // U+10FFFF
  };
  for (const std::string background : {"x", "\xc3\xa9", "\xe6\x97\xa5", "\xf0\x9f\x98\x80"}) {
    std::vector<std::string> pickles;
    std::vector<long> error_at;  // -1: valid
    // Each piece starts at every byte offset from 0 to 40 (rounded to whole background
    // characters), followed by nothing, by ASCII, or by more background.
    auto place = [&](const std::string& piece, long error_in_piece) {
      for (std::size_t before = 0; before <= 40; before += background.size()) {
        std::string prefix;
        while (prefix.size() < before) prefix += background;
        for (const std::string& after :
             std::vector<std::string>{"", "x", "xxxxxxxxxxxxxxxxx", background + background}) {
          pickles.push_back(str_pickle(prefix + piece + after));
          error_at.push_back(
              error_in_piece < 0 ? -1 : static_cast<long>(prefix.size()) + error_in_piece);
        }
      }
    };
    for (const auto& [piece, at] : wrong) place(piece, static_cast<long>(at));
    for (const std::string& piece : right) place(piece, -1);
    INFO("background " << test::hex(background));
    test::check_like_cpython(pickles);
    for (std::size_t i = 0; i < pickles.size(); ++i) {
      INFO(test::hex(pickles[i]));
      const auto error = test::decode_error(pickles[i]);
      if (error_at[i] < 0) {
        CHECK_FALSE(error);
        continue;
      }
      REQUIRE(error);
      CHECK(error->code() == DecodeErrc::bad_utf8);
      CHECK(error_position(error->reason()) == error_at[i]);
      REQUIRE(error->position());
      CHECK(error->position()->offset == 0);  // the str opcode's
    }
  }
}

TEST_CASE("decoder: long str payloads, valid and broken in their last block") {
  std::string text;
  for (int i = 0; i < 300; ++i)
    text += i % 3 == 0 ? "\xe6\x97\xa5" : i % 3 == 1 ? "ab" : "\xf0\x9f\x98\x80";
  std::vector<std::string> pickles = {str_pickle(text)};
  for (std::size_t cut = text.size() - 20; cut < text.size(); ++cut) {
    pickles.push_back(str_pickle(text.substr(0, cut)));  // some cut inside a character
  }
  std::string broken = text;
  broken[broken.size() - 2] = 'z';  // inside the last emoji
  pickles.push_back(str_pickle(broken));
  test::check_like_cpython(pickles);
  CHECK(test::decode_errc(pickles.back()) == DecodeErrc::bad_utf8);
}

TEST_CASE("decoder: runs of small-int opcodes") {
  test::check_like_cpython({
      R"(\x80\x04(K\x01M\x02\x01J\xff\xff\xff\xffK\x00J\x00\x00\x00\x80M\xff\xffl.)"_py,
      R"(\x80\x04]\x94(K\x01K\x02K\x03e.)"_py,
      // A run across the end of a frame: the frame is used up, the rest is read unframed.
      R"(\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00(K\x01K\x02K\x03K\x04l.)"_py,
      // A run followed by the opcodes that end it.
      R"(\x80\x04(K\x01K\x02\x85K\x03\x86t.)"_py,
      // Single ints before the opcodes next to the int ones (I, L, N): no run is entered.
      R"(\x80\x02(K\x01L12345678901234567890L\nK\x02I7\nM\x03\x01N\x86J\x04\x00\x00\x00K\x05l.)"_py,
  });
  // An int whose argument crosses the end of its frame is refused where it starts, as an int
  // outside a run is.
  const auto crossing = test::decode_error(
      R"(\x80\x04\x95\x07\x00\x00\x00\x00\x00\x00\x00(K\x01K\x02M\x03\x00l.)"_py);
  REQUIRE(crossing);
  CHECK(crossing->code() == DecodeErrc::bad_frame);
  REQUIRE(crossing->position());
  CHECK(crossing->position()->offset == 16);
  // Truncated inside a run: the offset is that of the truncated opcode.
  const std::pair<std::string, std::uint64_t> cuts[] = {
      {R"((K\x01K\x02J\x01\x00)"_py, 5}, {R"((K\x01M\x02)"_py, 3}, {R"((K\x01K)"_py, 3}};
  for (const auto& [cut, offset] : cuts) {
    INFO(test::hex(cut));
    const auto error = test::decode_error(cut);
    REQUIRE(error);
    CHECK(error->code() == DecodeErrc::truncated);
    REQUIRE(error->position());
    CHECK(error->position()->offset == offset);
  }
}

TEST_CASE("decoder: memo entries stored, overwritten and read back at once") {
  test::check_like_cpython({
      // PUT then GET right away, for every kind of slot.
      R"(\x80\x04K\x07\x94h\x00\x86.)"_py,
      R"(\x80\x04G?\xf8\x00\x00\x00\x00\x00\x00\x94h\x00\x86.)"_py,
      R"(\x80\x04\x88\x94h\x00\x86.)"_py,
      R"(\x80\x04N\x94h\x00\x86.)"_py,
      R"(\x80\x04\x8c\x01a\x94h\x00h\x00\x87.)"_py,
      R"(\x80\x04]\x94h\x00\x86.)"_py,
      // The same index stored twice: the second value wins.
      R"(K\x01q\x00K\x02q\x00h\x00\x86.)"_py,
      // Indices far apart, stored out of order, then read back.
      R"(K\x07r\x00\x10\x00\x00K\x08q\x00K\x09r\x00\x00\x01\x00j\x00\x10\x00\x00h\x00j\x00\x00\x01\x00\x87.)"_py,
  });
}

TEST_CASE("decoder: dict inserts with equal keys on every growth of the table") {
  // {0: 0, 1: 1, ...} where each new key is followed by the previous key again (and 1.0 / True
  // for 1): the first key object stays, the last value wins, as in CPython.
  std::vector<std::string> pickles;
  for (int n : {1, 3, 4, 5, 8, 9, 16, 17, 33, 64, 100}) {
    std::string p = "}(";
    for (int i = 0; i < n; ++i) {
      p += "K" + std::string(1, static_cast<char>(i)) + "K" + std::string(1, static_cast<char>(i));
      if (i > 0) p += "K" + std::string(1, static_cast<char>(i - 1)) + R"(M\x00\x01)"_py;
      if (i == 1) p += R"(G?\xf0\x00\x00\x00\x00\x00\x00\x88)"_py;  // 1.0: True
    }
    p += "u.";
    pickles.push_back(p);
  }
  test::check_like_cpython(pickles);
}
