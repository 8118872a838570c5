#pragma once
// NodeMap<T>: a hash map from node addresses to small values, with open addressing in one
// array. The JSON walks look up every node of a graph once or twice; std::unordered_map's
// allocation per entry was most of to_json()'s time.

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "../value/node.hpp"

namespace picklejar::json {

template <class T>
class NodeMap {
 public:
  // The value of `key`, inserted as T{} if absent. Inserting may move every value: a returned
  // pointer or reference is valid until the next insertion.
  T& operator[](const detail::Node* key) { return *try_emplace(key, T{}).first; }

  // Inserts `value` unless `key` is present; the entry's value and whether it was inserted.
  std::pair<T*, bool> try_emplace(const detail::Node* key, T value) {
    if ((size_ + 1) * 4 > entries_.size() * 3) grow();
    Entry& e = slot(key);
    if (e.key == key) return {&e.value, false};
    e.key = key;
    e.value = std::move(value);
    ++size_;
    return {&e.value, true};
  }

  T* find(const detail::Node* key) {
    if (entries_.empty()) return nullptr;
    Entry& e = slot(key);
    return e.key == key ? &e.value : nullptr;
  }
  const T* find(const detail::Node* key) const { return const_cast<NodeMap*>(this)->find(key); }

 private:
  struct Entry {
    const detail::Node* key = nullptr;
    T value{};
  };

  // The entry holding `key`, or the empty one where it would go.
  Entry& slot(const detail::Node* key) {
    const std::size_t mask = entries_.size() - 1;
    // Fibonacci hashing: node addresses differ mostly in their middle bits.
    std::size_t i = (reinterpret_cast<std::uintptr_t>(key) * 0x9E3779B97F4A7C15ull) >> shift_;
    while (entries_[i].key != nullptr && entries_[i].key != key) i = (i + 1) & mask;
    return entries_[i];
  }

  void grow() {
    std::vector<Entry> old = std::move(entries_);
    const std::size_t capacity = old.empty() ? 64 : old.size() * 2;
    entries_.assign(capacity, Entry{});
    shift_ = 64 - static_cast<unsigned>(__builtin_ctzll(capacity));
    for (Entry& e : old) {
      if (e.key != nullptr) slot(e.key) = std::move(e);
    }
  }

  std::vector<Entry> entries_;
  std::size_t size_ = 0;
  unsigned shift_ = 64;
};

}  // namespace picklejar::json
