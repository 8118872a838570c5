#pragma once
// Arena: the memory behind one heap's nodes and their contents.
//
// Why: a decoded pickle is thousands of small objects that are built in a burst and, most of
// the time, freed together. One malloc and one free per node (and per string, per vector)
// dominated decoding. The arena hands out memory by bumping a pointer through chunks, keeps
// freed blocks on per-size free lists for reuse (the collector frees nodes one by one in a
// heap that lives on), and releases everything at once when the heap dies.
//
// Sizes: blocks up to kSmallMax bytes come in 16-byte steps, medium blocks (vector buffers)
// in powers of two up to kMediumMax, larger ones from the global allocator. Chunks start at
// a size the creator hints (a decoder knows its input size, so a tiny value gets a tiny
// chunk) and double up to kChunk.
//
// Chunks and large blocks come from the per-thread BlockCache (block_cache.hpp), so a dead
// arena's memory serves the next decode instead of being mapped afresh.
//
// Blocks are 16-byte aligned. Not thread-safe: a heap is used by one thread at a time.

#include <array>
#include <bit>
#include <cstddef>
#include <limits>
#include <memory>
#include <new>
#include <string>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define PICKLEJAR_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PICKLEJAR_ASAN 1
#endif
#endif
#ifdef PICKLEJAR_ASAN
#include <sanitizer/asan_interface.h>
#endif

namespace picklejar::detail {

// Under AddressSanitizer, arena memory that is not handed out is poisoned, so a use after
// free inside an arena is reported like one outside it.
inline void poison(void* block, std::size_t size) noexcept {
#ifdef PICKLEJAR_ASAN
  __asan_poison_memory_region(block, size);
#else
  (void)block, (void)size;
#endif
}
inline void unpoison(void* block, std::size_t size) noexcept {
#ifdef PICKLEJAR_ASAN
  __asan_unpoison_memory_region(block, size);
#else
  (void)block, (void)size;
#endif
}

class Arena {
 public:
  explicit Arena(std::size_t first_chunk = kMinChunk) noexcept;
  ~Arena();
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  void* allocate(std::size_t bytes);
  // `bytes` must be the size given to allocate().
  void deallocate(void* block, std::size_t bytes) noexcept;

  // A cap on the memory the arena holds (chunks and large blocks, free-listed blocks
  // included): allocate() throws BudgetExceeded instead of going past it. Only the slow paths
  // that take new memory check it, so the cap costs nothing per allocation. The decoder sets
  // one for the duration of a decode (DecodeLimits::max_total_bytes).
  struct BudgetExceeded : std::bad_alloc {
    const char* what() const noexcept override { return "arena budget exceeded"; }
  };
  void set_budget(std::size_t bytes) noexcept { budget_ = bytes; }
  void clear_budget() noexcept { budget_ = std::numeric_limits<std::size_t>::max(); }
  std::size_t held_bytes() const noexcept { return held_; }

  static constexpr std::size_t kMinChunk = 512;
  static constexpr std::size_t kChunk = std::size_t{64} << 10;

 private:
  static constexpr std::size_t kGranule = 16;
  static constexpr std::size_t kSmallMax = 1024;
  static constexpr std::size_t kMediumMax = kChunk / 4;
  static constexpr std::size_t kSmallClasses = kSmallMax / kGranule + 1;
  static constexpr std::size_t kMediumClasses = 8;  // 2 KiB .. 16 KiB, and spare

  struct FreeBlock {
    FreeBlock* next;
  };
  struct LargeBlock {  // header in front of a large block; 32 bytes keeps 16-byte alignment
    LargeBlock* prev;
    LargeBlock* next;
    std::size_t size;  // the block's capacity, header included
    std::size_t unused;
  };

  // Free-list index and block size for a request.
  static std::size_t medium_class(std::size_t bytes) noexcept {
    return static_cast<std::size_t>(std::bit_width(bytes - 1)) - 11;  // 1025..2048 -> 0
  }
  void* bump(std::size_t rounded);
  void* bump_slow(std::size_t rounded);
  void* allocate_medium(std::size_t bytes);
  void* allocate_large(std::size_t bytes);
  void deallocate_large(void* block) noexcept;
  void charge(std::size_t bytes) {
    if (bytes > budget_ - std::min(held_, budget_)) throw BudgetExceeded();
  }

  std::array<FreeBlock*, kSmallClasses> small_free_{};
  std::array<FreeBlock*, kMediumClasses> medium_free_{};
  std::byte* cursor_ = nullptr;
  std::byte* limit_ = nullptr;
  struct Chunk {
    void* memory;
    std::size_t capacity;
  };
  std::vector<Chunk> chunks_;
  std::size_t next_chunk_;
  LargeBlock large_{&large_, &large_, 0, 0};  // sentinel of the large-block list
  std::size_t held_ = 0;                      // bytes of the chunks and large blocks held now
  std::size_t budget_ = std::numeric_limits<std::size_t>::max();
};

inline void* Arena::bump(std::size_t rounded) {
  if (static_cast<std::size_t>(limit_ - cursor_) < rounded) return bump_slow(rounded);
  void* block = cursor_;
  cursor_ += rounded;
  unpoison(block, rounded);
  return block;
}

inline void* Arena::allocate(std::size_t bytes) {
  if (bytes > kSmallMax) return allocate_medium(bytes);
  const std::size_t c = (bytes + kGranule - 1) / kGranule;
  if (FreeBlock* block = small_free_[c]) {
    unpoison(block, c * kGranule);
    small_free_[c] = block->next;
    return block;
  }
  return bump(c * kGranule);
}

inline void Arena::deallocate(void* block, std::size_t bytes) noexcept {
  FreeBlock** list;
  std::size_t size;
  if (bytes <= kSmallMax) {
    size = (bytes + kGranule - 1) / kGranule * kGranule;
    list = &small_free_[size / kGranule];
  } else if (bytes <= kMediumMax) {
    list = &medium_free_[medium_class(bytes)];
    size = std::size_t{2048} << medium_class(bytes);
  } else {
    return deallocate_large(block);
  }
  auto* free_block = static_cast<FreeBlock*>(block);
  free_block->next = *list;
  *list = free_block;
  poison(block, size);
}

// A standard allocator drawing from an arena, for the vectors and strings inside nodes; with
// no arena (nodes of small standalone values, see Heap) it uses the global allocator.
template <class T>
struct ArenaAllocator {
  using value_type = T;

  explicit ArenaAllocator(Arena* arena) noexcept : arena(arena) {}
  template <class U>
  ArenaAllocator(const ArenaAllocator<U>& other) noexcept : arena(other.arena) {}

  T* allocate(std::size_t n) {
    static_assert(alignof(T) <= 16, "arena blocks are 16-byte aligned");
    if (arena == nullptr) return std::allocator<T>().allocate(n);
    return static_cast<T*>(arena->allocate(n * sizeof(T)));
  }
  void deallocate(T* p, std::size_t n) noexcept {
    if (arena == nullptr) return std::allocator<T>().deallocate(p, n);
    arena->deallocate(p, n * sizeof(T));
  }

  template <class U>
  friend bool operator==(const ArenaAllocator& a, const ArenaAllocator<U>& b) noexcept {
    return a.arena == b.arena;
  }

  Arena* arena;
};

template <class T>
using ArenaVector = std::vector<T, ArenaAllocator<T>>;
using ArenaString = std::basic_string<char, std::char_traits<char>, ArenaAllocator<char>>;

}  // namespace picklejar::detail
