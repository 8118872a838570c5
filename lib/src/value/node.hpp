#pragma once
// The nodes behind Value handles. Internal: only lib/src sees this.
//
// Ownership model: every node belongs to exactly one Heap. Container nodes refer to their
// children through plain Slots that do not own anything; the Heap owns all of its nodes. A
// Value handle counts itself on its node (roots for the collector) and on the node's heap
// (to free the whole heap at once when the last handle goes). Putting a node of one heap into
// a container of another merges the two heaps, so every edge stays inside one heap and cycles
// never keep anything alive on their own.

#include <picklejar/value.hpp>

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "arena.hpp"
#include "bigint.hpp"
#include "ordered_table.hpp"

namespace picklejar::detail {

class Heap;

enum NodeFlag : std::uint8_t {
  hash_cached = 1,   // `hash` holds the node's hash
  unhashable = 2,    // hashing was tried and failed (only set for immutable nodes)
  marked = 4,        // collector mark bit
  in_progress = 8,   // on the current hashing work list (detects impossible cycles)
  in_arena = 16,     // the node's memory belongs to an arena (else to the global allocator)
  repr_seen = 32,    // repr(): printed (or reached) once already; cleared when repr() ends
  repr_shared = 64,  // repr(): reached more than once, so labelled; cleared likewise
};

// Nodes are created by Heap::make<N>(args...), which passes the heap's arena (or nullptr for
// a heap without one) as the first constructor argument, and destroyed by destroy_node() (a
// switch on the kind; there is no vtable). When a whole heap dies, arena nodes only run their
// destructors if they hold something outside the arena (owns_outside_arena).
struct Node {
  explicit Node(Kind k) noexcept : kind(k) {}
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  Kind kind;
  std::uint8_t flags = 0;
  std::uint32_t handles = 0;  // Value handles pointing here
  std::size_t hash = 0;       // valid when flags & hash_cached
  Heap* heap = nullptr;
  // The pickle encoder's memo entry for this node: memo_index is valid while memo_epoch is the
  // epoch of the encoder now running on the node's heap (see Heap::begin_memo_stamps).
  std::uint32_t memo_epoch = 0;
  std::uint32_t memo_index = 0;
};

// A str's text (validated UTF-8 with surrogatepass) follows the node in the same block:
// Python strs never change, and one block per string halves the allocations of a decode.
// Made with Heap::make_str().
struct StrNode final : Node {
  explicit StrNode(std::size_t length) noexcept : Node(Kind::str), size(length) {}
  std::string_view text() const noexcept { return {reinterpret_cast<const char*>(this + 1), size}; }
  char* data() noexcept { return reinterpret_cast<char*>(this + 1); }
  static std::size_t block_size(std::size_t length) noexcept { return sizeof(StrNode) + length; }
  std::size_t size;
};

// bytes and bytearray. Either owns its bytes or refers to memory outside (an out-of-band
// buffer, a shared pickle's payload, an NdArray's items). A bytearray over memory that must
// not be written (copy_on_write) copies it into `owned` at its first write.
struct BytesNode final : Node {
  BytesNode(Arena* arena, Kind k, std::string_view data)
      : Node(k), owned(data, ArenaAllocator<char>(arena)) {}
  BytesNode(Arena* arena, Kind k, std::shared_ptr<void> keep_alive, std::byte* data,
            std::size_t size)
      : Node(k),
        owned(ArenaAllocator<char>(arena)),
        external_owner(std::move(keep_alive)),
        external(data),
        external_size(size) {}

  // External memory is recognised by its pointer, not its owner: a Buffer's owner may be
  // empty when the caller keeps the memory alive itself.
  bool is_external() const noexcept { return external != nullptr; }
  std::span<const std::byte> view() const noexcept {
    if (is_external()) return {external, external_size};
    return std::as_bytes(std::span(owned.data(), owned.size()));
  }
  ArenaString owned;
  std::shared_ptr<void> external_owner;
  std::byte* external = nullptr;
  std::size_t external_size = 0;
  bool copy_on_write = false;
};

struct BigIntNode final : Node {
  BigIntNode(Arena* arena, BigInt v) : Node(Kind::integer), value(std::move(v), arena) {}
  BigInt value;  // never fits in int64 (those are immediate)
};

struct SequenceNode final : Node {  // list and tuple
  SequenceNode(Arena* arena, Kind k) : Node(k), items(ArenaAllocator<Slot>(arena)) {}
  ArenaVector<Slot> items;
};

struct TableNode final : Node {  // dict, set and frozenset
  TableNode(Arena* arena, Kind k) : Node(k), table(arena) {}
  OrderedTable table;
  DictFlavor flavor = DictFlavor::dict;
  Slot state;  // BUILD state of an OrderedDict (its instance attributes); None otherwise
};

// Globals the decoder gives a meaning to without running anything.
enum class WellKnown : std::uint8_t {
  none,
  builtins_set,
  builtins_frozenset,
  builtins_bytearray,
  builtins_bytes,
  builtins_object,
  codecs_encode,
  copyreg_reconstructor,
  ordered_dict,
};

struct GlobalNode final : Node {
  explicit GlobalNode(Arena*) noexcept : Node(Kind::global) {}
  Slot module;  // str nodes; kept as nodes so a memoized name string stays shared
  Slot name;
  WellKnown well_known = WellKnown::none;
};

struct ObjectNode final : Node {
  explicit ObjectNode(Arena* arena)
      : Node(Kind::object),
        listitems(ArenaAllocator<Slot>(arena)),
        dictitems(ArenaAllocator<std::pair<Slot, Slot>>(arena)) {}
  ObjectForm form = ObjectForm::reduce;
  Slot callable;
  Slot args;    // tuple
  Slot kwargs;  // dict or None
  Slot state;   // None until BUILD
  ArenaVector<Slot> listitems;
  ArenaVector<std::pair<Slot, Slot>> dictitems;
};

// Typed views; callers have checked the kind.
inline StrNode& as_str(Node* n) noexcept { return static_cast<StrNode&>(*n); }
inline BytesNode& as_bytes(Node* n) noexcept { return static_cast<BytesNode&>(*n); }
inline BigIntNode& as_bigint(Node* n) noexcept { return static_cast<BigIntNode&>(*n); }
inline SequenceNode& as_sequence(Node* n) noexcept { return static_cast<SequenceNode&>(*n); }
inline TableNode& as_table(Node* n) noexcept { return static_cast<TableNode&>(*n); }
inline GlobalNode& as_global(Node* n) noexcept { return static_cast<GlobalNode&>(*n); }
inline ObjectNode& as_object(Node* n) noexcept { return static_cast<ObjectNode&>(*n); }

inline Kind slot_kind(const Slot& s) noexcept {
  switch (s.tag) {
    case Tag::none:
      return Kind::none;
    case Tag::boolean:
      return Kind::boolean;
    case Tag::small_int:
      return Kind::integer;
    case Tag::floating:
      return Kind::floating;
    case Tag::node:
      return s.as.node->kind;
    case Tag::erased:
      break;
  }
  return Kind::none;
}

inline Slot node_slot(Node* n) noexcept {
  Slot s;
  s.tag = Tag::node;
  s.as.node = n;
  return s;
}
inline Slot int_slot(std::int64_t i) noexcept {
  Slot s;
  s.tag = Tag::small_int;
  s.as.small_int = i;
  return s;
}
inline Slot bool_slot(bool b) noexcept {
  Slot s;
  s.tag = Tag::boolean;
  s.as.boolean = b;
  return s;
}
inline Slot float_slot(double d) noexcept {
  Slot s;
  s.tag = Tag::floating;
  s.as.floating = d;
  return s;
}

// Runs the node's destructor and returns its memory to `arena` (any arena of its heap).
void destroy_node(Node* node, Arena* arena) noexcept;
// Whether the node holds memory or references outside its arena (an out-of-band buffer's
// owner): only those need their destructor when the whole heap dies.
inline bool owns_outside_arena(const Node* n) noexcept {
  return n->kind == Kind::bytes || n->kind == Kind::bytearray;
}

// Calls fn(Slot&) for every child slot of a node (used by the collector, merge and copy).
template <class Fn>
void for_each_child(Node* n, Fn&& fn) {
  switch (n->kind) {
    case Kind::list:
    case Kind::tuple:
      for (Slot& s : as_sequence(n).items) fn(s);
      break;
    case Kind::dict:
    case Kind::set:
    case Kind::frozenset:
      for (auto& e : as_table(n).table.entries()) {
        if (e.key.tag == Tag::erased) continue;
        fn(e.key);
        fn(e.value);
      }
      fn(as_table(n).state);
      break;
    case Kind::global: {
      auto& g = as_global(n);
      fn(g.module);
      fn(g.name);
      break;
    }
    case Kind::object: {
      auto& o = as_object(n);
      fn(o.callable);
      fn(o.args);
      fn(o.kwargs);
      fn(o.state);
      for (Slot& s : o.listitems) fn(s);
      for (auto& [k, v] : o.dictitems) fn(k), fn(v);
      break;
    }
    default:
      break;
  }
}

}  // namespace picklejar::detail
