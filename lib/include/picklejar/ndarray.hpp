#pragma once
// picklejar::NdArray — numpy arrays and scalars as typed C++ arrays: read from the pickles
// numpy writes and written as numpy's own bytes, with no Python and nothing executed.
//
//   picklejar::Value v = picklejar::loads(bytes);             // an inert recipe, as always
//   auto a = picklejar::from_value<picklejar::NdArray>(v);    // recognised and checked
//   std::span<const double> xs = a.as<double>();             // CodecError unless float64
//   double x = a.at<double>(1, 2);                            // a bounds-checked item
//   auto ys = picklejar::from_value<std::vector<double>>(v);  // a 1-D float64 array, copied
//   std::string p = picklejar::dumps(picklejar::to_value(a), 5);  // what numpy writes
//
// Recognition. Decoding knows nothing of numpy: an array decodes, like any instance, to an
// inert object recipe, and nothing is imported or called. This mapping step reads the recipes
// numpy writes, recognised by their exact globals under numpy.core (numpy 1.x) and numpy._core
// (numpy 2.x), and nothing else:
//   multiarray._reconstruct(numpy.ndarray, (0,), b'b') + BUILD (1, shape, dtype, is_fortran,
//       data)                 protocols 2-4, and 5 for arrays that are not contiguous
//   numeric._frombuffer(buffer, dtype, shape, order[, axis_order])       protocol 5: 'C', 'F',
//       or numpy >= 2.3's 'K' (a C-ordered buffer, then transposed by axis_order)
//   multiarray.scalar(dtype, data)            numpy scalars: np.float64(1.5), np.int32(7), ...
// with each dtype written as numpy.dtype('f8', False, True) + BUILD (3, '<', None, None, None,
// -1, -1, 0) (9 items, version 4, for datetime64/timedelta64: their unit and count).
// Everything is validated before anything is allocated: at most 64 dimensions, none negative,
// a shape whose byte size does not overflow and equals the data's length exactly (numpy's
// "buffer size does not match array size"), a dtype numpy writes; object arrays (their items
// are Python objects) and structured, subarray and void dtypes are refused. Every failure is a
// CodecError naming what is wrong (and, from a container's codec, where). Since the data must
// match the declared size, no copy is ever larger than a payload the decoder already accepted
// under its DecodeLimits.
//
// Memory. An NdArray's items are always in native byte order and aligned for their type, so
// as<T>() is a plain std::span. Reading shares the decoded memory when it already is both: no
// copy for an array decoded with loads(const Buffer&) (its payload refers into that buffer)
// or from out-of-band buffers (protocol 5's NEXT_BUFFER), nor for one whose payload the
// decoder copied into the value. Otherwise -- big-endian data, or an in-band payload at an
// offset of the pickle that is not a multiple of the item's alignment (numpy's own layouts
// put a float64 payload at offset 58 or 148) -- the NdArray holds its own byte-swapped,
// aligned copy. shares_memory() tells which.
// Lifetime: an NdArray keeps what it shares alive (the Buffer's owner, or a handle to the
// decoded value), so it may outlive the Value it was read from; the shared memory must not be
// changed meanwhile (the rule of loads(const Buffer&); a bytearray changed through
// Value::mutable_bytes() afterwards copies itself first, see VALUE.md). Copies of an NdArray
// share its items, which NdArray never writes.
//
// Writing. to_value() builds the recipe numpy would write for the same array at protocol 5:
// numeric._frombuffer of a bytearray (bytes when readonly()) for a C- or Fortran-contiguous
// array, _reconstruct for any other layout, multiarray.scalar for a scalar, under numpy.core
// (numpy 1.x's names, which numpy 2 still reads). The encoder writes _frombuffer recipes below
// protocol 5 as numpy does there (_reconstruct + BUILD), so dumps(to_value(a), p) is
// byte-identical with numpy 1.24's pickle.dumps(a, p) for protocols 2-5 (in band, as numpy
// writes without a buffer_callback). to_value() shares the array's memory: nothing is copied
// until the encoder writes the bytes.
//
// Thread safety: an NdArray that shares a decoded value's own memory (not a Buffer's) holds a
// handle to that value, so it counts as a use of the value's heap (VALUE.md): copy and destroy
// it on the thread using that value. Otherwise const NdArrays may be used from any thread.

#include <picklejar/config.hpp>

#include <bit>
#include <complex>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <ranges>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <picklejar/buffer.hpp>
#include <picklejar/codec_core.hpp>
#include <picklejar/ndarray_element.hpp>
#include <picklejar/value.hpp>

namespace picklejar {

namespace detail {
struct NdArrayAccess;
}

// numpy's dtype kinds that NdArray holds (numpy's kind letter in comments).
enum class DTypeKind : std::uint8_t {
  boolean,       // 'b' bool: one byte, 0 or 1
  signed_int,    // 'i' int8, int16, int32, int64
  unsigned_int,  // 'u' uint8, uint16, uint32, uint64
  floating,      // 'f' float16, float32, float64
  complex,       // 'c' complex64, complex128 (real and imaginary part)
  bytes,         // 'S' fixed-width bytes, NUL-padded: 'S5' is 5 bytes
  unicode,       // 'U' fixed-width text, NUL-padded UTF-32: 'U3' is 12 bytes
  datetime,      // 'M' datetime64[unit]: int64 ticks of the unit since 1970-01-01
  timedelta,     // 'm' timedelta64[unit]: int64 ticks
};

// The unit of a datetime64/timedelta64 (numpy's 'Y', 'M', 'W', 'D', 'h', 'm', 's', 'ms', 'us',
// 'ns', 'ps', 'fs', 'as'; generic is a unitless datetime64).
enum class TimeUnit : std::uint8_t {
  generic,
  years,
  months,
  weeks,
  days,
  hours,
  minutes,
  seconds,
  milliseconds,
  microseconds,
  nanoseconds,
  picoseconds,
  femtoseconds,
  attoseconds,
};

// not_applicable: one-byte items, bool and 'S' (numpy's '|').
enum class ByteOrder : std::uint8_t { not_applicable, little, big };
// ByteOrder::little or ByteOrder::big, as this machine stores numbers.
inline constexpr ByteOrder native_byte_order =
    std::endian::native == std::endian::little ? ByteOrder::little : ByteOrder::big;

// A numpy dtype that NdArray holds: numbers, bool, 'S', 'U', datetime64 and timedelta64.
struct PICKLEJAR_EXPORT DType {
  DTypeKind kind = DTypeKind::floating;  // which family: the item type, with item_size
  std::size_t item_size = 8;             // bytes per item
  // The order of the bytes handed to NdArray::from_bytes/from_buffer (they are swapped into
  // native order there); an NdArray's own dtype() is always native (or not_applicable).
  ByteOrder byte_order = native_byte_order;
  TimeUnit unit = TimeUnit::generic;  // datetime and timedelta only
  std::int64_t unit_count = 1;        // datetime64[10s]: 10

  // The dtype of an NdElement type: DType::of<float>() is float32.
  template <NdElement T>
  static DType of() noexcept {
    const auto code = detail::element_code<T>();
    return numeric(code.kind, code.size);
  }
  // numpy's kind letter 'b', 'i', 'u', 'f' or 'c' and the item size: numeric('u', 2) is uint16.
  static DType numeric(char kind, std::size_t item_size) noexcept;
  static DType fixed_bytes(std::size_t width);   // 'S<width>'
  static DType unicode(std::size_t characters);  // 'U<characters>': 4 bytes per character
  // datetime64[count unit] and timedelta64[count unit]: 8-byte items.
  static DType datetime(TimeUnit unit, std::int64_t count = 1);
  static DType timedelta(TimeUnit unit, std::int64_t count = 1);  // (as datetime())

  // numpy's dtype.str: '<f8', '|b1', '|S5', '<U3', '<M8[ns]', '<m8[10s]'.
  std::string str() const;
  // numpy's dtype.name: 'float64', 'bool', 'bytes40', 'str96', 'datetime64[ns]'.
  std::string name() const;
  friend bool operator==(const DType&, const DType&) = default;  // every field
};

// A numpy array or scalar (see the top of this file): a dtype, a shape and the items.
class PICKLEJAR_EXPORT NdArray {
 public:
  // The order of items in memory: C, last index fastest; Fortran, first index fastest.
  enum class Order : std::uint8_t { c, fortran };

  // A float64 array of shape (0,).
  NdArray();

  // ---- from C++ data ------------------------------------------------------------------------
  // An array of `shape` holding a copy of `items` (a vector, array or span of an NdElement
  // type), listed in C order (last index fastest) or Fortran order (first index fastest).
  // ValueError unless items.size() is the shape's product.
  template <std::ranges::contiguous_range R>
  requires std::ranges::sized_range<R> && NdElement<std::ranges::range_value_t<R>>
  static NdArray from(const R& items, std::vector<std::size_t> shape, Order order = Order::c) {
    using T = std::ranges::range_value_t<R>;
    const std::span<const T> view(std::ranges::data(items), std::ranges::size(items));
    return from_bytes(DType::of<T>(), std::move(shape), std::as_bytes(view), order);
  }
  // A 1-D array.
  template <std::ranges::contiguous_range R>
  requires std::ranges::sized_range<R> && NdElement<std::ranges::range_value_t<R>>
  static NdArray from(const R& items) {
    return from(items, {static_cast<std::size_t>(std::ranges::size(items))});
  }
  // A numpy scalar: np.float64(x), np.int32(x), ...
  template <NdElement T>
  static NdArray scalar(T value) {
    return scalar(DType::of<T>(), std::as_bytes(std::span<const T>(&value, 1)));
  }
  // Any dtype above from raw bytes in dtype.byte_order (a copy, swapped to native order).
  // ValueError when the dtype is not one NdArray holds or the sizes disagree.
  static NdArray from_bytes(const DType& dtype, std::vector<std::size_t> shape,
                            std::span<const std::byte> data, Order order = Order::c);
  // The same, sharing `data` (kept alive by its owner) when it is in native order and aligned,
  // else copying it. The memory must not change while the array or its Values live.
  static NdArray from_buffer(const DType& dtype, std::vector<std::size_t> shape, const Buffer& data,
                             Order order = Order::c);
  // A numpy scalar of any dtype above, from its item's bytes in dtype.byte_order.
  static NdArray scalar(const DType& dtype, std::span<const std::byte> item);

  // ---- what it is ---------------------------------------------------------------------------
  const DType& dtype() const noexcept { return dtype_; }                  // in native byte order
  std::span<const std::size_t> shape() const noexcept { return shape_; }  // items along each axis
  // Bytes from one item to the next along each axis (all non-negative).
  std::span<const std::size_t> strides() const noexcept { return strides_; }
  std::size_t ndim() const noexcept { return shape_.size(); }  // number of axes (0 for a scalar)
  std::size_t size() const noexcept;                           // number of items (1 for shape ())
  std::size_t nbytes() const noexcept { return size() * dtype_.item_size; }  // size() * item size
  // A numpy scalar (np.float64(1.5)) rather than an array; always of shape ().
  bool is_scalar() const noexcept { return scalar_; }
  // Whether the items are laid out in C order / Fortran order without gaps.
  bool c_contiguous() const noexcept;
  bool f_contiguous() const noexcept;  // (Fortran order)
  // numpy's "not writeable" flag (np.frombuffer of bytes is): decides whether protocol 5
  // writes the data as bytes or as a bytearray. NdArray itself never writes its items.
  bool readonly() const noexcept { return readonly_; }
  // Sets the flag only: the items are neither copied nor protected.
  void set_readonly(bool readonly) noexcept { readonly_ = readonly; }
  // Whether the items are the memory of the Value or Buffer they were read from (no copy).
  bool shares_memory() const noexcept { return shared_; }

  // ---- the items ----------------------------------------------------------------------------
  // The memory holding the items, item (0, ..., 0) first, laid out by strides(): C order for
  // a C-contiguous array, Fortran order for a Fortran-contiguous one.
  std::span<const std::byte> bytes() const noexcept { return {data_, span_bytes_}; }
  // The items in memory order (as bytes()). CodecError naming both dtypes unless the dtype is
  // T's (bool, int8..uint64 by size and signedness, float16/32/64, complex64/128).
  template <NdElement T>
  std::span<const T> as() const {
    expect_items(DType::of<T>());
    return {reinterpret_cast<const T*>(data_), span_bytes_ / sizeof(T)};
  }
  // datetime64/timedelta64 items as ticks of dtype().unit (NaT is INT64_MIN); CodecError else.
  std::span<const std::int64_t> ticks() const;
  // The position in as<T>() of the item at `index` (one per dimension, none for shape ()).
  // LookupError for a wrong number of indices or one out of range, as numpy's IndexError.
  std::size_t position(std::span<const std::size_t> index) const;
  template <std::integral... I>
  std::size_t position(I... index) const {
    const std::size_t i[] = {static_cast<std::size_t>(index)..., 0};
    return position(std::span<const std::size_t>(i, sizeof...(I)));
  }
  // One item, checked like as<T>() and position().
  template <NdElement T, std::integral... I>
  T at(I... index) const {
    return as<T>()[position(index...)];
  }
  // A bytes ('S') item without its trailing NULs, as numpy's indexing returns it.
  template <std::integral... I>
  std::string_view bytes_at(I... index) const {
    return bytes_item(position(index...));
  }
  // A str ('U') item as UTF-8 (lone surrogates as "surrogatepass" writes them), without its
  // trailing NULs. ValueError for a code point beyond U+10FFFF.
  template <std::integral... I>
  std::string str_at(I... index) const {
    return str_item(position(index...));
  }
  // Every item of a T array in C order (last index fastest), whatever the layout: a copy.
  template <NdElement T>
  std::vector<T> to_vector() const {
    const std::span<const T> items = as<T>();
    std::vector<T> out;
    out.reserve(size());
    for_each_position([&](std::size_t p) { out.push_back(items[p]); });
    return out;
  }
  // Calls f(position) for every item in C order.
  template <class F>
  void for_each_position(F&& f) const {
    std::vector<std::size_t> index(ndim(), 0);
    const std::size_t n = size();
    std::size_t p = 0;
    for (std::size_t k = 0; k < n; ++k) {
      f(p);
      p = next_position(index, p);
    }
  }

  // Same dtype, shape, scalar-ness and item bytes (in C order; layouts may differ).
  friend PICKLEJAR_EXPORT bool operator==(const NdArray& a, const NdArray& b);

 private:
  friend struct detail::NdArrayAccess;
  void expect_items(const DType& wanted) const;
  std::string_view bytes_item(std::size_t position) const;
  std::string str_item(std::size_t position) const;
  std::size_t next_position(std::vector<std::size_t>& index, std::size_t position) const noexcept;

  DType dtype_;
  std::vector<std::size_t> shape_;
  std::vector<std::size_t> strides_;
  std::shared_ptr<const void> owner_;  // keeps data_ alive
  const std::byte* data_ = nullptr;
  std::size_t span_bytes_ = 0;  // bytes from data_ that hold items
  bool scalar_ = false;
  bool readonly_ = false;
  bool shared_ = false;
};

// numpy 1.24's repr() with its default print options: array([1. , 2.5], dtype=float32),
// lines of at most 75 characters, more than 1000 items summarized to the first and last 3
// along each axis (array([0, 1, 2, ..., 7, 8, 9])); a scalar as numpy prints it (1.5,
// numpy.datetime64('2020-01-01')).
PICKLEJAR_EXPORT std::string repr(const NdArray& a);
// The same for a Value: numpy's repr when v is a numpy array or scalar recipe that
// from_value<NdArray> reads, nullopt for anything else (an invalid recipe included).
PICKLEJAR_EXPORT std::optional<std::string> ndarray_repr(const Value& v);

// Whether v is one of numpy's array or scalar recipes, recognised by the exact global it calls
// (see above); says nothing about whether the rest of it is valid.
PICKLEJAR_EXPORT bool is_ndarray(const Value& v) noexcept;

template <>
struct PICKLEJAR_EXPORT codec<NdArray> {
  static Value to_value(const NdArray& a);
  static NdArray from_value(const Value& v);
};

}  // namespace picklejar
