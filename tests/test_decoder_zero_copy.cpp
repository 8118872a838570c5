// loads(Buffer): big bytes and bytearray payloads refer into a read-only input instead of being
// copied (a bytearray until its first write).

#include <doctest/doctest.h>

#include <picklejar/buffer.hpp>
#include <picklejar/pickle.hpp>

#include <memory>
#include <string>

#include "python.hpp"

using picklejar::Buffer;
using picklejar::Value;

namespace {
// [b'x' * 5000, b'y' * 10, bytearray(b'z' * 5000)] pickled by CPython at protocol 5.
std::string sample() {
  return picklejar::test::run_python(
      "import pickle, sys\n"
      "sys.stdout.buffer.write(pickle.dumps([b'x' * 5000, b'y' * 10, bytearray(b'z' * 5000)], 5))");
}

bool points_into(std::span<const std::byte> bytes, std::span<const std::byte> buffer) {
  return bytes.data() >= buffer.data() &&
         bytes.data() + bytes.size() <= buffer.data() + buffer.size();
}
}  // namespace

TEST_CASE("loads(Buffer) refers into a read-only input for big bytes") {
  const std::string pickle = sample();
  auto storage = std::make_shared<std::string>(pickle);
  const std::span<const std::byte> memory =
      std::as_bytes(std::span(storage->data(), storage->size()));
  Value value;
  {
    const Buffer input(std::shared_ptr<const void>(storage, storage->data()), memory);
    value = picklejar::loads(input);
  }
  CHECK(value == picklejar::loads(pickle));
  CHECK(points_into(value[0].as_bytes(), memory));        // 5000 bytes: referenced
  CHECK_FALSE(points_into(value[1].as_bytes(), memory));  // 10 bytes: copied
  CHECK(points_into(value[2].as_bytes(), memory));        // a bytearray too, until written
  CHECK(storage.use_count() > 1);  // the value keeps the input alive after the Buffer is gone
  const std::weak_ptr<std::string> watch = storage;
  storage.reset();
  CHECK_FALSE(watch.expired());
  value = Value();
  CHECK(watch.expired());  // ... and lets it go with the last value referring into it
}

TEST_CASE("loads(Buffer): a bytearray payload copies the input at its first write") {
  const std::string pickle = sample();
  auto storage = std::make_shared<const std::string>(pickle);
  const std::span<const std::byte> memory =
      std::as_bytes(std::span(storage->data(), storage->size()));
  const Buffer input(std::shared_ptr<const void>(storage, storage->data()), memory);
  Value value = picklejar::loads(input);
  Value array = value[2];
  REQUIRE(points_into(array.as_bytes(), memory));
  array.mutable_bytes()[0] = std::byte{'Q'};
  CHECK_FALSE(points_into(array.as_bytes(), memory));
  CHECK(array.as_bytes_view() == "Q" + std::string(4999, 'z'));
  CHECK(*storage == pickle);                       // the read-only input is untouched
  CHECK(value[2].as_bytes_view().front() == 'Q');  // one node: every handle sees the write

  Value other = picklejar::loads(input)[2];
  other.clear();
  CHECK(other.empty());
  other.mutable_bytes();  // after clear() there is nothing left to copy
  CHECK(*storage == pickle);
}

TEST_CASE("loads(Buffer) copies from a writable input") {
  const std::string pickle = sample();
  auto storage = std::make_shared<std::string>(pickle);
  const std::span<std::byte> memory =
      std::as_writable_bytes(std::span(storage->data(), storage->size()));
  const Buffer input(std::shared_ptr<void>(storage, storage->data()), memory);
  const Value value = picklejar::loads(input);
  CHECK_FALSE(points_into(value[0].as_bytes(), memory));
  (*storage)[pickle.find('x')] = 'Q';  // the caller may change its buffer: the value must not
  CHECK(value[0].as_bytes_view() == std::string(5000, 'x'));
}
