#pragma once
// numpy dtypes: reading numpy.dtype recipes, writing them, and the facts about each kind
// (internal; DType itself is public, in ndarray.hpp).

#include <cstddef>

#include <picklejar/ndarray.hpp>
#include <picklejar/value.hpp>

namespace picklejar::numpy {

// The DType a numpy.dtype('f8', False, True) + BUILD state recipe describes, in the byte order
// it names. CodecError for anything else: object, structured, subarray and void dtypes, types
// NdArray does not hold (float128, ...), states numpy does not write.
DType read_dtype(const Value& v);

// The recipe numpy writes for `dtype` (in native byte order: what numpy's dtype('<f8') writes
// on a little-endian machine).
Value dtype_value(const DType& dtype);

// ValueError unless `dtype` is one NdArray holds (kind, item size and unit agree).
void check_dtype(const DType& dtype);

// The alignment numpy gives the items (complex64: 4, U: 4, S: 1, ...).
std::size_t alignment_of(const DType& dtype) noexcept;

// The size of one byte-swapped unit of an item: the item size, or half of it for complex, 4
// for U's UTF-32 code units; 1 when nothing swaps.
std::size_t swap_unit(const DType& dtype) noexcept;

// The dtype with the byte order NdArray holds it in (native; not_applicable when 1-byte).
DType in_native_order(DType dtype) noexcept;

}  // namespace picklejar::numpy
