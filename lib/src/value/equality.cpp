// Python == over value graphs, without recursion on the C stack: pairs still to compare go on
// a work list, and pairs of nodes already being compared are assumed equal (which makes shared
// structures linear and cyclic ones terminate).
//
// Dict and set comparison look keys up in the other table, and a lookup compares keys with a
// comparison of its own. Those nested comparisons start fresh (they assume nothing from the
// outer one), so their results are facts: the CompareContext caches them for the whole
// comparison, which keeps keys shared across a DAG from being compared again and again.

#include <cmath>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <picklejar/error.hpp>

#include "bigint.hpp"
#include "node.hpp"
#include "ordered_table.hpp"

namespace picklejar::detail {
namespace {

// Keys inside keys (frozensets of tuples of frozensets...) open one nested comparison per
// level; real data never nests keys this deep.
constexpr unsigned kMaxLookupNesting = 200;
// Pairs compared by nested comparisons, all together. With the cache, shared keys cost
// linear time; this only bounds what a hostile structure could still make of it.
constexpr std::size_t kMaxNestedSteps = 50'000'000;

bool is_numeric(Kind k) noexcept {
  return k == Kind::boolean || k == Kind::integer || k == Kind::floating;
}

std::optional<std::int64_t> small_int_of(const Slot& s) noexcept {
  if (s.tag == Tag::boolean) return s.as.boolean ? 1 : 0;
  if (s.tag == Tag::small_int) return s.as.small_int;
  return std::nullopt;
}

bool float_equals_int(double f, const Slot& i) {
  if (!std::isfinite(f) || std::trunc(f) != f) return false;
  if (auto small = small_int_of(i)) {
    // Integral doubles in [-2**63, 2**63) convert exactly; others are beyond any int64.
    if (f >= -0x1p63 && f < 0x1p63) return static_cast<std::int64_t>(f) == *small;
    return false;
  }
  const auto exact = BigInt::from_double(f);
  return exact && *exact == as_bigint(i.as.node).value;
}

bool numeric_equal(const Slot& a, const Slot& b) {
  if (a.tag == Tag::floating && b.tag == Tag::floating) return a.as.floating == b.as.floating;
  if (a.tag == Tag::floating) return float_equals_int(a.as.floating, b);
  if (b.tag == Tag::floating) return float_equals_int(b.as.floating, a);
  const auto sa = small_int_of(a), sb = small_int_of(b);
  if (sa && sb) return *sa == *sb;
  if (sa || sb) return false;  // big ints never fit in int64
  return as_bigint(a.as.node).value == as_bigint(b.as.node).value;
}

std::span<const std::byte> byte_view(const Slot& s) { return as_bytes(s.as.node).view(); }

struct PairHash {
  std::size_t operator()(const std::pair<Node*, Node*>& p) const noexcept {
    return std::hash<Node*>{}(p.first) * 31 + std::hash<Node*>{}(p.second);
  }
};

}  // namespace

struct CompareContext {
  unsigned nesting = 0;
  std::size_t nested_steps = 0;
  std::unordered_map<std::pair<Node*, Node*>, bool, PairHash> results;
};

namespace {

class Comparison {
 public:
  explicit Comparison(CompareContext& context) : context_(context) {}

  bool run(const Slot& a, const Slot& b) {
    work_.emplace_back(a, b);
    while (!work_.empty()) {
      auto [x, y] = work_.back();
      work_.pop_back();
      if (context_.nesting > 0 && ++context_.nested_steps > kMaxNestedSteps) {
        throw LimitError(std::nullopt, "comparison of dict keys or set members took more than " +
                                           std::to_string(kMaxNestedSteps) + " steps");
      }
      if (!step(x, y)) return false;
    }
    return true;
  }

 private:
  bool step(const Slot& a, const Slot& b) {
    if (a.tag == Tag::node && b.tag == Tag::node && a.as.node == b.as.node) return true;
    const Kind ka = slot_kind(a), kb = slot_kind(b);
    if (is_numeric(ka) && is_numeric(kb)) return numeric_equal(a, b);
    if (ka == Kind::none || kb == Kind::none) return ka == kb;
    if (a.tag != Tag::node || b.tag != Tag::node) return false;
    Node* x = a.as.node;
    Node* y = b.as.node;
    const bool bytes_a = ka == Kind::bytes || ka == Kind::bytearray;
    const bool bytes_b = kb == Kind::bytes || kb == Kind::bytearray;
    if (bytes_a && bytes_b) {
      auto va = byte_view(a), vb = byte_view(b);
      return va.size() == vb.size() && std::equal(va.begin(), va.end(), vb.begin());
    }
    const bool set_a = ka == Kind::set || ka == Kind::frozenset;
    const bool set_b = kb == Kind::set || kb == Kind::frozenset;
    if (!(set_a && set_b) && ka != kb) return false;
    if (ka == Kind::str) return as_str(x).text() == as_str(y).text();
    if (!seen_.emplace(x, y).second) return true;  // already compared or in progress
    switch (ka) {
      case Kind::list:
      case Kind::tuple:
        return sequences(as_sequence(x).items, as_sequence(y).items);
      case Kind::dict:
        return dicts(as_table(x), as_table(y));
      case Kind::set:
      case Kind::frozenset:
        return sets(as_table(x).table, as_table(y).table);
      case Kind::global:
        return globals(as_global(x), as_global(y));
      case Kind::object:
        return objects(as_object(x), as_object(y));
      default:
        return false;
    }
  }

  bool sequences(std::span<const Slot> a, std::span<const Slot> b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = a.size(); i-- > 0;) work_.emplace_back(a[i], b[i]);
    return true;
  }

  bool dicts(const TableNode& a, const TableNode& b) {
    if (a.table.size() != b.table.size()) return false;
    // OrderedDict == OrderedDict minds the order. A table holding keys that compare equal
    // (instances CPython kept apart, see OrderedTable::append_distinct) cannot be matched by
    // lookup either, so it is compared by position.
    if ((a.flavor == DictFlavor::ordered_dict && b.flavor == DictFlavor::ordered_dict) ||
        a.table.has_equal_keys() || b.table.has_equal_keys()) {
      return ordered_dicts(a.table, b.table);
    }
    for (const auto& e : a.table.entries()) {
      if (e.key.tag == Tag::erased) continue;
      const auto* match = b.table.find(e.key, e.hash, &context_);
      if (match == nullptr) return false;
      work_.emplace_back(e.value, match->value);
    }
    return true;
  }

  bool ordered_dicts(const OrderedTable& a, const OrderedTable& b) {
    std::vector<const OrderedTable::Entry*> live_b;
    for (const auto& e : b.entries()) {
      if (e.key.tag != Tag::erased) live_b.push_back(&e);
    }
    std::size_t i = 0;
    for (const auto& e : a.entries()) {
      if (e.key.tag == Tag::erased) continue;
      work_.emplace_back(e.key, live_b[i]->key);
      work_.emplace_back(e.value, live_b[i]->value);
      ++i;
    }
    return true;
  }

  bool sets(const OrderedTable& a, const OrderedTable& b) {
    if (a.size() != b.size()) return false;
    if (a.has_equal_keys() || b.has_equal_keys()) return ordered_members(a, b);
    for (const auto& e : a.entries()) {
      if (e.key.tag == Tag::erased) continue;
      if (b.find(e.key, e.hash, &context_) == nullptr) return false;
    }
    return true;
  }

  bool ordered_members(const OrderedTable& a, const OrderedTable& b) {
    std::vector<const Slot*> live_b;
    for (const auto& e : b.entries()) {
      if (e.key.tag != Tag::erased) live_b.push_back(&e.key);
    }
    std::size_t i = 0;
    for (const auto& e : a.entries()) {
      if (e.key.tag != Tag::erased) work_.emplace_back(e.key, *live_b[i++]);
    }
    return true;
  }

  bool globals(const GlobalNode& a, const GlobalNode& b) {
    work_.emplace_back(a.module, b.module);
    work_.emplace_back(a.name, b.name);
    return true;
  }

  bool objects(const ObjectNode& a, const ObjectNode& b) {
    if (a.form != b.form || a.listitems.size() != b.listitems.size() ||
        a.dictitems.size() != b.dictitems.size()) {
      return false;
    }
    work_.emplace_back(a.callable, b.callable);
    work_.emplace_back(a.args, b.args);
    work_.emplace_back(a.kwargs, b.kwargs);
    work_.emplace_back(a.state, b.state);
    sequences(a.listitems, b.listitems);
    for (std::size_t i = 0; i < a.dictitems.size(); ++i) {
      work_.emplace_back(a.dictitems[i].first, b.dictitems[i].first);
      work_.emplace_back(a.dictitems[i].second, b.dictitems[i].second);
    }
    return true;
  }

  CompareContext& context_;
  std::vector<std::pair<Slot, Slot>> work_;
  std::unordered_set<std::pair<Node*, Node*>, PairHash> seen_;
};

}  // namespace

bool slot_equal(const Slot& a, const Slot& b, CompareContext* context) {
  if (context == nullptr) {
    CompareContext root;
    return Comparison(root).run(a, b);
  }
  // A lookup inside a comparison: answer from the cache, or compare and remember.
  const bool cacheable = a.tag == Tag::node && b.tag == Tag::node;
  const auto key = std::pair(cacheable ? a.as.node : nullptr, cacheable ? b.as.node : nullptr);
  if (cacheable) {
    if (auto it = context->results.find(key); it != context->results.end()) return it->second;
  }
  if (context->nesting + 1 > kMaxLookupNesting) {
    throw LimitError(std::nullopt, "comparison of dict keys or set members nested deeper than " +
                                       std::to_string(kMaxLookupNesting) + " levels");
  }
  ++context->nesting;
  bool equal = false;
  try {
    equal = Comparison(*context).run(a, b);
  } catch (...) {
    --context->nesting;
    throw;
  }
  --context->nesting;
  if (cacheable) context->results.emplace(key, equal);
  return equal;
}

}  // namespace picklejar::detail
