#pragma once
// Internal bridge between Value handles and the slots/nodes behind them.

#include <picklejar/value.hpp>

#include "heap.hpp"
#include "node.hpp"

namespace picklejar::detail {

class ValueAccess {
 public:
  static const Slot& slot(const Value& v) noexcept { return v.slot_; }
  // A new handle on whatever the slot refers to.
  static Value handle(const Slot& s) noexcept {
    Value v;
    v.slot_ = s;
    if (s.tag == Tag::node) retain(s.as.node);
    return v;
  }
  static Node* node(const Value& v) noexcept {
    return v.slot_.tag == Tag::node ? v.slot_.as.node : nullptr;
  }
  static Value::Iterator iterator(Value container, std::size_t position) {
    return Value::Iterator(std::move(container), position);
  }
};

// A fresh node in a fresh heap, returned as its first handle.
template <class N, class... Args>
Value make_standalone(Args&&... args) {
  HeapGuard guard(Heap::for_new_value());
  N* node = guard->make<N>(std::forward<Args>(args)...);
  return ValueAccess::handle(node_slot(node));
}

// Throws TypeError: "<what>: expected <expected>, got <kind>".
[[noreturn]] void throw_kind_error(std::string_view what, std::string_view expected, Kind actual);

// The node of `v` if it has kind `k`, else TypeError naming `operation`.
Node* require_kind(const Value& v, Kind k, std::string_view operation);

}  // namespace picklejar::detail
