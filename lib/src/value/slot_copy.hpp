#pragma once
// Copying slots that may have been written a moment ago (the decoder's stack, temporaries).

#include <picklejar/value.hpp>

#include <algorithm>
#include <cstddef>

#include "arena.hpp"

namespace picklejar::detail {

// Copies a slot field by field. A slot written moments ago field by field (the decoder's
// stack, a temporary) and then copied whole is read as one 16-byte load, which the CPU cannot
// forward from the smaller stores still in flight: the load waits for them to retire. That
// stall was a fifth of the decoder's time on memoized strings and containers.
inline void copy_slot(Slot& to, const Slot& from) noexcept {
  to.tag = from.tag;
  to.aux = from.aux;
  to.as = from.as;
}
// Appends `count` slots. A long run is copied whole: only its last few slots can still be in
// flight, and a bulk copy is faster than the stall they cost.
inline void append_slots(ArenaVector<Slot>& items, const Slot* first, std::size_t count) {
  if (count > 16) {
    items.insert(items.end(), first, first + count);
    return;
  }
  if (items.capacity() - items.size() < count)
    items.reserve(std::max(items.size() + count, 2 * items.size()));
  for (std::size_t i = 0; i < count; ++i) copy_slot(items.emplace_back(), first[i]);
}

}  // namespace picklejar::detail
