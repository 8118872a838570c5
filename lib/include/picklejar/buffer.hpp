#pragma once
// picklejar::Buffer — a contiguous byte range shared with whoever owns it. Protocol-5 pickles may
// carry large bytes/bytearray payloads "out of band": the pickle holds only NEXT_BUFFER opcodes and
// the caller passes the payloads alongside. A Value decoded from such a buffer refers to the
// buffer's memory instead of copying it, and keeps the owner alive.

#include <picklejar/config.hpp>

#include <cstddef>
#include <memory>
#include <span>
#include <string_view>

namespace picklejar {

// Bytes decoded in place (see above): a span of memory and the owner that keeps it alive.
class PICKLEJAR_EXPORT Buffer {
 public:
  // Refers to `bytes`, kept alive by `owner`. A writable buffer decodes to a bytearray (writes
  // through the Value land in the caller's memory, as with a Python writable buffer); a
  // read-only one decodes to bytes.
  Buffer(std::shared_ptr<void> owner, std::span<std::byte> bytes) noexcept
      : owner_(std::move(owner)), data_(bytes.data()), size_(bytes.size()), readonly_(false) {}
  Buffer(std::shared_ptr<const void> owner, std::span<const std::byte> bytes) noexcept
      : owner_(std::const_pointer_cast<void>(std::move(owner))),
        data_(const_cast<std::byte*>(bytes.data())),  // never written: readonly_ guards it
        size_(bytes.size()),
        readonly_(true) {}

  // A read-only buffer owning a copy of `bytes`.
  static Buffer copy_of(std::span<const std::byte> bytes);
  static Buffer copy_of(std::string_view bytes);

  // The bytes, writable or not.
  std::span<const std::byte> bytes() const noexcept { return {data_, size_}; }
  // Only for writable buffers; empty span for read-only ones.
  std::span<std::byte> writable_bytes() const noexcept {
    return readonly_ ? std::span<std::byte>{} : std::span<std::byte>{data_, size_};
  }
  bool readonly() const noexcept { return readonly_; }  // decodes to bytes (else to a bytearray)
  // What keeps the memory alive.
  const std::shared_ptr<void>& owner() const noexcept { return owner_; }

 private:
  std::shared_ptr<void> owner_;
  std::byte* data_;
  std::size_t size_;
  bool readonly_;
};

}  // namespace picklejar
