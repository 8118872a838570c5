// NdArray: construction from C++ data, and access to the items (ndarray.hpp).

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include <picklejar/error.hpp>
#include <picklejar/ndarray.hpp>

#include "../value/utf8.hpp"
#include "dtype.hpp"
#include "layout.hpp"

namespace picklejar {

namespace detail {
NdArray NdArrayAccess::make(const DType& dtype, std::vector<std::size_t> shape,
                            std::vector<std::size_t> strides, std::shared_ptr<const void> owner,
                            std::span<const std::byte> items, bool shared) {
  NdArray a;
  a.dtype_ = dtype;
  a.shape_ = std::move(shape);
  a.strides_ = std::move(strides);
  a.owner_ = std::move(owner);
  a.data_ = items.data();
  a.span_bytes_ = items.size();
  a.shared_ = shared;
  return a;
}
}  // namespace detail

namespace {

// The checks shared by from_bytes and from_buffer: a dtype NdArray holds, a shape whose size
// is the data's.
void check_layout(const DType& dtype, std::span<const std::size_t> shape, std::size_t bytes) {
  numpy::check_dtype(dtype);
  if (shape.size() > numpy::kMaxDims) {
    throw ValueError(
        fmt::format("an NdArray has at most {} dimensions, not {}", numpy::kMaxDims, shape.size()));
  }
  const auto nbytes = numpy::checked_nbytes(shape, dtype.item_size);
  if (!nbytes) {
    throw ValueError(
        fmt::format("shape {} of {} items overflows", numpy::shape_text(shape), dtype.str()));
  }
  if (*nbytes != bytes) {
    throw ValueError(fmt::format("shape {} of {} needs {} bytes, the data has {}",
                                 numpy::shape_text(shape), dtype.str(), *nbytes, bytes));
  }
}

}  // namespace

NdArray::NdArray() : shape_{0}, strides_{8} {}

NdArray NdArray::from_bytes(const DType& dtype, std::vector<std::size_t> shape,
                            std::span<const std::byte> data, Order order) {
  check_layout(dtype, shape, data.size());
  auto strides = numpy::contiguous_strides(shape, dtype.item_size, order);
  return numpy::assemble(dtype, std::move(shape), std::move(strides), {data, {}, false});
}

NdArray NdArray::from_buffer(const DType& dtype, std::vector<std::size_t> shape, const Buffer& data,
                             Order order) {
  check_layout(dtype, shape, data.bytes().size());
  auto strides = numpy::contiguous_strides(shape, dtype.item_size, order);
  return numpy::assemble(dtype, std::move(shape), std::move(strides),
                         {data.bytes(), data.owner(), true});
}

NdArray NdArray::scalar(const DType& dtype, std::span<const std::byte> item) {
  NdArray a = from_bytes(dtype, {}, item);
  a.scalar_ = true;
  return a;
}

std::size_t NdArray::size() const noexcept {
  std::size_t n = 1;
  for (const std::size_t d : shape_) n *= d;
  return n;
}

namespace {
// numpy's rule (_UpdateContiguousFlags): axes of length 1 may have any stride, and an empty
// array is contiguous both ways.
bool contiguous(std::span<const std::size_t> shape, std::span<const std::size_t> strides,
                std::size_t item_size, bool c_order) noexcept {
  std::size_t expected = item_size;
  bool ok = true;
  for (std::size_t k = 0; k < shape.size(); ++k) {
    const std::size_t axis = c_order ? shape.size() - 1 - k : k;
    if (shape[axis] == 0) return true;
    if (shape[axis] == 1) continue;
    ok = ok && strides[axis] == expected;
    expected *= shape[axis];
  }
  return ok;
}
}  // namespace

bool NdArray::c_contiguous() const noexcept {
  return contiguous(shape_, strides_, dtype_.item_size, true);
}

bool NdArray::f_contiguous() const noexcept {
  return contiguous(shape_, strides_, dtype_.item_size, false);
}

void NdArray::expect_items(const DType& wanted) const {
  if (dtype_.kind != wanted.kind || dtype_.item_size != wanted.item_size) {
    throw CodecError(fmt::format("expected a {} array, got {}", wanted.name(), dtype_.name()));
  }
}

std::span<const std::int64_t> NdArray::ticks() const {
  if (dtype_.kind != DTypeKind::datetime && dtype_.kind != DTypeKind::timedelta) {
    throw CodecError(
        fmt::format("expected a datetime64 or timedelta64 array, got {}", dtype_.name()));
  }
  return {reinterpret_cast<const std::int64_t*>(data_), span_bytes_ / 8};
}

std::size_t NdArray::position(std::span<const std::size_t> index) const {
  if (index.size() != shape_.size()) {
    throw LookupError(
        fmt::format("{} indices for an array of {} dimensions", index.size(), shape_.size()));
  }
  std::size_t offset = 0;
  for (std::size_t axis = 0; axis < index.size(); ++axis) {
    if (index[axis] >= shape_[axis]) {
      throw LookupError(fmt::format("index {} is out of bounds for axis {} with size {}",
                                    index[axis], axis, shape_[axis]));
    }
    offset += index[axis] * strides_[axis];
  }
  return dtype_.item_size == 0 ? 0 : offset / dtype_.item_size;
}

std::size_t NdArray::next_position(std::vector<std::size_t>& index,
                                   std::size_t position) const noexcept {
  const std::size_t item = std::max<std::size_t>(dtype_.item_size, 1);
  for (std::size_t axis = shape_.size(); axis-- > 0;) {
    const std::size_t step = strides_[axis] / item;
    if (++index[axis] < shape_[axis]) return position + step;
    index[axis] = 0;
    position -= step * (shape_[axis] - 1);
  }
  return position;
}

std::string_view NdArray::bytes_item(std::size_t position) const {
  if (dtype_.kind != DTypeKind::bytes) {
    throw CodecError(fmt::format("expected a bytes array, got {}", dtype_.name()));
  }
  std::string_view item(reinterpret_cast<const char*>(data_) + position * dtype_.item_size,
                        dtype_.item_size);
  while (!item.empty() && item.back() == '\0') item.remove_suffix(1);
  return item;
}

std::string NdArray::str_item(std::size_t position) const {
  if (dtype_.kind != DTypeKind::unicode) {
    throw CodecError(fmt::format("expected a str array, got {}", dtype_.name()));
  }
  const std::size_t length = dtype_.item_size / 4;
  const std::byte* first = data_ + position * dtype_.item_size;
  std::size_t used = length;
  const auto code_point = [&](std::size_t i) {
    std::uint32_t c;
    std::memcpy(&c, first + 4 * i, 4);
    return c;
  };
  while (used > 0 && code_point(used - 1) == 0) --used;
  std::string out;
  for (std::size_t i = 0; i < used; ++i) {
    const std::uint32_t c = code_point(i);
    if (c > 0x10FFFF) {
      throw ValueError(fmt::format("str item holds U+{:X}, beyond Unicode", c));
    }
    detail::append_utf8(out, c);
  }
  return out;
}

bool operator==(const NdArray& a, const NdArray& b) {
  if (a.dtype_ != b.dtype_ || a.shape_ != b.shape_ || a.scalar_ != b.scalar_) return false;
  const std::size_t item = a.dtype_.item_size;
  std::vector<std::size_t> positions;
  positions.reserve(a.size());
  a.for_each_position([&](std::size_t p) { positions.push_back(p); });
  std::size_t k = 0;
  bool equal = true;
  b.for_each_position([&](std::size_t p) {
    equal = equal && std::memcmp(a.data_ + positions[k++] * item, b.data_ + p * item, item) == 0;
  });
  return equal;
}

}  // namespace picklejar
