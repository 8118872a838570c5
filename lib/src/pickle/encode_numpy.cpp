// numpy arrays below protocol 5. An array's recipe depends on the protocol it is pickled
// with: numpy's __reduce_ex__ (numpy/_core/src/multiarray/methods.c) gives
//   protocol 5:    numeric._frombuffer(PickleBuffer, dtype, shape, 'C' or 'F')
//   protocols 2-4: multiarray._reconstruct(numpy.ndarray, (0,), b'b')
//                      + BUILD (1, shape, dtype, is_fortran, raw bytes)
// A Value holds one recipe, the first (NdArray's to_value() builds it); written below
// protocol 5 it becomes the second, exactly as numpy writes it there, so that one value
// pickles byte for byte as numpy does at every protocol. CPython itself never writes the
// first form below protocol 5, so reading such pickles back loses nothing. A 'C' buffer holds
// the array in C order and an 'F' one its transpose in C order, which is the array in Fortran
// order: the raw bytes of _reconstruct either way. Only the exact 4-argument form is
// rewritten (order 'K', numpy >= 2.3's, needs the items reordered; it stays as it is).

#include "encoder.hpp"

namespace picklejar::pickle {
namespace {

using detail::Tag;

std::string_view text(const Slot& s) { return detail::as_str(s.as.node).text(); }

bool is_node(const Slot& s, Kind kind) { return s.tag == Tag::node && s.as.node->kind == kind; }

}  // namespace

Node* Encoder::rewrite_numpy_frombuffer(Node* n) {
  const auto& o = detail::as_object(n);
  if (o.form != ObjectForm::reduce || !is_node(o.callable, Kind::global) ||
      o.state.tag != Tag::none || !o.listitems.empty() || !o.dictitems.empty())
    return nullptr;
  const auto& callable = detail::as_global(o.callable.as.node);
  const std::string_view module = text(callable.module);
  const bool numpy1 = module == "numpy.core.numeric";
  if ((!numpy1 && module != "numpy._core.numeric") || text(callable.name) != "_frombuffer")
    return nullptr;
  const auto& args = detail::as_sequence(o.args.as.node).items;
  if (args.size() != 4 || !is_node(args[2], Kind::tuple) || !is_node(args[3], Kind::str))
    return nullptr;
  const std::string_view order = text(args[3]);
  Slot data = args[0];
  if (is_node(data, Kind::bytearray)) {  // bytes(buffer): the same memory, read-only
    const auto view = detail::as_bytes(data.as.node).view();
    data = detail::node_slot(scratch_->make<detail::BytesNode>(
        Kind::bytes, std::shared_ptr<void>(), const_cast<std::byte*>(view.data()), view.size()));
  }
  if ((order != "C" && order != "F") || !is_node(data, Kind::bytes)) return nullptr;

  auto* b = scratch_->make<detail::BytesNode>(Kind::bytes, std::string_view("b"));
  auto* zero = scratch_->make<detail::SequenceNode>(Kind::tuple);
  zero->items.push_back(detail::int_slot(0));
  Node* recipe = scratch_object(
      ObjectForm::reduce,
      scratch_global(numpy1 ? "numpy.core.multiarray" : "numpy._core.multiarray", "_reconstruct"),
      scratch_tuple(
          {scratch_global("numpy", "ndarray"), detail::node_slot(zero), detail::node_slot(b)}));
  detail::as_object(recipe).state =
      scratch_tuple({detail::int_slot(1), args[2], args[1], detail::bool_slot(order == "F"), data});
  return recipe;
}

}  // namespace picklejar::pickle
