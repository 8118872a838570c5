#include "arena.hpp"

#include <algorithm>
#include <new>

#include "block_cache.hpp"

namespace picklejar::detail {

Arena::Arena(std::size_t first_chunk) noexcept
    : next_chunk_(std::clamp(std::bit_ceil(first_chunk), kMinChunk, kChunk)) {}

Arena::~Arena() {
  while (large_.next != &large_) deallocate_large(large_.next + 1);
  for (const Chunk& chunk : chunks_) {
    unpoison(chunk.memory, chunk.capacity);
    free_block(chunk.memory, chunk.capacity);
  }
}

void* Arena::bump_slow(std::size_t rounded) {
  // The tail of the old chunk is abandoned (at most kMediumMax bytes).
  const std::size_t size = std::max(next_chunk_, rounded);
  charge(size);
  chunks_.reserve(chunks_.size() + 1);  // so that the push below cannot throw
  Chunk chunk;
  chunk.memory = allocate_block(size, chunk.capacity);
  chunks_.push_back(chunk);
  held_ += chunk.capacity;
  cursor_ = static_cast<std::byte*>(chunk.memory);
  poison(chunk.memory, chunk.capacity);  // unpoisoned block by block as bump() hands it out
  limit_ = cursor_ + size;
  next_chunk_ = std::min(next_chunk_ * 2, kChunk);
  void* block = cursor_;
  cursor_ += rounded;
  unpoison(block, rounded);
  return block;
}

void* Arena::allocate_medium(std::size_t bytes) {
  if (bytes > kMediumMax) return allocate_large(bytes);
  const std::size_t c = medium_class(bytes);
  if (FreeBlock* block = medium_free_[c]) {
    unpoison(block, std::size_t{2048} << c);
    medium_free_[c] = block->next;
    return block;
  }
  return bump(std::size_t{2048} << c);
}

void* Arena::allocate_large(std::size_t bytes) {
  charge(sizeof(LargeBlock) + bytes);
  std::size_t capacity = 0;
  auto* header = static_cast<LargeBlock*>(allocate_block(sizeof(LargeBlock) + bytes, capacity));
  held_ += capacity;
  header->size = capacity;
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
  held_ -= header->size;
  free_block(header, header->size);
}

}  // namespace picklejar::detail
