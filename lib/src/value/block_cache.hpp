#pragma once
// BlockCache: large blocks (arena chunks, big vectors' buffers) kept per thread for reuse.
//
// Why: glibc maps blocks of 128 KiB and more afresh on every allocation and trims freed memory
// back to the kernel, so a program decoding one pickle after another paid a page fault for
// every 4 KiB of each big list, dict or memo -- more time in the kernel than in the decoder.
// Blocks come in size classes (four per power of two, so at most 25% is wasted), freed blocks
// wait in the class's list, and the cache holds at most kMaxCachedBytes per thread. It is
// allocator state, like malloc's own per-thread caches, invisible to callers.

#include <cstddef>

namespace picklejar::detail {

// A block of at least `bytes` (16-byte aligned); `capacity` receives its real size, which
// must be passed back to free_block().
void* allocate_block(std::size_t bytes, std::size_t& capacity);
void free_block(void* block, std::size_t capacity) noexcept;

inline constexpr std::size_t kMaxCachedBytes = std::size_t{64} << 20;

}  // namespace picklejar::detail
