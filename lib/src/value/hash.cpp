#include "hash.hpp"

#include <cmath>
#include <cstring>
#include <functional>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <picklejar/error.hpp>

#include "bigint.hpp"
#include "keyed_hash.hpp"

namespace picklejar::detail {
namespace {

// Domains keep the kinds apart. Numbers share one: equal numbers of any kind (1, 1.0, True)
// must hash alike, so they hash by their exact integer value when they have one.
enum Domain : std::uint64_t {
  number = 1,
  fraction,  // a float that is not an integer (or inf, nan)
  text,
  byte_string,
  none_value,
  compound,
};

std::size_t mix(std::size_t acc, std::size_t h) noexcept { return keyed_combine(acc, h); }

std::size_t hash_int(std::int64_t v) noexcept {
  return keyed_hash_word(static_cast<std::uint64_t>(v), number);
}

std::size_t hash_bigint(const BigInt& v) {
  const auto bytes = v.to_le_twos_complement();
  return keyed_hash_bytes({reinterpret_cast<const char*>(bytes.data()), bytes.size()}, number);
}

std::size_t hash_float(double d) {
  if (std::isfinite(d) && std::trunc(d) == d) {
    if (d >= -0x1p63 && d < 0x1p63) return hash_int(static_cast<std::int64_t>(d));
    return hash_bigint(*BigInt::from_double(d));
  }
  std::uint64_t bits;
  std::memcpy(&bits, &d, sizeof bits);
  return keyed_hash_word(bits, fraction);
}

bool is_compound(Kind k) noexcept {
  return k == Kind::tuple || k == Kind::frozenset || k == Kind::global || k == Kind::object;
}

enum class Simple { ready, unhashable, compound };

// Hashes what needs no children; reports compound nodes whose hash is not cached yet.
Simple simple_hash(const Slot& s, std::size_t& out) {
  switch (s.tag) {
    case Tag::none:
      out = keyed_hash_word(0, none_value);
      return Simple::ready;
    case Tag::boolean:
      out = hash_int(s.as.boolean ? 1 : 0);
      return Simple::ready;
    case Tag::small_int:
      out = hash_int(s.as.small_int);
      return Simple::ready;
    case Tag::floating:
      out = hash_float(s.as.floating);
      return Simple::ready;
    case Tag::erased:
      return Simple::unhashable;
    case Tag::node:
      break;
  }
  Node* n = s.as.node;
  if (n->flags & hash_cached) return out = n->hash, Simple::ready;
  if (n->flags & unhashable) return Simple::unhashable;
  switch (n->kind) {
    case Kind::str:
      out = keyed_hash_bytes(as_str(n).text(), text);
      break;
    case Kind::bytes: {
      auto v = as_bytes(n).view();
      out = keyed_hash_bytes({reinterpret_cast<const char*>(v.data()), v.size()}, byte_string);
      break;
    }
    case Kind::integer:
      out = hash_bigint(as_bigint(n).value);
      break;
    default:
      if (is_compound(n->kind)) return Simple::compound;
      return Simple::unhashable;  // list, dict, set, bytearray
  }
  n->hash = out;
  n->flags |= hash_cached;
  return Simple::ready;
}

// The children whose hashes make up a compound node's hash. An object hashes by its callable
// and args only (its state may change), skipping parts that are unhashable: equal objects
// have equal parts, so the hash stays consistent with ==.
template <class Fn>
void hash_children(Node* n, Fn&& fn) {
  switch (n->kind) {
    case Kind::tuple:
      for (const Slot& s : as_sequence(n).items) fn(s);
      break;
    case Kind::frozenset:
      for (const auto& e : as_table(n).table.entries()) {
        if (e.key.tag != Tag::erased) fn(e.key);
      }
      break;
    case Kind::global:
      fn(as_global(n).module), fn(as_global(n).name);
      break;
    case Kind::object:
      fn(as_object(n).callable), fn(as_object(n).args);
      break;
    default:
      break;
  }
}

struct Frame {
  Node* node;
};

// Combines the (now cached or immediate) child hashes of a compound node.
std::optional<std::size_t> combine(Node* n) {
  std::size_t acc = static_cast<std::size_t>(n->kind) * 0x51ED27;
  std::size_t unordered = 0;
  bool ok = true;
  hash_children(n, [&](const Slot& child) {
    std::size_t h = 0;
    const bool hashable = simple_hash(child, h) == Simple::ready;
    if (!hashable) {
      if (n->kind == Kind::object) return;  // skipped part, see hash_children
      ok = false;
      return;
    }
    if (n->kind == Kind::frozenset) {
      unordered += mix(0x2545F491, h);  // order-independent
    } else {
      acc = mix(acc, h);
    }
  });
  if (!ok) return std::nullopt;
  return n->kind == Kind::frozenset ? mix(acc, unordered) : acc;
}

// A tuple or frozenset on top of the walk turned out unhashable: so is every such node above
// it, up to the innermost object, which skips the unhashable part (see hash_children) and is
// walked again. Returns false when no object is left: the root itself is unhashable.
bool unwind_to_object(std::vector<Frame>& stack) {
  while (!stack.empty() && stack.back().node->kind != Kind::object) {
    Node* n = stack.back().node;
    n->flags &= ~in_progress;
    n->flags |= unhashable;  // tuples and frozensets never change, so the verdict is final
    stack.pop_back();
  }
  return !stack.empty();
}

}  // namespace

std::optional<std::size_t> compute_slot_hash(const Slot& root) {
  std::size_t result = 0;
  const Simple first = simple_hash(root, result);
  if (first == Simple::ready) return result;
  if (first == Simple::unhashable) return std::nullopt;

  // Post-order walk with an explicit stack; each compound node is hashed once and cached, so
  // shared subtrees cost nothing the second time and depth costs no C stack.
  std::vector<Frame> stack{{root.as.node}};
  root.as.node->flags |= in_progress;
  while (!stack.empty()) {
    Node* n = stack.back().node;
    Node* pending = nullptr;
    bool failed = false;
    hash_children(n, [&](const Slot& child) {
      if (pending || failed) return;
      std::size_t ignored = 0;
      const Simple kind = simple_hash(child, ignored);
      if (kind == Simple::compound) {
        if (child.as.node->flags & in_progress) {
          failed = n->kind != Kind::object;  // a cycle: impossible for real tuples
          return;
        }
        pending = child.as.node;
      } else if (kind == Simple::unhashable && n->kind != Kind::object) {
        failed = true;
      }
    });
    if (failed) {
      if (!unwind_to_object(stack)) return std::nullopt;
      continue;
    }
    if (pending) {
      pending->flags |= in_progress;
      stack.push_back({pending});
      continue;
    }
    const auto h = combine(n);
    n->flags &= ~in_progress;
    stack.pop_back();
    if (!h) {
      n->flags |= unhashable;
      if (!unwind_to_object(stack)) return std::nullopt;
      continue;
    }
    n->hash = *h;
    n->flags |= hash_cached;
  }
  return root.as.node->hash;
}

std::size_t slot_hash(const Slot& s) {
  if (auto h = try_slot_hash(s)) return *h;
  throw TypeError("unhashable type: '" + std::string(kind_name(slot_kind(s))) +
                  "' (or a tuple/frozenset containing one)");
}

bool key_involves_object(const Slot& key) {
  std::vector<Node*> work;
  std::unordered_set<Node*> seen;
  if (key.tag == Tag::node) work.push_back(key.as.node);
  while (!work.empty()) {
    Node* n = work.back();
    work.pop_back();
    if (n->kind == Kind::object) return true;
    if (n->kind != Kind::tuple && n->kind != Kind::frozenset) continue;
    if (!seen.insert(n).second) continue;
    for_each_child(n, [&](Slot& child) {
      if (child.tag == Tag::node) work.push_back(child.as.node);
    });
  }
  return false;
}

}  // namespace picklejar::detail
