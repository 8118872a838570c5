// Reading numpy's array and scalar recipes into an NdArray: from_value<NdArray> (ndarray.hpp).
// Everything about the layout is checked before anything is copied; the items are shared with
// the decoded value when they are in native order and aligned (layout.hpp, assemble).

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <picklejar/codec_containers.hpp>
#include <picklejar/ndarray.hpp>

#include "../value/node.hpp"
#include "../value/utf8.hpp"
#include "../value/value_access.hpp"
#include "dtype.hpp"
#include "layout.hpp"
#include "recipes.hpp"

namespace picklejar {
namespace numpy {
namespace {

[[noreturn]] void fail(std::string why) { throw CodecError("numpy array: " + std::move(why)); }

// numpy writes shapes as tuples of ints; at most kMaxDims, each >= 0, checked before the
// vector is made.
std::vector<std::size_t> read_shape(const Value& v) {
  if (!v.is_tuple()) fail(fmt::format("the shape must be a tuple, got {}", detail::type_name(v)));
  if (v.size() > kMaxDims) {
    fail(fmt::format("{} dimensions, more than the {} numpy allows", v.size(), kMaxDims));
  }
  std::vector<std::size_t> shape;
  shape.reserve(v.size());
  for (const Value n : v) {
    if (!n.is_int()) fail(fmt::format("a dimension must be an int, got {}", detail::type_name(n)));
    if (!n.fits_int64()) fail(fmt::format("dimension {} is too large", n.repr()));
    if (n.as_int() < 0) fail(fmt::format("negative dimension {} in the shape", n.as_int()));
    shape.push_back(static_cast<std::size_t>(n.as_int()));
  }
  return shape;
}

// The bytes of a data payload, and whether and how the array may share them.
struct Payload {
  ItemSource source;
  bool readonly = false;
};

Payload read_payload(const Value& data) {
  Payload p;
  if (data.is_bytes() || data.is_bytearray()) {
    const auto& node = detail::as_bytes(detail::ValueAccess::node(data));
    p.readonly = data.is_bytes();
    p.source.bytes = node.view();
    p.source.shareable = true;
    if (node.is_external()) {
      p.source.keep = node.external_owner;  // a Buffer's memory: independent of the value
    } else {
      p.source.keep = std::make_shared<const Value>(data);
    }
    return p;
  }
  if (data.is_str()) {  // Python 2 numpy pickles read with Py2Strings::latin1
    const std::string_view text = data.as_str();
    auto latin1 = std::make_shared<std::string>();
    for (std::size_t pos = 0; pos < text.size();) {
      const char32_t c = detail::next_code_point(text, pos);
      if (c > 0xFF) fail("the data is a str that is not latin-1");
      latin1->push_back(static_cast<char>(c));
    }
    p.source.bytes = std::as_bytes(std::span(latin1->data(), latin1->size()));
    p.source.keep = std::move(latin1);  // copied by assemble(): not shareable
    return p;
  }
  fail(fmt::format("the data must be bytes, got {}", detail::type_name(data)));
}

// The size check numpy's __setstate__ makes ("buffer size does not match array size"),
// before anything is copied.
void check_size(const DType& dtype, std::span<const std::size_t> shape, std::size_t bytes) {
  if (dtype.item_size == 0) fail(fmt::format("items of dtype '{}' have no bytes", dtype.str()));
  const auto nbytes = checked_nbytes(shape, dtype.item_size);
  if (!nbytes) {
    fail(fmt::format("shape {} of {} items overflows", shape_text(shape), dtype.name()));
  }
  if (*nbytes != bytes) {
    fail(
        fmt::format("buffer size does not match array size: shape {} of {} needs {} bytes, "
                    "the data has {}",
                    shape_text(shape), dtype.name(), *nbytes, bytes));
  }
}

void expect_no_extras(const Value& v) {
  if (!v.object_listitems().empty() || !v.object_dictitems().empty())
    fail("the recipe has list or dict items");
}

// _reconstruct(numpy.ndarray, (0,), b'b') + BUILD (1, shape, dtype, is_fortran, data).
NdArray read_reconstruct(const Value& v) {
  const Value args = v.object_args();
  if (args.size() != 3) fail("_reconstruct takes (numpy.ndarray, shape, dtype char)");
  if (!is_ndarray_class(args.at(0))) {
    fail(fmt::format("expected numpy.ndarray, got {} (subclasses are not supported)",
                     args.at(0).repr()));
  }
  const Value start = args.at(1);  // numpy's placeholder array, replaced by the BUILD
  const bool zero = start.is_tuple() && start.size() == 1 && start.at(0).is_int() &&
                    start.at(0).fits_int64() && start.at(0).as_int() == 0;
  if (!zero || !args.at(2).is_bytes() || args.at(2).as_bytes_view() != "b")
    fail("_reconstruct takes (numpy.ndarray, (0,), b'b'), as numpy writes it");
  expect_no_extras(v);
  const Value state = v.object_state();
  if (!state.is_tuple() || state.size() != 5) {
    fail(fmt::format(
        "the state must be (version, shape, dtype, is_fortran, data), got {}",
        state.is_tuple() ? fmt::format("{} items", state.size()) : detail::type_name(state)));
  }
  if (!state.at(0).is_int() || !state.at(0).fits_int64() || state.at(0).as_int() != 1)
    fail(fmt::format("unsupported state version {} (numpy writes 1)", state.at(0).repr()));
  std::vector<std::size_t> shape = read_shape(state.at(1));
  const DType dtype = read_dtype(state.at(2));
  const Value fortran = state.at(3);
  if (!fortran.is_bool()) fail(fmt::format("is_fortran must be a bool, got {}", fortran.repr()));
  const Payload payload = read_payload(state.at(4));
  check_size(dtype, shape, payload.source.bytes.size());
  const auto order = fortran.as_bool() ? NdArray::Order::fortran : NdArray::Order::c;
  auto strides = contiguous_strides(shape, dtype.item_size, order);
  return assemble(dtype, std::move(shape), std::move(strides), payload.source);
}

// numpy >= 2.3's order 'K': the buffer is C-ordered in `shape`, the array is its transpose by
// axis_order (a permutation of the axes).
void transpose(std::vector<std::size_t>& shape, std::vector<std::size_t>& strides,
               const Value& axis_order) {
  if (!axis_order.is_tuple() && !axis_order.is_list()) fail("order 'K' needs an axis_order tuple");
  if (axis_order.size() != shape.size()) fail("axis_order does not match the shape");
  std::vector<bool> seen(shape.size(), false);
  std::vector<std::size_t> new_shape, new_strides;
  for (const Value a : axis_order) {
    if (!a.is_int() || !a.fits_int64() || a.as_int() < 0 ||
        static_cast<std::size_t>(a.as_int()) >= shape.size() || seen[a.as_int()]) {
      fail(fmt::format("axis_order {} is not a permutation of the axes", axis_order.repr()));
    }
    seen[a.as_int()] = true;
    new_shape.push_back(shape[a.as_int()]);
    new_strides.push_back(strides[a.as_int()]);
  }
  shape = std::move(new_shape);
  strides = std::move(new_strides);
}

// _frombuffer(buffer, dtype, shape, order[, axis_order]).
NdArray read_frombuffer(const Value& v) {
  const Value args = v.object_args();
  if (args.size() != 4 && args.size() != 5)
    fail("_frombuffer takes (buffer, dtype, shape, order[, axis_order])");
  if (!v.object_state().is_none()) fail("_frombuffer has no state");
  expect_no_extras(v);
  const Payload payload = read_payload(args.at(0));
  const DType dtype = read_dtype(args.at(1));
  std::vector<std::size_t> shape = read_shape(args.at(2));
  const Value order = args.at(3);
  const std::string_view o = order.is_str() ? order.as_str() : std::string_view();
  if (o != "C" && o != "F" && o != "K") fail(fmt::format("unknown order {}", order.repr()));
  // numpy >= 2.3 passes an axis_order with order 'K' and only then (older numpys take 4 args).
  if ((o == "K") != (args.size() == 5)) fail("axis_order goes with order 'K' and only then");
  const Value axis_order = args.size() == 5 ? args.at(4) : Value();
  check_size(dtype, shape, payload.source.bytes.size());
  // 'F': the buffer holds the transpose in C order, which is this array in Fortran order.
  auto strides = contiguous_strides(shape, dtype.item_size,
                                    o == "F" ? NdArray::Order::fortran : NdArray::Order::c);
  if (o == "K") transpose(shape, strides, axis_order);
  NdArray a = assemble(dtype, std::move(shape), std::move(strides), payload.source);
  a.set_readonly(payload.readonly);
  return a;
}

// scalar(dtype, data).
NdArray read_scalar(const Value& v) {
  const Value args = v.object_args();
  if (args.size() != 2) fail("scalar takes (dtype, data)");
  expect_no_extras(v);
  if (!v.object_state().is_none()) fail("a scalar has no state");
  const DType dtype = read_dtype(args.at(0));
  const Payload payload = read_payload(args.at(1));
  check_size(dtype, {}, payload.source.bytes.size());
  NdArray a = assemble(dtype, {}, {}, payload.source);
  detail::NdArrayAccess::set_scalar(a);
  return a;
}

}  // namespace

NdArray read_array(const Value& v) {
  switch (recognize(v).kind) {
    case RecipeKind::reconstruct:
      return read_reconstruct(v);
    case RecipeKind::frombuffer:
      return read_frombuffer(v);
    case RecipeKind::scalar:
      return read_scalar(v);
    case RecipeKind::none:
      break;
  }
  detail::throw_expected("a numpy array", v);
}

}  // namespace numpy

bool is_ndarray(const Value& v) noexcept {
  return numpy::recognize(v).kind != numpy::RecipeKind::none;
}

NdArray codec<NdArray>::from_value(const Value& v) { return numpy::read_array(v); }

namespace detail {
NumpyItems numpy_1d_items(const Value& v, ElementCode code) {
  if (!is_ndarray(v)) expect_sequence(v);  // the list codec's own message
  const NdArray a = numpy::read_array(v);
  const DType wanted = DType::numeric(code.kind, code.size);
  if (a.ndim() != 1 || a.dtype().kind != wanted.kind || a.dtype().item_size != wanted.item_size) {
    throw CodecError(fmt::format("expected a 1-D {} array, got {} of shape {}", wanted.name(),
                                 a.is_scalar() ? "a numpy scalar" : a.dtype().name(),
                                 numpy::shape_text(a.shape())));
  }
  return {NdArrayAccess::owner(a), a.bytes().data(), a.size()};
}
}  // namespace detail

}  // namespace picklejar
