#pragma once
// OrderedTable: the insertion-ordered hash table behind dict, set and frozenset, laid out like
// CPython's compact dict: entries in insertion order plus a sparse index of positions. Keys
// compare with Python equality (slot_equal); callers pass the key's hash.

#include <picklejar/value.hpp>

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "arena.hpp"

namespace picklejar::detail {

struct CompareContext;

class OrderedTable {
 public:
  struct Entry {
    Slot key;  // Tag::erased once removed; the entry stays until the next rebuild
    Slot value;
    std::size_t hash = 0;
  };

  std::size_t size() const noexcept { return live_; }
  // All entries in insertion order, erased ones included (their key has Tag::erased).
  explicit OrderedTable(Arena* arena)
      : entries_(ArenaAllocator<Entry>(arena)), index_(ArenaAllocator<std::uint32_t>(arena)) {}

  ArenaVector<Entry>& entries() noexcept { return entries_; }
  const ArenaVector<Entry>& entries() const noexcept { return entries_; }

  // `context` is the comparison this lookup is part of, if any (see equality.cpp).
  const Entry* find(const Slot& key, std::size_t hash, CompareContext* context = nullptr) const;
  Entry* find(const Slot& key, std::size_t hash, CompareContext* context = nullptr) {
    return const_cast<Entry*>(std::as_const(*this).find(key, hash, context));
  }
  // Adds `key` unless an equal key is present; returns the entry and whether it is new. A new
  // entry's value is None until the caller sets it.
  std::pair<Entry*, bool> insert(const Slot& key, std::size_t hash);
  // Adds `key` even if an equal key is present. Only the decoder does this, for keys CPython
  // kept apart although our == calls them equal (two instances with the same recipe); see
  // has_equal_keys().
  Entry* append_distinct(const Slot& key, std::size_t hash);
  bool erase(const Slot& key, std::size_t hash);
  // True once append_distinct() was used: lookups then find the first of the equal keys, and
  // comparisons go by position.
  bool has_equal_keys() const noexcept { return has_equal_keys_; }
  void clear() noexcept;
  void reserve(std::size_t n);
  // Number of times the layout changed (insert of a new key, erase, clear): lets iterators
  // notice that the table changed under them.
  std::uint64_t version() const noexcept { return version_; }

 private:
  Entry* append(const Slot& key, std::size_t hash);  // no lookup
  // Puts a new entry at the empty index slot `index` (room for it has been made).
  Entry* place(const Slot& key, std::size_t hash, std::size_t index);
  struct Probe {
    const Entry* found;       // the entry with an equal key, or nullptr
    std::size_t empty_index;  // without one: the empty index slot that ended the search
  };
  Probe probe(const Slot& key, std::size_t hash,
              CompareContext* context) const;  // index_ not empty
  void rebuild(std::size_t min_entries);
  std::size_t mask() const noexcept { return index_.size() - 1; }

  ArenaVector<Entry> entries_;
  ArenaVector<std::uint32_t> index_;  // 0 = empty slot, otherwise entry position + 1
  std::size_t live_ = 0;
  std::uint64_t version_ = 0;
  bool has_equal_keys_ = false;
};

// Python == between two slots (defined in equality.cpp). `context` links a comparison made
// by a lookup inside another comparison to the outer one.
bool slot_equal(const Slot& a, const Slot& b, CompareContext* context = nullptr);

}  // namespace picklejar::detail
