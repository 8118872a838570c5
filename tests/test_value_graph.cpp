// Value graphs: shared references, cycles, hostile depth and the per-heap collector.

#include <doctest/doctest.h>

#include <picklejar/error.hpp>
#include <picklejar/repr.hpp>
#include <picklejar/value.hpp>

#include "value/heap.hpp"
#include "value/value_access.hpp"

using picklejar::Value;

namespace {
std::size_t heap_nodes(const Value& v) {
  return picklejar::detail::ValueAccess::node(v)->heap->node_count();
}

// A list nested `depth` levels deep, built through the public API.
Value deep_list(int depth) {
  Value root = Value::list();
  Value cursor = root;
  for (int i = 0; i < depth; ++i) {
    Value next = Value::list();
    cursor.append(next);
    cursor = next;
  }
  return root;
}
}  // namespace

TEST_CASE("copies of a Value share the node, as Python names do") {
  Value a = Value::list({1});
  Value b = a;
  b.append(2);
  CHECK(a.size() == 2);
  CHECK(a.is(b));
  Value c = a.deep_copy();
  c.append(3);
  CHECK(a.size() == 2);
  CHECK_FALSE(a.is(c));
  CHECK(a == Value::list({1, 2}));
}

TEST_CASE("shared references stay one node") {
  Value shared = Value::list({1, 2});
  Value outer = Value::list({shared, shared});
  CHECK(outer[0].is(outer[1]));
  outer[0].append(3);
  CHECK(outer[1].size() == 3);
  const Value copy = outer.deep_copy();
  CHECK(copy[0].is(copy[1]));       // the copy keeps the sharing...
  CHECK_FALSE(copy[0].is(shared));  // ...among its own nodes
}

TEST_CASE("cycles: construct, compare, print, copy and free") {
  Value l = Value::list({0});
  l.append(l);
  CHECK(l[1].is(l));
  CHECK(l.repr() == "[0, [...]]");
  Value d = Value::dict();
  d.set("self", d);
  CHECK(d.repr() == "{'self': {...}}");
  const Value copy = l.deep_copy();
  CHECK(copy[1].is(copy));
  CHECK(copy == l);  // structurally equal cycles compare equal, and terminate
  // Dropping the last handles frees everything (LeakSanitizer checks this in the ASan run).
}

TEST_CASE("hostile depth never recurses on the C stack") {
  constexpr int kDepth = 1'000'000;
  Value a = deep_list(kDepth);
  Value b = deep_list(kDepth);
  CHECK(a == b);
  b.append(1);
  CHECK(a != b);
  picklejar::ReprOptions options;
  options.max_bytes = 3 * kDepth;
  CHECK(picklejar::repr(a, options).size() == 2 * kDepth + 2);
  const Value copy = a.deep_copy();
  CHECK(copy == a);
  Value tuple = Value::tuple();
  for (int i = 0; i < kDepth; ++i) tuple = Value::tuple({tuple});
  CHECK(tuple.hash() == tuple.deep_copy().hash());
}

TEST_CASE("a DAG of shared tuples hashes and compares in linear time") {
  // 2**200 paths, 200 nodes: only cached hashes and pair memoization make this finish.
  Value t = Value::tuple({1});
  Value u = Value::tuple({1});
  for (int i = 0; i < 200; ++i) {
    t = Value::tuple({t, t});
    u = Value::tuple({u, u});
  }
  CHECK(t.hash() == u.hash());
  CHECK(t == u);
  Value d = Value::dict();
  d.set(t, "dag key");
  CHECK(d[u].as_str() == "dag key");
  // 2**200 leaves to print: repr() labels the shared tuples instead (#1=(...) ... #1#); Python's
  // own repr stops at max_bytes.
  CHECK(t.repr().size() < 200 * 16);
  picklejar::ReprOptions options;
  options.shared = picklejar::SharedRepr::expand;
  options.max_bytes = 1 << 20;
  CHECK_THROWS_AS(picklejar::repr(t, options), picklejar::LimitError);
}

TEST_CASE("unreachable nodes in a live heap are collected") {
  Value root = Value::dict();
  for (int i = 0; i < 100'000; ++i) {
    Value garbage = Value::list({"payload"});
    garbage.append(garbage);  // a cycle that becomes unreachable when replaced
    root.set("slot", garbage);
  }
  // Only the dict, the last list, its str and the key survive collections; growth is bounded
  // by the collector's doubling threshold.
  CHECK(heap_nodes(root) < 5000);
  picklejar::detail::ValueAccess::node(root)->heap->collect();
  CHECK(heap_nodes(root) == 4);
  CHECK(root["slot"][0].as_str() == "payload");
}

TEST_CASE("erasing and re-adding keys keeps a dict consistent") {
  Value d = Value::dict();
  for (int round = 0; round < 20; ++round) {
    for (int i = 0; i < 1000; ++i) d.set(i, round);
    for (int i = 0; i < 1000; i += 3) d.erase(i);
  }
  CHECK(d.size() == 1000 - 334);
  CHECK(d[1].as_int() == 19);
  CHECK_FALSE(d.contains(999));
}

TEST_CASE("shared frozensets nested as keys compare in bounded time") {
  // frozenset({F, (F,)}) at every level: each comparison looks members up in the other set,
  // and without remembering finished lookups the work doubles per level (2**60 here).
  Value f = Value::frozenset();
  for (int i = 0; i < 60; ++i) f = Value::frozenset({f, Value::tuple({f})});
  const Value copy = f.deep_copy();
  CHECK(f == copy);
  Value d = Value::dict();
  d.set(f, 1);
  CHECK(d.contains(copy));
  Value different = Value::frozenset({1});
  for (int i = 0; i < 60; ++i) different = Value::frozenset({different, Value::tuple({different})});
  CHECK(f != different);
}
