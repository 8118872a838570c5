#include "heap.hpp"

#include <picklejar/codec_core.hpp>  // begin/end_shared_build, exported for its templates

#include <algorithm>
#include <memory>
#include <utility>

namespace picklejar::detail {

namespace {

// The thread-locals below are read for every value built. In a shared library the default TLS
// model calls __tls_get_addr on each access; initial-exec reads them at a fixed offset from
// the thread pointer (a few dozen bytes of the static TLS that glibc also keeps for dlopen).

// Every Value built through the API (Value("x"), to_value() of a struct's fields) starts as a
// heap of its own, merged into its container's soon after: a thread keeps a few emptied small
// heaps for reuse rather than allocate and free one (and its node list) every time.
class SpareHeaps {
 public:
  static SpareHeaps* of_this_thread() noexcept {
    if (gone()) return nullptr;
    [[gnu::tls_model("initial-exec")]] thread_local SpareHeaps spares;
    return &spares;
  }
  Heap* take() noexcept { return count_ > 0 ? heaps_[--count_].release() : nullptr; }
  // Takes `heap` (empty) if there is room.
  void keep(std::unique_ptr<Heap>& heap) noexcept {
    if (count_ < kMax) heaps_[count_++] = std::move(heap);
  }
  ~SpareHeaps() { gone() = true; }

 private:
  // Set when this thread's spares are destroyed (thread exit): heaps dying after that, in
  // other thread-locals' destructors, are freed instead. Trivially destructible, so it can
  // still be read then.
  static bool& gone() noexcept {
    [[gnu::tls_model("initial-exec")]] thread_local bool flag = false;
    return flag;
  }
  static constexpr int kMax = 64;
  std::unique_ptr<Heap> heaps_[kMax];
  int count_ = 0;
};

struct SharedBuildState {
  int depth = 0;         // SharedBuild scopes alive on this thread
  Heap* heap = nullptr;  // the shared heap, once a value was built (holds one handle)
};
SharedBuildState& shared_build() noexcept {
  [[gnu::tls_model("initial-exec")]] thread_local SharedBuildState state;  // trivially destructible
  return state;
}

}  // namespace

void begin_shared_build() noexcept { ++shared_build().depth; }

void end_shared_build() noexcept {
  SharedBuildState& state = shared_build();
  if (--state.depth > 0 || state.heap == nullptr) return;
  std::exchange(state.heap, nullptr)->drop_handles(1);
}

Heap* Heap::for_new_value() {
  SharedBuildState& state = shared_build();
  if (state.depth == 0) return create(Memory::global_allocator);
  if (state.heap == nullptr) {
    state.heap = create(Memory::arena);
    state.heap->add_handles(1);
  }
  return state.heap;
}

Heap* Heap::create(Memory memory, std::size_t expected_bytes) {
  if (memory == Memory::global_allocator) {
    if (SpareHeaps* spares = SpareHeaps::of_this_thread()) {
      if (Heap* heap = spares->take()) return heap;
    }
  }
  // The heap owns itself through its handle count (see drop_handles).
  return std::unique_ptr<Heap>(new Heap(memory, expected_bytes)).release();
}

Heap::~Heap() { destroy_nodes(); }

void Heap::destroy_nodes() noexcept {
  // Arena nodes and their contents go with the arenas in one go; only what they hold outside
  // an arena needs their destructor. Other nodes are freed one by one.
  if (needs_destroy_count_ == 0) return;  // a decoded value of plain data: nothing to do
  for (Node* node : nodes_) {
    if (needs_destroy(node)) destroy_node(node, nullptr);
  }
  needs_destroy_count_ = 0;
}

void Heap::retire(Heap* heap) noexcept {
  std::unique_ptr<Heap> owned(heap);
  // Only small heaps born without an arena are kept: they are the API's one-node heaps. (A
  // heap that had one and gave it away in a merge still lists its nodes in that arena.)
  if (heap->nodes_.get_allocator().arena != nullptr || heap->arena_ ||
      !heap->absorbed_arenas_.empty() || heap->nodes_.capacity() > 16)
    return;
  SpareHeaps* spares = SpareHeaps::of_this_thread();
  if (spares == nullptr) return;
  heap->destroy_nodes();
  heap->nodes_.clear();
  heap->handles_ = 0;
  heap->collect_threshold_ = kInitialCollectThreshold;
  heap->paused_ = false;
  heap->stamping_ = false;
  heap->memo_epoch_ = 0;  // it has no nodes left that could carry a stamp
  spares->keep(owned);
}

void Heap::drop_handles(std::size_t n) noexcept {
  handles_ -= n;
  if (handles_ == 0) retire(this);
}

Heap* Heap::merge(Heap* a, Heap* b) {
  if (a->nodes_.size() < b->nodes_.size()) std::swap(a, b);
  if (b == shared_build().heap) std::swap(a, b);     // a SharedBuild's heap stays where it is
  for (Node* node : b->nodes_) a->adopt_node(node);  // counts needs_destroy_count_ too
  // b's nodes keep allocating from (and freeing to) b's arenas: they move along.
  if (b->arena_) a->absorbed_arenas_.push_back(std::move(b->arena_));
  for (auto& arena : b->absorbed_arenas_) a->absorbed_arenas_.push_back(std::move(arena));
  a->handles_ += b->handles_;
  a->paused_ = a->paused_ || b->paused_;
  // b's nodes keep their stamps: the next epoch must be later than any of them.
  a->memo_epoch_ = std::max(a->memo_epoch_, b->memo_epoch_);
  a->stamping_ = a->stamping_ || b->stamping_;
  b->nodes_.clear();
  b->absorbed_arenas_.clear();
  b->handles_ = 0;
  retire(b);
  return a;
}

std::uint32_t Heap::begin_memo_stamps() noexcept {
  if (stamping_) return 0;
  stamping_ = true;
  if (memo_epoch_ == UINT32_MAX) {  // epochs ran out: forget every stamp and start again
    for (Node* node : nodes_) node->memo_epoch = 0;
    memo_epoch_ = 0;
  }
  return ++memo_epoch_;
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
  collect_threshold_ = std::max(kInitialCollectThreshold, 2 * kept);
}

}  // namespace picklejar::detail
