#pragma once
// The encoder's memo: node -> memo index. CPython's pickler keeps a hash table keyed by
// object address (Modules/_pickle.c PyMemoTable); every str, container and object goes
// through it once or twice, and probing a table spread over the whole pickle's worth of
// entries cost a quarter of the encoder's time. Here a node of the value's own heap carries
// its memo index itself (Node::memo_index), stamped with an epoch its heap hands to one
// encoder at a time (Heap::begin_memo_stamps): a lookup is one load from a node the encoder
// is reading anyway, and what earlier encoders left there reads as stale.
//
// Nodes of other heaps (the recipes and global names the encoder makes up in its scratch
// heap), and every node when the heap's stamps are already taken (an encoder started from
// inside another one's buffer callback), go to a PointerMemo table instead, made on first use.

#include <cstdint>
#include <optional>

#include "../value/heap.hpp"
#include "../value/node.hpp"
#include "pointer_memo.hpp"

namespace picklejar::pickle {

class NodeMemo {
 public:
  // `root`: the value's node, or nullptr for a value that is a single atom.
  explicit NodeMemo(detail::Node* root) noexcept : root_(root) {
    if (root_ == nullptr) return;
    epoch_ = root_->heap->begin_memo_stamps();
    if (epoch_ != 0) heap_ = root_->heap;
  }
  ~NodeMemo() {
    // Through the root, whose heap is the one stamping even if it was merged meanwhile.
    if (epoch_ != 0) root_->heap->end_memo_stamps();
  }
  NodeMemo(const NodeMemo&) = delete;
  NodeMemo& operator=(const NodeMemo&) = delete;

  std::optional<std::uint32_t> find(const detail::Node* n) const noexcept {
    if (n->heap == heap_) {
      if (n->memo_epoch == epoch_) return n->memo_index;
      return std::nullopt;
    }
    return table_ ? table_->find(n) : std::nullopt;
  }
  bool contains(const detail::Node* n) const noexcept { return find(n).has_value(); }

  // Remembers `n` under `index`, unless it is already there.
  void insert(detail::Node* n, std::uint32_t index) {
    if (n->heap == heap_) {
      if (n->memo_epoch != epoch_) n->memo_epoch = epoch_, n->memo_index = index;
      return;
    }
    insert_in_table(n, index);
  }

 private:
  // Out of line, so that insert() stays small enough to be inlined everywhere.
  [[gnu::noinline]] void insert_in_table(detail::Node* n, std::uint32_t index) {
    if (!table_) table_.emplace();
    table_->insert(n, index);
  }

  detail::Node* root_;
  detail::Heap* heap_ = nullptr;  // whose nodes carry this encoder's stamps, or nullptr
  std::uint32_t epoch_ = 0;
  std::optional<PointerMemo> table_;
};

}  // namespace picklejar::pickle
