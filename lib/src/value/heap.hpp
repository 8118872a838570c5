#pragma once
// Heap: owns a group of nodes that may refer to each other (see node.hpp for the model).

#include <memory>
#include <span>
#include <vector>

#include "node.hpp"

namespace picklejar::detail {

class Heap {
 public:
  // A new, empty heap with no handles. It frees itself when its handle count returns to zero,
  // so the first thing a creator does is take a handle (HeapGuard or a Value).
  static Heap* create();

  // Allocates a node in this heap.
  template <class N, class... Args>
  N* make(Args&&... args) {
    auto owned = std::make_unique<N>(std::forward<Args>(args)...);
    N* raw = owned.get();
    adopt_node(std::move(owned));
    return raw;
  }
  Node* adopt(std::unique_ptr<Node> node) {
    Node* raw = node.get();
    adopt_node(std::move(node));
    return raw;
  }

  // Makes `child` (if it is a node) belong to this heap, merging its heap into this one.
  // Returns the heap that now holds both (this one or the other, whichever was larger).
  Heap* absorb(const Slot& child);

  // Collects unreachable nodes when the heap has grown enough since the last collection.
  // Roots are nodes with Value handles plus `extra_roots`.
  void maybe_collect();
  void collect();

  // While paused the heap never collects: the decoder holds nodes in plain slots.
  void pause_collection(bool paused) noexcept { paused_ = paused; }

  void add_handles(std::size_t n) noexcept { handles_ += n; }
  // Drops n handles; frees the heap (and every node in it) when none remain.
  void drop_handles(std::size_t n) noexcept;

  std::size_t node_count() const noexcept { return nodes_.size(); }

 private:
  Heap() = default;
  void adopt_node(std::unique_ptr<Node> node);
  static Heap* merge(Heap* a, Heap* b);

  std::vector<std::unique_ptr<Node>> nodes_;
  std::size_t handles_ = 0;
  std::size_t collect_threshold_ = 1024;
  bool paused_ = false;
};

inline Heap* heap_of(const Slot& s) noexcept {
  return s.tag == Tag::node ? s.as.node->heap : nullptr;
}

// Holds a heap alive (one handle) for the duration of a scope; used while building values
// out of plain slots.
class HeapGuard {
 public:
  HeapGuard() : heap_(Heap::create()) { heap_->add_handles(1); }
  explicit HeapGuard(Heap* existing) : heap_(existing) { heap_->add_handles(1); }
  ~HeapGuard() { heap_->drop_handles(1); }
  HeapGuard(const HeapGuard&) = delete;
  HeapGuard& operator=(const HeapGuard&) = delete;

  Heap* get() const noexcept { return heap_; }
  Heap* operator->() const noexcept { return heap_; }
  // A merge moves the guard's handle to the surviving heap (this one or the other).
  void follow(Heap* survivor) noexcept { heap_ = survivor; }

 private:
  Heap* heap_;
};

}  // namespace picklejar::detail
