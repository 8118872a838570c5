#include "heap.hpp"

#include <algorithm>
#include <utility>

namespace picklejar::detail {

Heap* Heap::create() {
  // The heap owns itself through its handle count (see drop_handles).
  return std::unique_ptr<Heap>(new Heap()).release();
}

void Heap::drop_handles(std::size_t n) noexcept {
  handles_ -= n;
  if (handles_ == 0) {
    // Nodes hold no owning references, so freeing them is a flat loop whatever the shape.
    std::unique_ptr<Heap> self(this);
  }
}

void Heap::adopt_node(std::unique_ptr<Node> node) {
  node->heap = this;
  node->heap_index = static_cast<std::uint32_t>(nodes_.size());
  nodes_.push_back(std::move(node));
}

Heap* Heap::merge(Heap* a, Heap* b) {
  if (a->nodes_.size() < b->nodes_.size()) std::swap(a, b);
  for (auto& node : b->nodes_) a->adopt_node(std::move(node));
  a->handles_ += b->handles_;
  a->paused_ = a->paused_ || b->paused_;
  b->nodes_.clear();
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
  for (auto& node : nodes_) {
    if (node->handles > 0 && !(node->flags & marked)) {
      node->flags |= marked;
      work.push_back(node.get());
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
  std::size_t kept = 0;
  for (auto& node : nodes_) {
    if (node->flags & marked) {
      node->flags &= ~marked;
      node->heap_index = static_cast<std::uint32_t>(kept);
      nodes_[kept++] = std::move(node);
    }
  }
  nodes_.resize(kept);  // destroys the unmarked nodes
  collect_threshold_ = std::max<std::size_t>(1024, 2 * kept);
}

}  // namespace picklejar::detail
