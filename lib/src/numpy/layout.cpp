// Layouts and assembling an NdArray from its items' bytes (layout.hpp).

#include "layout.hpp"

#include <fmt/format.h>

#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <new>

#include "dtype.hpp"

namespace picklejar::numpy {
namespace {

bool aligned(const std::byte* p, std::size_t alignment) noexcept {
  return reinterpret_cast<std::uintptr_t>(p) % alignment == 0;
}

// Copies `count` units of `unit` bytes, reversing each one's bytes.
void copy_swapped(std::byte* to, const std::byte* from, std::size_t bytes, std::size_t unit) {
  for (std::size_t at = 0; at < bytes; at += unit) {
    std::reverse_copy(from + at, from + at + unit, to + at);
  }
}

// Memory for `bytes` of copied items, aligned for any item. A big copy into fresh memory costs
// mostly page faults, one per 4 KiB page; asking for transparent huge pages (2 MiB) cuts that
// to one per 512 (a 100 MB copy measured 131 -> 56 ms), so big blocks are 2 MiB-aligned and
// advised so. Without THP the advice is a no-op.
std::shared_ptr<std::byte> allocate_items(std::size_t bytes) {
  constexpr std::size_t kHuge = std::size_t{2} << 20;
  if (bytes < 4 * kHuge) {
    return std::shared_ptr<std::byte>(new std::byte[std::max<std::size_t>(bytes, 1)],
                                      std::default_delete<std::byte[]>());
  }
  const std::size_t rounded = (bytes + kHuge - 1) / kHuge * kHuge;
  auto* block = static_cast<std::byte*>(::operator new (rounded, std::align_val_t{kHuge}));
#ifdef MADV_HUGEPAGE
  madvise(block, rounded, MADV_HUGEPAGE);
#endif
  return std::shared_ptr<std::byte>(
      block, [](std::byte* p) { ::operator delete (p, std::align_val_t{kHuge}); });
}

}  // namespace

std::optional<std::size_t> checked_nbytes(std::span<const std::size_t> shape,
                                          std::size_t item_size) noexcept {
  // Each dimension alone must fit (numpy's own check ignores none of them), then the product.
  std::size_t nonzero = std::max<std::size_t>(item_size, 1);
  bool empty = item_size == 0;
  for (const std::size_t n : shape) {
    if (n == 0) {
      empty = true;
      continue;
    }
    if (nonzero > static_cast<std::size_t>(INT64_MAX) / n) return std::nullopt;
    nonzero *= n;
  }
  return empty ? 0 : nonzero;
}

std::vector<std::size_t> contiguous_strides(std::span<const std::size_t> shape,
                                            std::size_t item_size, NdArray::Order order) {
  std::vector<std::size_t> strides(shape.size());
  std::size_t step = item_size;
  const auto set = [&](std::size_t axis) {
    strides[axis] = step;
    step *= std::max<std::size_t>(shape[axis], 1);
  };
  if (order == NdArray::Order::c) {
    for (std::size_t axis = shape.size(); axis-- > 0;) set(axis);
  } else {
    for (std::size_t axis = 0; axis < shape.size(); ++axis) set(axis);
  }
  return strides;
}

std::string shape_text(std::span<const std::size_t> shape) {
  if (shape.size() == 1) return fmt::format("({},)", shape[0]);
  return fmt::format("({})", fmt::join(shape, ", "));
}

NdArray assemble(const DType& dtype, std::vector<std::size_t> shape,
                 std::vector<std::size_t> strides, const ItemSource& source) {
  const DType native = in_native_order(dtype);
  const std::size_t unit = swap_unit(dtype);
  const bool swap = unit > 1 && dtype.byte_order != native.byte_order;
  const std::span<const std::byte> bytes = source.bytes;
  if (source.shareable && !swap && aligned(bytes.data(), alignment_of(dtype))) {
    return detail::NdArrayAccess::make(native, std::move(shape), std::move(strides), source.keep,
                                       bytes, true);
  }
  std::shared_ptr<std::byte> copy = allocate_items(bytes.size());
  if (swap) {
    copy_swapped(copy.get(), bytes.data(), bytes.size(), unit);
  } else if (!bytes.empty()) {
    std::memcpy(copy.get(), bytes.data(), bytes.size());
  }
  const std::span<const std::byte> items(copy.get(), bytes.size());
  return detail::NdArrayAccess::make(native, std::move(shape), std::move(strides), std::move(copy),
                                     items, false);
}

}  // namespace picklejar::numpy
