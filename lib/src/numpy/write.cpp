// Writing an NdArray as the recipe numpy writes for it: to_value(const NdArray&) (ndarray.hpp).
//
// numpy's __reduce_ex__(5) (numpy/_core/src/multiarray/methods.c) gives
//   _frombuffer(PickleBuffer(a or a.T), dtype, shape, 'C' or 'F')  for a C- or Fortran-
//       contiguous array whose buffer it can export (not datetime64/timedelta64);
//   _reconstruct(ndarray, (0,), b'b') + BUILD (1, shape, dtype, is_fortran, a.tobytes('A'))
//       otherwise (and at every protocol below 5: the encoder rewrites the first form into
//       the second there, see lib/src/pickle/encode_numpy.cpp);
//   scalar(dtype, item bytes)  for a numpy scalar.
// A PickleBuffer written in band is a bytearray, or bytes when the array is read-only.

#include <fmt/format.h>

#include <memory>
#include <vector>

#include <picklejar/ndarray.hpp>

#include "../value/heap.hpp"
#include "../value/node.hpp"
#include "../value/value_access.hpp"
#include "dtype.hpp"
#include "layout.hpp"
#include "recipes.hpp"

namespace picklejar {
namespace numpy {
namespace {

Value function(RecipeKind kind) {
  return Value::global(module_of(kind, Package::core), function_of(kind));
}

// The array's memory as bytes, or as a bytearray that copies it at its first write: no copy.
Value shared_items(const NdArray& a, Kind kind) {
  const std::span<const std::byte> items = a.bytes();
  if (items.empty()) return kind == Kind::bytes ? Value::bytes("") : Value::bytearray("");
  Value v = detail::make_standalone<detail::BytesNode>(
      kind, std::const_pointer_cast<void>(detail::NdArrayAccess::owner(a)),
      const_cast<std::byte*>(items.data()), items.size());
  detail::as_bytes(detail::ValueAccess::node(v)).copy_on_write = kind == Kind::bytearray;
  return v;
}

// The items in C order, copied (for a layout that is neither C nor Fortran).
Value c_ordered_items(const NdArray& a) {
  const std::size_t item = a.dtype().item_size;
  const std::span<const std::byte> memory = a.bytes();
  std::string out;
  out.reserve(a.nbytes());
  a.for_each_position([&](std::size_t p) {
    out.append(reinterpret_cast<const char*>(memory.data()) + p * item, item);
  });
  return Value::bytes(out);
}

Value shape_value(const NdArray& a) {
  std::vector<Value> dims;
  dims.reserve(a.ndim());
  for (const std::size_t n : a.shape()) dims.emplace_back(n);
  return Value::tuple(std::move(dims));
}

// numpy.ndarray and numpy.dtype name their module with one (interned) str, which pickle
// writes once: the second global takes the first one's module node. Both are in the
// recipe's heap by now.
void share_module(const Value& global, const Value& named_alike) {
  auto& target = detail::as_global(detail::ValueAccess::node(global));
  target.module = detail::as_global(detail::ValueAccess::node(named_alike)).module;
}

Value reconstruct_value(const NdArray& a) {
  const bool fortran = a.f_contiguous() && !a.c_contiguous();
  const Value data =
      fortran || a.c_contiguous() ? shared_items(a, Kind::bytes) : c_ordered_items(a);
  const Value ndarray = Value::global("numpy", "ndarray");
  const Value dtype = dtype_value(a.dtype());
  Value recipe =
      Value::object(function(RecipeKind::reconstruct),
                    Value::tuple({ndarray, Value::tuple({Value(0)}), Value::bytes("b")}));
  recipe.set_object_state(Value::tuple({Value(1), shape_value(a), dtype, Value(fortran), data}));
  share_module(dtype.object_callable(), ndarray);
  return recipe;
}

Value frombuffer_value(const NdArray& a) {
  const char* order = a.c_contiguous() ? "C" : "F";
  return Value::object(function(RecipeKind::frombuffer),
                       Value::tuple({shared_items(a, a.readonly() ? Kind::bytes : Kind::bytearray),
                                     dtype_value(a.dtype()), shape_value(a), Value(order)}));
}

bool exports_buffer(const NdArray& a) {
  const DTypeKind kind = a.dtype().kind;
  const bool time = kind == DTypeKind::datetime || kind == DTypeKind::timedelta;
  return !time && (a.c_contiguous() || a.f_contiguous());
}

}  // namespace

Value array_value(const NdArray& a) {
  if (a.is_scalar()) {
    return Value::object(function(RecipeKind::scalar),
                         Value::tuple({dtype_value(a.dtype()), Value::bytes(a.bytes())}));
  }
  return exports_buffer(a) ? frombuffer_value(a) : reconstruct_value(a);
}

}  // namespace numpy

Value codec<NdArray>::to_value(const NdArray& a) { return numpy::array_value(a); }

}  // namespace picklejar
