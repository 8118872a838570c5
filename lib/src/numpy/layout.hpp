#pragma once
// How an NdArray's items are laid out, and how one is put together from the bytes of a pickle
// or of a C++ program (internal).

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <picklejar/ndarray.hpp>

namespace picklejar::numpy {

// numpy 2's NPY_MAXDIMS (numpy 1.x allows 32).
inline constexpr std::size_t kMaxDims = 64;

// shape's item count times item_size, or nullopt when that overflows (dimensions of 0 make
// the product 0 but are checked too, as numpy does: each must fit on its own).
std::optional<std::size_t> checked_nbytes(std::span<const std::size_t> shape,
                                          std::size_t item_size) noexcept;

// Strides of a C-ordered (last index fastest) or Fortran-ordered array.
std::vector<std::size_t> contiguous_strides(std::span<const std::size_t> shape,
                                            std::size_t item_size, NdArray::Order order);

// "(2, 3)", "(5,)", "()": numpy's way of printing a shape.
std::string shape_text(std::span<const std::size_t> shape);

// The bytes an array's items are read from.
struct ItemSource {
  std::span<const std::byte> bytes;  // item (0, ..., 0) first, `span` bytes long
  std::shared_ptr<const void> keep;  // what keeps `bytes` alive, when the array may share them
  bool shareable = false;            // false: the array must copy (the memory is transient)
};

// The NdArray of `dtype` (its byte order is the source's), `shape` and `strides` over
// `source`: sharing the source's memory when it is shareable, in native order and aligned
// for the items, else a native-order copy. The caller has checked that the layout fits in
// source.bytes.
NdArray assemble(const DType& dtype, std::vector<std::size_t> shape,
                 std::vector<std::size_t> strides, const ItemSource& source);

}  // namespace picklejar::numpy

namespace picklejar::detail {

// NdArray's innards, for the code that reads and writes arrays.
struct NdArrayAccess {
  static void set_scalar(NdArray& a) noexcept { a.scalar_ = true; }
  static const std::shared_ptr<const void>& owner(const NdArray& a) noexcept { return a.owner_; }
  static NdArray make(const DType& dtype, std::vector<std::size_t> shape,
                      std::vector<std::size_t> strides, std::shared_ptr<const void> owner,
                      std::span<const std::byte> items, bool shared);
};

}  // namespace picklejar::detail
