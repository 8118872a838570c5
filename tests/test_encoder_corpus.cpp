// dumps() against CPython's own bytes: every pickle of the CPython-made corpus
// (tests/gen/make_corpus.py, protocols 0-5) decodes and re-encodes to exactly the same bytes,
// through each of the three sinks.

#include <doctest/doctest.h>

#include <cstddef>
#include <set>
#include <span>
#include <string>
#include <vector>

#include <picklejar/pickle.hpp>

#include "corpus.hpp"
#include "encoder_support.hpp"

using picklejar::EncodeOptions;
using picklejar::Value;
namespace test = picklejar::test;

namespace {

EncodeOptions at(int protocol) {
  EncodeOptions options;
  options.protocol = protocol;
  return options;
}

std::string text_of(const std::vector<std::byte>& bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

}  // namespace

TEST_CASE("encoder corpus: dumps(loads(p), N) is CPython's p at every protocol") {
  std::set<int> protocols;
  int cases = 0;
  for (const auto& c : test::corpus()) {
    INFO(c.name, ".p", c.protocol, ".pkl");
    const Value value = picklejar::loads(c.pickle);
    const std::string ours = picklejar::dumps(value, at(c.protocol));
    CHECK_MESSAGE(ours == c.pickle, test::first_difference(ours, c.pickle));
    protocols.insert(c.protocol);
    ++cases;
  }
  CHECK(protocols == std::set<int>{0, 1, 2, 3, 4, 5});
  CHECK(cases > 500);  // the whole corpus was there
}

TEST_CASE("encoder corpus: the string, vector and writer sinks write the same bytes") {
  for (const auto& c : test::corpus()) {
    INFO(c.name, ".p", c.protocol, ".pkl");
    const Value value = picklejar::loads(c.pickle);

    SUBCASE("dump appends to a string") {
      std::string out = "prefix";
      picklejar::dump(value, out, at(c.protocol));
      CHECK(out.substr(0, 6) == "prefix");
      const std::string ours = out.substr(6);
      CHECK_MESSAGE(ours == c.pickle, test::first_difference(ours, c.pickle));
    }
    SUBCASE("dump appends to a byte vector") {
      std::vector<std::byte> out = {std::byte{0xAB}};
      picklejar::dump(value, out, at(c.protocol));
      REQUIRE(!out.empty());
      CHECK(out.front() == std::byte{0xAB});
      const std::string ours = text_of(out).substr(1);
      CHECK_MESSAGE(ours == c.pickle, test::first_difference(ours, c.pickle));
    }
    SUBCASE("dump hands the pickle to a writer in non-empty pieces") {
      std::string ours;
      std::size_t pieces = 0, empty_pieces = 0;
      picklejar::dump(
          value,
          [&](std::span<const std::byte> piece) {
            ++pieces;
            if (piece.empty()) ++empty_pieces;
            ours.append(reinterpret_cast<const char*>(piece.data()), piece.size());
          },
          at(c.protocol));
      CHECK_MESSAGE(ours == c.pickle, test::first_difference(ours, c.pickle));
      CHECK(pieces >= 1);
      CHECK(empty_pieces == 0);
    }
  }
}

// The writer gets the pickle frame by frame: a pickle of several 64 KiB frames arrives in
// several pieces, each ending where CPython's FRAME opcodes (or a large unframed payload) put a
// boundary, and a big payload is handed over from the value's own memory.
TEST_CASE("encoder corpus: the writer sink gets large pickles in pieces") {
  std::vector<Value> items;
  for (int i = 0; i < 20'000; ++i)
    items.emplace_back(std::string(8, static_cast<char>('a' + i % 26)));
  const Value many = Value::list(std::move(items));
  const Value blob = Value::bytes(std::string(1 << 20, 'x'));
  const Value both = Value::list({many, blob});
  for (int protocol : {0, 1, 2, 3, 4, 5}) {
    INFO("protocol ", protocol);
    const std::string whole = picklejar::dumps(both, at(protocol));
    std::string joined;
    std::vector<std::size_t> sizes;
    bool saw_blob_memory = false;
    const auto blob_bytes = blob.as_bytes();
    picklejar::dump(
        both,
        [&](std::span<const std::byte> piece) {
          sizes.push_back(piece.size());
          if (piece.data() == blob_bytes.data()) saw_blob_memory = true;
          joined.append(reinterpret_cast<const char*>(piece.data()), piece.size());
        },
        at(protocol));
    CHECK_MESSAGE(joined == whole, test::first_difference(joined, whole));
    CHECK(sizes.size() > 3);
    // At protocol 3+ the 1 MiB payload goes out as one BINBYTES straight from the value.
    if (protocol >= 3) CHECK(saw_blob_memory);
  }
}

// Large payloads are appended to a string or vector by the container itself (no zero-filled
// room first); with several of them between small items, both sinks still hold exactly what the
// writer gets, after what they held before, and the pickle loads back equal.
TEST_CASE("encoder corpus: string and vector sinks take several large payloads in a row") {
  std::vector<Value> items;
  for (int i = 0; i < 12; ++i) {
    items.emplace_back(Value::bytes(std::string((64 << 10) + i * 40'000, static_cast<char>(i))));
    items.emplace_back(i);
    items.emplace_back(std::string(70'000 + i, 'a' + i));  // a large str, too
  }
  const Value value = Value::list(std::move(items));
  for (int protocol : {0, 1, 2, 3, 4, 5}) {
    INFO("protocol ", protocol);
    std::string from_writer;
    picklejar::dump(
        value,
        [&](std::span<const std::byte> piece) {
          from_writer.append(reinterpret_cast<const char*>(piece.data()), piece.size());
        },
        at(protocol));
    std::string in_string = "prefix";
    picklejar::dump(value, in_string, at(protocol));
    std::vector<std::byte> in_vector = {std::byte{0xAB}, std::byte{0xCD}};
    picklejar::dump(value, in_vector, at(protocol));
    CHECK(in_string.size() == from_writer.size() + 6);
    CHECK_MESSAGE(in_string.substr(6) == from_writer,
                  test::first_difference(in_string.substr(6), from_writer));
    CHECK(text_of(in_vector).substr(0, 2) == "\xAB\xCD");
    CHECK_MESSAGE(text_of(in_vector).substr(2) == from_writer,
                  test::first_difference(text_of(in_vector).substr(2), from_writer));
    CHECK(picklejar::loads(from_writer) == value);
  }
}
