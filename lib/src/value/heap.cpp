#include "heap.hpp"

#include <algorithm>
#include <utility>

namespace picklejar::detail {

Heap* Heap::create(Memory memory, std::size_t expected_bytes) {
  // The heap owns itself through its handle count (see drop_handles).
  return std::unique_ptr<Heap>(new Heap(memory, expected_bytes)).release();
}

Heap::~Heap() {
  // Arena nodes and their contents go with the arenas in one go; only what they hold outside
  // an arena needs their destructor. Other nodes are freed one by one.
  if (needs_destroy_count_ == 0) return;  // a decoded value of plain data: nothing to do
  for (Node* node : nodes_) {
    if (needs_destroy(node)) destroy_node(node, nullptr);
  }
}

void Heap::drop_handles(std::size_t n) noexcept {
  handles_ -= n;
  if (handles_ == 0) {
    std::unique_ptr<Heap> self(this);
  }
}

Heap* Heap::merge(Heap* a, Heap* b) {
  if (a->nodes_.size() < b->nodes_.size()) std::swap(a, b);
  for (Node* node : b->nodes_) a->adopt_node(node);  // counts needs_destroy_count_ too
  // b's nodes keep allocating from (and freeing to) b's arenas: they move along.
  if (b->arena_) a->absorbed_arenas_.push_back(std::move(b->arena_));
  for (auto& arena : b->absorbed_arenas_) a->absorbed_arenas_.push_back(std::move(arena));
  a->handles_ += b->handles_;
  a->paused_ = a->paused_ || b->paused_;
  b->nodes_.clear();
  b->absorbed_arenas_.clear();
  b->handles_ = 0;
  std::unique_ptr<Heap> absorbed(b);
  return a;
}

Heap* Heap::absorb(const Slot& child) {
  Heap* other = heap_of(child);
  if (other == nullptr || other == this) return this;
  return merge(this, other);
}

void Heap::maybe_collect() {
  if (!paused_ && nodes_.size() >= collect_threshold_) collect();
}

void Heap::collect() {
  if (paused_) return;
  std::vector<Node*> work;
  for (Node* node : nodes_) {
    if (node->handles > 0 && !(node->flags & marked)) {
      node->flags |= marked;
      work.push_back(node);
    }
  }
  while (!work.empty()) {
    Node* n = work.back();
    work.pop_back();
    for_each_child(n, [&](Slot& s) {
      if (s.tag != Tag::node) return;
      Node* child = s.as.node;
      if (child->flags & marked) return;
      child->flags |= marked;
      work.push_back(child);
    });
  }
  // Unmarked nodes are unreachable from any handle: destroy them (their memory goes back to
  // the arena's free lists). Freed arena blocks may come from any arena of this heap: they
  // all live exactly as long as the heap.
  std::size_t kept = 0;
  for (Node* node : nodes_) {
    if (node->flags & marked) {
      node->flags &= ~marked;
      nodes_[kept++] = node;
    } else {
      if (needs_destroy(node)) --needs_destroy_count_;
      destroy_node(node, free_arena());
    }
  }
  nodes_.resize(kept);
  collect_threshold_ = std::max<std::size_t>(1024, 2 * kept);
}

}  // namespace picklejar::detail
