#include "ordered_table.hpp"

#include <bit>

#include <picklejar/error.hpp>

#include "slot_copy.hpp"

namespace picklejar::detail {
namespace {
constexpr std::size_t kMinIndex = 8;
// Identity or bitwise-equal immediates: equal without a full comparison (as CPython checks
// `is` before ==). NaN is the exception: a float NaN is never equal, even to itself.
bool trivially_equal(const Slot& a, const Slot& b) noexcept {
  if (a.tag != b.tag) return false;
  switch (a.tag) {
    case Tag::node:
      return a.as.node == b.as.node;
    case Tag::small_int:
      return a.as.small_int == b.as.small_int;
    case Tag::boolean:
      return a.as.boolean == b.as.boolean;
    case Tag::none:
      return true;
    default:
      return false;
  }
}
// Python's numeric hashes are the numbers themselves; spread them before masking.
std::size_t spread(std::size_t h) noexcept {
  h ^= h >> 31;
  h *= 0x9E3779B97F4A7C15ull;
  return h ^ (h >> 29);
}
}  // namespace

OrderedTable::Probe OrderedTable::probe(const Slot& key, std::size_t hash,
                                        CompareContext* context) const {
  for (std::size_t i = spread(hash) & mask();; i = (i + 1) & mask()) {
    const std::uint32_t slot = index_[i];
    if (slot == 0) return {nullptr, i};
    const Entry& e = entries_[slot - 1];
    if (e.key.tag == Tag::erased || e.hash != hash) continue;
    if (trivially_equal(e.key, key) || slot_equal(e.key, key, context)) return {&e, i};
  }
}

const OrderedTable::Entry* OrderedTable::find(const Slot& key, std::size_t hash,
                                              CompareContext* context) const {
  if (index_.empty()) return nullptr;
  return probe(key, hash, context).found;
}

// One probe sequence for both the lookup and the new entry: the empty index slot that ends
// an unsuccessful lookup is where append() would put the key.
std::pair<OrderedTable::Entry*, bool> OrderedTable::insert(const Slot& key, std::size_t hash) {
  if (index_.empty()) return {append(key, hash), true};
  const Probe p = probe(key, hash, nullptr);
  if (p.found != nullptr) return {const_cast<Entry*>(p.found), false};
  if ((entries_.size() + 1) * 2 > index_.size()) return {append(key, hash), true};
  return {place(key, hash, p.empty_index), true};
}

OrderedTable::Entry* OrderedTable::append_distinct(const Slot& key, std::size_t hash) {
  if (find(key, hash) != nullptr) has_equal_keys_ = true;
  return append(key, hash);
}

OrderedTable::Entry* OrderedTable::append(const Slot& key, std::size_t hash) {
  Slot own;  // `key` may live in entries_, which rebuild() compacts
  copy_slot(own, key);
  if ((entries_.size() + 1) * 2 > index_.size()) rebuild(entries_.size() + 1);
  for (std::size_t i = spread(hash) & mask();; i = (i + 1) & mask()) {
    if (index_[i] == 0) return place(own, hash, i);
  }
}

OrderedTable::Entry* OrderedTable::place(const Slot& key, std::size_t hash, std::size_t index) {
  if (entries_.size() >= UINT32_MAX - 1) throw LimitError(std::nullopt, "hash table is full");
  Slot own;             // `key` may live in entries_, which emplace_back() may move
  copy_slot(own, key);  // field by field: `key` may have been written just now
  Entry& e = entries_.emplace_back();
  copy_slot(e.key, own);
  e.hash = hash;
  index_[index] = static_cast<std::uint32_t>(entries_.size());
  ++live_;
  ++version_;
  return &e;
}

bool OrderedTable::erase(const Slot& key, std::size_t hash) {
  Entry* e = find(key, hash);
  if (e == nullptr) return false;
  e->key.tag = Tag::erased;
  e->value = Slot{};
  --live_;
  ++version_;
  // Keep erased entries from dominating: compact when more than half are dead.
  if (live_ * 2 < entries_.size() && entries_.size() > kMinIndex) rebuild(live_);
  return true;
}

void OrderedTable::clear() noexcept {
  entries_.clear();
  index_.clear();
  live_ = 0;
  has_equal_keys_ = false;
  ++version_;
}

void OrderedTable::reserve(std::size_t n) {
  if (n * 2 > index_.size()) rebuild(n);
  // Grow geometrically even when asked batch by batch (SETITEMS), or every batch would copy
  // all the entries so far.
  if (n > entries_.capacity()) entries_.reserve(std::max(n, 2 * entries_.capacity()));
}

void OrderedTable::rebuild(std::size_t min_entries) {
  std::erase_if(entries_, [](const Entry& e) { return e.key.tag == Tag::erased; });
  const std::size_t wanted = std::max(min_entries, entries_.size());
  std::size_t capacity = std::bit_ceil(std::max(kMinIndex, wanted * 2 + 1));
  index_.assign(capacity, 0);
  for (std::size_t pos = 0; pos < entries_.size(); ++pos) {
    for (std::size_t i = spread(entries_[pos].hash) & mask();; i = (i + 1) & mask()) {
      if (index_[i] == 0) {
        index_[i] = static_cast<std::uint32_t>(pos + 1);
        break;
      }
    }
  }
  ++version_;
}

}  // namespace picklejar::detail
