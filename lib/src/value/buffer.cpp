#include <picklejar/buffer.hpp>

#include <cstring>
#include <vector>

namespace picklejar {

Buffer Buffer::copy_of(std::span<const std::byte> bytes) {
  auto storage = std::make_shared<std::vector<std::byte>>(bytes.begin(), bytes.end());
  std::span<const std::byte> view(storage->data(), storage->size());
  return Buffer(std::shared_ptr<const void>(storage, storage->data()), view);
}

Buffer Buffer::copy_of(std::string_view bytes) {
  return copy_of(std::as_bytes(std::span(bytes.data(), bytes.size())));
}

}  // namespace picklejar
