#pragma once
// Heap: owns a group of nodes that may refer to each other (see node.hpp for the model), and
// the arena their memory comes from.

#include <cstring>
#include <memory>
#include <new>
#include <span>
#include <vector>

#include "arena.hpp"
#include "node.hpp"

namespace picklejar::detail {

class Heap {
 public:
  // Whether a new heap gets an arena. Decoding and deep copies build many nodes at once and
  // want one; a value built through the API (Value("x"), Value::list()) starts as a heap of
  // one node and is usually merged into another soon, so it uses the global allocator and
  // costs no arena.
  enum class Memory { global_allocator, arena };

  // A new, empty heap with no handles. It frees itself when its handle count returns to zero,
  // so the first thing a creator does is take a handle (HeapGuard or a Value).
  // `expected_bytes` sizes the arena's first chunk (a decoder passes its input size).
  static Heap* create(Memory memory = Memory::global_allocator, std::size_t expected_bytes = 0);
  // The heap a new value built through the API starts in: a heap of its own (create()), or,
  // inside begin_shared_build()/end_shared_build() on this thread (codec_core.hpp), the one
  // heap every value built there shares.
  static Heap* for_new_value();

  // Allocates a node; the heap's arena (or nullptr) is the constructor's first argument.
  template <class N, class... Args>
  N* make(Args&&... args) {
    reserve_node_slot();
    Arena* arena = arena_.get();
    void* memory = arena ? arena->allocate(sizeof(N)) : ::operator new(sizeof(N));
    N* node;
    try {
      node = ::new (memory) N(arena, std::forward<Args>(args)...);
    } catch (...) {
      arena ? arena->deallocate(memory, sizeof(N)) : ::operator delete(memory);
      throw;
    }
    if (arena) node->flags |= NodeFlag::in_arena;
    adopt_node(node);
    return node;
  }

  // A str node holding a copy of `text` (which must be valid UTF-8 with surrogatepass).
  StrNode* make_str(std::string_view text) {
    reserve_node_slot();
    const std::size_t size = StrNode::block_size(text.size());
    Arena* arena = arena_.get();
    void* memory = arena ? arena->allocate(size) : ::operator new(size);
    auto* node = ::new (memory) StrNode(text.size());
    if (!text.empty()) std::memcpy(node->data(), text.data(), text.size());
    if (arena) node->flags |= NodeFlag::in_arena;
    adopt_node(node);
    return node;
  }

  // The arena new nodes come from, or nullptr (see Memory).
  Arena* arena() const noexcept { return arena_.get(); }

  // Makes `child` (if it is a node) belong to this heap, merging its heap into this one.
  // Returns the heap that now holds both (this one or the other, whichever was larger).
  Heap* absorb(const Slot& child);

  // Collects unreachable nodes when the heap has grown enough since the last collection.
  // Roots are nodes with Value handles.
  void maybe_collect();
  void collect();

  // While paused the heap never collects: the decoder holds nodes in plain slots.
  void pause_collection(bool paused) noexcept { paused_ = paused; }

  void add_handles(std::size_t n) noexcept { handles_ += n; }
  // Drops n handles; frees the heap (and every node in it) when none remain.
  void drop_handles(std::size_t n) noexcept;

  std::size_t node_count() const noexcept { return nodes_.size(); }

  // The pickle encoder keeps its memo in the nodes (Node::memo_epoch/memo_index, see
  // pickle/node_memo.hpp): each encoder gets an epoch of its own, so what earlier encoders
  // wrote there reads as stale. Returns 0 if an encoder is already stamping this heap's nodes
  // (one started from inside another's buffer callback), which then must not.
  std::uint32_t begin_memo_stamps() noexcept;
  void end_memo_stamps() noexcept { stamping_ = false; }

  Heap(const Heap&) = delete;
  Heap& operator=(const Heap&) = delete;
  ~Heap();

 private:
  Heap(Memory memory, std::size_t expected_bytes)
      : arena_(memory == Memory::arena ? std::make_unique<Arena>(expected_bytes) : nullptr),
        nodes_(ArenaAllocator<Node*>(arena_.get())) {}
  // Makes room in nodes_ before a node is built, so that adopting it cannot throw (an arena
  // at its budget throws) and leave a constructed node that nothing would destroy.
  void reserve_node_slot() {
    if (nodes_.size() == nodes_.capacity()) [[unlikely]]
      nodes_.reserve(nodes_.empty() ? 16 : 2 * nodes_.size());
  }
  void adopt_node(Node* node) {
    node->heap = this;
    nodes_.push_back(node);
    if (needs_destroy(node)) ++needs_destroy_count_;
  }
  // Whether the node must be destroyed one by one when the heap dies (see ~Heap).
  static bool needs_destroy(const Node* node) noexcept {
    return !(node->flags & NodeFlag::in_arena) || owns_outside_arena(node);
  }
  // Where freed arena blocks go: any arena of this heap will do, they all live as long as it.
  Arena* free_arena() const noexcept {
    if (arena_) return arena_.get();
    return absorbed_arenas_.empty() ? nullptr : absorbed_arenas_.front().get();
  }
  static Heap* merge(Heap* a, Heap* b);
  // Frees a heap nothing refers to any more, or empties it and keeps it for reuse.
  static void retire(Heap* heap) noexcept;
  void destroy_nodes() noexcept;
  static constexpr std::size_t kInitialCollectThreshold = 1024;

  // Declared first so they are destroyed last: arena nodes live in them.
  std::unique_ptr<Arena> arena_;
  std::vector<std::unique_ptr<Arena>> absorbed_arenas_;  // from heaps merged into this one
  ArenaVector<Node*> nodes_;
  std::size_t needs_destroy_count_ = 0;  // nodes for which needs_destroy() holds
  std::size_t handles_ = 0;
  std::size_t collect_threshold_ = kInitialCollectThreshold;
  bool paused_ = false;
  bool stamping_ = false;         // an encoder is using the nodes' memo stamps
  std::uint32_t memo_epoch_ = 0;  // the last epoch handed out (no node carries a later one)
};

inline Heap* heap_of(const Slot& s) noexcept {
  return s.tag == Tag::node ? s.as.node->heap : nullptr;
}

// Holds a heap alive (one handle) for the duration of a scope; used while building values
// out of plain slots.
class HeapGuard {
 public:
  explicit HeapGuard(Heap::Memory memory = Heap::Memory::global_allocator,
                     std::size_t expected_bytes = 0)
      : heap_(Heap::create(memory, expected_bytes)) {
    heap_->add_handles(1);
  }
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
