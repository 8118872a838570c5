#pragma once
// The encoder's memo: pointer -> memo index, an open-addressing table with linear probing.
// Every str, container and object a pickle holds goes through it once or twice, so it must
// not allocate per entry the way a node-based map does (CPython's pickler uses the same kind
// of table, Modules/_pickle.c PyMemoTable).
//
// Growing a table from nothing on every dumps() costs more than the lookups, so each thread
// keeps its last table (up to kMaxKeptCapacity slots) for the next encoder. Slots carry the
// generation they were written in: a kept table is emptied by starting a new generation, not
// by clearing it. A table in use belongs to one encoder only (an encoder started meanwhile
// on the same thread, say from a buffer callback, gets a new one).

#include <algorithm>
#include <bit>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace picklejar::pickle {

class PointerMemo {
 public:
  PointerMemo() {
    if (Kept* kept = kept_table(); kept != nullptr && !kept->slots.empty()) {
      slots_.swap(kept->slots);
      if (kept->generation == UINT32_MAX) {  // generations ran out: clear it once
        std::fill(slots_.begin(), slots_.end(), Slot{});
      } else {
        generation_ = kept->generation + 1;
      }
    } else {
      slots_.assign(kInitialCapacity, Slot{});
    }
    log2_capacity_ = static_cast<unsigned>(std::countr_zero(slots_.size()));
  }
  ~PointerMemo() {
    Kept* kept = kept_table();
    if (kept != nullptr && slots_.size() <= kMaxKeptCapacity &&
        slots_.size() >= kept->slots.size()) {
      kept->slots.swap(slots_);
      kept->generation = generation_;
    }
  }
  PointerMemo(const PointerMemo&) = delete;
  PointerMemo& operator=(const PointerMemo&) = delete;

  std::optional<std::uint32_t> find(const void* key) const noexcept {
    for (std::size_t i = home(key);; i = (i + 1) & mask()) {
      const Slot& s = slots_[i];
      if (s.generation != generation_) return std::nullopt;
      if (s.key == key) return s.index;
    }
  }
  bool contains(const void* key) const noexcept { return find(key).has_value(); }

  // Remembers `key` (non-null) under `index`, unless it is already there.
  void insert(const void* key, std::uint32_t index) {
    if ((size_ + 1) * 2 > slots_.size()) grow();  // at most half full: short probes
    std::size_t i = home(key);
    for (; slots_[i].generation == generation_; i = (i + 1) & mask()) {
      if (slots_[i].key == key) return;
    }
    slots_[i] = Slot{key, index, generation_};
    ++size_;
  }

 private:
  struct Slot {
    const void* key = nullptr;
    std::uint32_t index = 0;
    std::uint32_t generation = 0;  // the slot is in use when this is the table's generation
  };
  struct Kept {
    std::vector<Slot> slots;
    std::uint32_t generation = 0;
    ~Kept() { gone() = true; }
    // Set once this thread's table is destroyed (at thread exit): an encoder running after
    // that, from another thread-local's destructor, neither uses nor keeps one.
    static bool& gone() noexcept {
      thread_local bool flag = false;  // trivially destructible: readable until the very end
      return flag;
    }
  };
  static constexpr std::size_t kInitialCapacity = 64;
  static constexpr std::size_t kMaxKeptCapacity = std::size_t{1} << 16;  // 1 MiB of slots

  static Kept* kept_table() noexcept {
    if (Kept::gone()) return nullptr;
    thread_local Kept kept;
    return &kept;
  }

  std::size_t mask() const noexcept { return slots_.size() - 1; }
  // Nodes are allocated one after the other and written in about the order they were
  // allocated: a home that follows the address (in 16-byte steps; nodes are at least 24
  // bytes apart) keeps one pickle's probes walking the table forwards through few cache
  // lines instead of jumping (on the bench payloads, 8-byte steps measured 1.5-2x slower).
  // The higher bits folded in keep nodes a multiple of the table's span
  // apart from all landing on one home.
  std::size_t home(const void* key) const noexcept {
    const auto bits = reinterpret_cast<std::uintptr_t>(key) >> 4;
    return static_cast<std::size_t>(bits ^ (bits >> log2_capacity_)) & mask();
  }
  void grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    const std::uint32_t old_generation = std::exchange(generation_, 1);
    log2_capacity_ = static_cast<unsigned>(std::countr_zero(slots_.size()));
    for (const Slot& s : old) {
      if (s.generation != old_generation) continue;
      std::size_t i = home(s.key);
      while (slots_[i].generation == generation_) i = (i + 1) & mask();
      slots_[i] = Slot{s.key, s.index, generation_};
    }
  }

  std::vector<Slot> slots_;
  std::size_t size_ = 0;
  std::uint32_t generation_ = 1;  // a new table's slots are all generation 0: empty
  unsigned log2_capacity_ = 0;
};

}  // namespace picklejar::pickle
