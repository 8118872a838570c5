#pragma once
// The encoder's memo: pointer -> memo index, an open-addressing table with linear probing.
// Every str, container and object a pickle holds goes through it once or twice, so it must
// not allocate per entry the way a node-based map does (CPython's pickler uses the same kind
// of table, Modules/_pickle.c PyMemoTable).

#include <bit>
#include <cstdint>
#include <optional>
#include <vector>

namespace picklejar::pickle {

class PointerMemo {
 public:
  PointerMemo() : slots_(kInitialCapacity) {}

  std::optional<std::uint32_t> find(const void* key) const noexcept {
    for (std::size_t i = home(key);; i = (i + 1) & mask()) {
      const Slot& s = slots_[i];
      if (s.key == key) return s.index;
      if (s.key == nullptr) return std::nullopt;
    }
  }
  bool contains(const void* key) const noexcept { return find(key).has_value(); }

  // Remembers `key` (non-null) under `index`, unless it is already there.
  void insert(const void* key, std::uint32_t index) {
    if ((size_ + 1) * 4 > slots_.size() * 3) grow();
    std::size_t i = home(key);
    for (; slots_[i].key != nullptr; i = (i + 1) & mask()) {
      if (slots_[i].key == key) return;
    }
    slots_[i] = Slot{key, index};
    ++size_;
  }

 private:
  struct Slot {
    const void* key = nullptr;
    std::uint32_t index = 0;
  };
  static constexpr std::size_t kInitialCapacity = 64;

  std::size_t mask() const noexcept { return slots_.size() - 1; }
  // Nodes are 8-byte aligned and allocated close together: multiply to spread the bits.
  std::size_t home(const void* key) const noexcept {
    const auto bits = reinterpret_cast<std::uintptr_t>(key);
    return static_cast<std::size_t>((bits * 0x9E3779B97F4A7C15ull) >> shift_) & mask();
  }
  void place(const void* key, std::uint32_t index) noexcept {
    std::size_t i = home(key);
    while (slots_[i].key != nullptr) i = (i + 1) & mask();
    slots_[i] = Slot{key, index};
  }
  void grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    shift_ = 64 - static_cast<unsigned>(std::countr_zero(slots_.size()));
    for (const Slot& s : old) {
      if (s.key != nullptr) place(s.key, s.index);
    }
  }

  std::vector<Slot> slots_;
  std::size_t size_ = 0;
  unsigned shift_ = 64 - 6;  // log2(kInitialCapacity) high bits of the product
};

}  // namespace picklejar::pickle
