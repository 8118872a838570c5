#include "arena.hpp"

#include <algorithm>
#include <new>

namespace picklejar::detail {
namespace {

using Chunk = std::unique_ptr<std::byte[]>;

// Full-size chunks of dead arenas, for the next arena of this thread (see arena.hpp).
// An arena may die after the thread's cache did (a static Value outlives thread_local
// objects), so a plain flag, which has no destructor, says whether the cache still exists.
enum class CacheState : unsigned char { unborn, alive, dead };
thread_local CacheState cache_state = CacheState::unborn;

struct ChunkCache {
  ChunkCache() noexcept { cache_state = CacheState::alive; }
  ~ChunkCache() { cache_state = CacheState::dead; }
  std::vector<Chunk> chunks;
};

std::vector<Chunk>* chunk_cache() {
  if (cache_state == CacheState::dead) return nullptr;
  thread_local ChunkCache cache;
  return &cache.chunks;
}

Chunk new_chunk(std::size_t size) {
  if (size == Arena::kChunk) {
    auto* cached = chunk_cache();
    if (cached && !cached->empty()) {
      Chunk chunk = std::move(cached->back());
      cached->pop_back();
      return chunk;
    }
  }
  return std::make_unique_for_overwrite<std::byte[]>(size);
}

}  // namespace

Arena::Arena(std::size_t first_chunk) noexcept
    : next_chunk_(std::clamp(std::bit_ceil(first_chunk), kMinChunk, kChunk)) {}

Arena::~Arena() {
  while (large_.next != &large_) deallocate_large(large_.next + 1);
  // Only full-size chunks are worth keeping; they are the ones a big decode takes.
  auto* cached = chunk_cache();
  for (auto& chunk : chunks_) {
    if (cached && chunk.size == kChunk && cached->size() < kCachedChunks) {
      cached->push_back(std::move(chunk.memory));
    }
  }
}

void* Arena::bump_slow(std::size_t rounded) {
  // The tail of the old chunk is abandoned (at most kMediumMax bytes).
  const std::size_t size = std::max(next_chunk_, rounded);
  chunks_.push_back({new_chunk(size), size});
  cursor_ = chunks_.back().memory.get();
  limit_ = cursor_ + size;
  next_chunk_ = std::min(next_chunk_ * 2, kChunk);
  void* block = cursor_;
  cursor_ += rounded;
  return block;
}

void* Arena::allocate_medium(std::size_t bytes) {
  if (bytes > kMediumMax) return allocate_large(bytes);
  const std::size_t c = medium_class(bytes);
  if (FreeBlock* block = medium_free_[c]) {
    medium_free_[c] = block->next;
    return block;
  }
  return bump(std::size_t{2048} << c);
}

void* Arena::allocate_large(std::size_t bytes) {
  auto* header = static_cast<LargeBlock*>(::operator new(sizeof(LargeBlock) + bytes));
  header->size = bytes;
  header->prev = &large_;
  header->next = large_.next;
  large_.next->prev = header;
  large_.next = header;
  return header + 1;
}

void Arena::deallocate_large(void* block) noexcept {
  auto* header = static_cast<LargeBlock*>(block) - 1;
  header->prev->next = header->next;
  header->next->prev = header->prev;
  ::operator delete(header);
}

}  // namespace picklejar::detail
