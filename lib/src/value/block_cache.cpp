#include "block_cache.hpp"

#include <array>
#include <bit>
#include <new>
#include <vector>

namespace picklejar::detail {
namespace {

constexpr std::size_t kMinBlock = std::size_t{16} << 10;    // this size and smaller: malloc
constexpr std::size_t kMaxBlock = std::size_t{64} << 20;    // larger ones are not cached
constexpr int kMinShift = 14;                               // log2(kMinBlock)
constexpr std::size_t kClasses = 4 * (26 - kMinShift + 1);  // up to 2**26 bytes

// Class of the smallest block holding `bytes`: 2**k * (4 + q) / 4 for q in 0..3.
std::size_t class_of(std::size_t bytes, std::size_t& capacity) noexcept {
  const int k = std::bit_width(bytes - 1) - 1;  // 2**k < bytes <= 2**(k+1)
  const std::size_t base = std::size_t{1} << k;
  const std::size_t step = base / 4;
  const std::size_t q = (bytes - base + step - 1) / step;  // 1..4
  capacity = base + q * step;
  return static_cast<std::size_t>(4 * (k - kMinShift) + (q - 1));
}

// Freed blocks per class, for this thread. An arena may die after the thread's cache did (a
// static Value outlives thread_local objects): a plain flag, with no destructor, says so.
enum class CacheState : unsigned char { unborn, alive, dead };
thread_local CacheState cache_state = CacheState::unborn;

struct Cache {
  Cache() noexcept { cache_state = CacheState::alive; }
  ~Cache() {
    cache_state = CacheState::dead;
    for (auto& list : free)
      for (void* block : list) ::operator delete(block);
  }
  std::array<std::vector<void*>, kClasses> free;
  std::size_t bytes = 0;
};

Cache* cache() noexcept {
  if (cache_state == CacheState::dead) return nullptr;
  thread_local Cache instance;
  return &instance;
}

}  // namespace

void* allocate_block(std::size_t bytes, std::size_t& capacity) {
  if (bytes <= kMinBlock || bytes > kMaxBlock) {
    capacity = bytes;
    return ::operator new(bytes);
  }
  const std::size_t c = class_of(bytes, capacity);
  if (Cache* cached = cache(); cached && !cached->free[c].empty()) {
    void* block = cached->free[c].back();
    cached->free[c].pop_back();
    cached->bytes -= capacity;
    return block;
  }
  return ::operator new(capacity);
}

void free_block(void* block, std::size_t capacity) noexcept {
  if (capacity > kMinBlock && capacity <= kMaxBlock) {
    Cache* cached = cache();
    if (cached && cached->bytes + capacity <= kMaxCachedBytes) {
      std::size_t check = 0;
      auto& list = cached->free[class_of(capacity, check)];
      try {
        list.push_back(block);
        cached->bytes += capacity;
        return;
      } catch (...) {  // no room to remember it: free it instead
      }
    }
  }
  ::operator delete(block);
}

}  // namespace picklejar::detail
