// Typed mapping of text, bytes and file system paths, against what CPython pickles.

#include <doctest/doctest.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <picklejar/codec.hpp>

#include "codec_support.hpp"

using picklejar::from_value;
using picklejar::to_value;
using picklejar::Value;
namespace test = picklejar::test;

TEST_CASE("codec: std::string is str, UTF-8 checked") {
  const auto py = test::cpython(
      {"'plain'", "'h\\u00e9llo \\u2603 \\U0001f600'", "''", "'\\ud800x'", "b'plain'"});
  test::check_like_cpython(std::string("plain"), py[0], 0);
  test::check_like_cpython(std::string("h\xc3\xa9llo \xe2\x98\x83 \xf0\x9f\x98\x80"), py[1], 0);
  test::check_like_cpython(std::string(), py[2], 0);
  SUBCASE("string_view, const char* and char arrays write the same str") {
    CHECK(to_value(std::string_view("plain")) == *py[0].loaded[4]);
    CHECK(to_value(static_cast<const char*>("plain")) == *py[0].loaded[4]);
    CHECK(to_value("plain") == *py[0].loaded[4]);
    const char buffer[16] = "plain";
    CHECK(to_value(buffer) == *py[0].loaded[4]);
    const char full[5] = {'p', 'l', 'a', 'i', 'n'};
    CHECK(to_value(full) == *py[0].loaded[4]);
  }
  SUBCASE("a lone surrogate comes back as surrogatepass writes it") {
    for (int protocol = 1; protocol < 6; ++protocol) {  // protocol 0 cannot hold it
      CHECK(from_value<std::string>(*py[3].loaded[protocol]) == "\xed\xa0\x80x");
    }
  }
  SUBCASE("text that is not UTF-8 is refused") {
    CHECK(test::to_value_error(std::string("ok\xff")) != "");
    CHECK(test::to_value_error(std::string_view("\xc3")) != "");
    CHECK_THROWS_AS(to_value(std::string("\xc0\x80")), picklejar::CodecError);
  }
  CHECK(test::from_value_error<std::string>(*py[4].loaded[3]) == "expected str, got bytes");
}

TEST_CASE("codec: byte containers are bytes") {
  const auto py = test::cpython(
      {"b'\\x00\\x01\\xffz'", "bytearray(b'\\x00\\x01\\xffz')", "b''", "'\\x00\\x01'", "b'abc'"});
  const std::vector<std::byte> bytes = {std::byte{0}, std::byte{1}, std::byte{0xff},
                                        std::byte{'z'}};
  test::check_like_cpython(bytes, py[0]);
  test::check_like_cpython(std::vector<std::uint8_t>{0, 1, 0xff, 'z'}, py[0]);
  test::check_like_cpython(std::vector<unsigned char>{0, 1, 0xff, 'z'}, py[0]);
  test::check_like_cpython(std::vector<char>{0, 1, '\xff', 'z'}, py[0]);
  test::check_like_cpython(
      std::array<std::byte, 4>{std::byte{0}, std::byte{1}, std::byte{0xff}, std::byte{'z'}}, py[0]);
  test::check_like_cpython(std::array<std::uint8_t, 4>{0, 1, 0xff, 'z'}, py[0]);
  test::check_like_cpython(std::vector<std::byte>{}, py[2]);
  SUBCASE("bytearray is accepted back") {
    for (const auto& loaded : py[1].loaded) {
      CHECK(loaded->is_bytearray());
      CHECK(from_value<std::vector<std::byte>>(*loaded) == bytes);
      CHECK(from_value<std::array<std::uint8_t, 4>>(*loaded) ==
            std::array<std::uint8_t, 4>{0, 1, 0xff, 'z'});
    }
  }
  SUBCASE("std::array checks the length; str is not bytes") {
    CHECK(test::from_value_error<std::array<std::byte, 16>>(*py[4].loaded[3]) ==
          "expected 16 bytes, got 3");
    CHECK(test::from_value_error<std::vector<std::uint8_t>>(*py[3].loaded[3]) ==
          "expected bytes or bytearray, got str");
  }
  SUBCASE("other element types are lists of ints") {
    CHECK(to_value(std::vector<std::int8_t>{1, -1}) == Value::list({1, -1}));
  }
}

TEST_CASE("codec: std::filesystem::path is str, non-UTF-8 bytes as os.fsdecode() escapes them") {
  const auto py = test::cpython({
      "'/tmp/a b/c.txt'",
      "os.fsdecode(b'/tmp/\\xff\\xe2\\x82x\\xed\\xa0\\x80\\xc0\\xaf\\xf4\\x90\\x80\\x80')",
      "pathlib.PurePosixPath('/usr', 'lib/x')",
      "pathlib.Path('rel/x')",
      "b'/raw/\\xff'",
      "pathlib.PurePath('/a') / '/b' / 'c'",
      "'\\ud800'",
      "pathlib.PureWindowsPath('c:/x')",
  });
  test::check_like_cpython(std::filesystem::path("/tmp/a b/c.txt"), py[0], 0);
  SUBCASE("bytes that are not UTF-8 become U+DC80..U+DCFF and come back") {
    const std::filesystem::path raw("/tmp/\xff\xe2\x82x\xed\xa0\x80\xc0\xaf\xf4\x90\x80\x80");
    test::check_like_cpython(raw, py[1], 1);  // protocol 0 cannot hold surrogates
  }
  SUBCASE("pathlib objects and bytes are read as paths") {
    for (int protocol = 0; protocol < 6; ++protocol) {
      CAPTURE(protocol);
      CHECK(from_value<std::filesystem::path>(*py[2].loaded[protocol]) == "/usr/lib/x");
      CHECK(from_value<std::filesystem::path>(*py[3].loaded[protocol]) == "rel/x");
      CHECK(from_value<std::filesystem::path>(*py[5].loaded[protocol]) == py[5].str);
    }
    CHECK(from_value<std::filesystem::path>(*py[4].loaded[3]) == "/raw/\xff");
  }
  SUBCASE("what os.fsencode() refuses, and Windows paths, are refused") {
    CHECK(test::from_value_error<std::filesystem::path>(*py[6].loaded[3]) ==
          "path contains the lone surrogate U+D800, which os.fsencode() refuses");
    CHECK(test::from_value_error<std::filesystem::path>(*py[7].loaded[3]) ==
          "expected str, bytes or pathlib.PurePosixPath, got pathlib.PureWindowsPath");
  }
}
