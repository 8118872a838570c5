// The memo: a node met a second time is a GET, the empty tuple is never memoized, cycles
// through tuples unwind as CPython's save_tuple does, and the memo opcodes follow the protocol
// (PUT at 0, BINPUT/LONG_BINPUT at 1-3, MEMOIZE at 4-5). Each C++-built value is compared
// with CPython's bytes for the equivalent object that python3 builds, at protocols 0-5.

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include <picklejar/codec.hpp>
#include <picklejar/pickle.hpp>

#include "encoder_support.hpp"

using picklejar::Value;
namespace test = picklejar::test;

namespace memo {

struct Window {
  int width = 0;
  int height = 0;
  std::string title;
};
PICKLEJAR_CLASS(Window, "pjcodec.state", "Window", width, height, title);

}  // namespace memo

namespace {

struct Case {
  std::string name;
  Value value;
  std::string program;  // Python statements assigning `obj`
};

Value self_list() {
  Value l = Value::list();
  l.append(l);
  return l;
}

Value self_dict() {
  Value d = Value::dict();
  d.set("me", d);
  return d;
}

// l = []; t = (l, *rest); l.append(t)
Value tuple_cycle(std::vector<Value> rest) {
  Value l = Value::list();
  rest.insert(rest.begin(), l);
  Value t = Value::tuple(std::move(rest));
  l.append(t);
  return t;
}

Value many_lists(int n) {
  Value outer = Value::list();
  for (int i = 0; i < n; ++i) outer.append(Value::list({i}));
  return outer;
}

std::vector<Case> cases() {
  const Value shared_list = Value::list({1});
  const Value empty = Value::tuple();
  const Value pair = Value::tuple({1, 2});
  const Value str = Value("abc");
  const Value bytes = Value::bytes("ab");
  const Value bytearray = Value::bytearray("x");
  const Value set = Value::set({1});
  const Value frozen = Value::frozenset({1});
  const Value window = picklejar::to_value(memo::Window{1, 2, "t"});
  Value long_memo = many_lists(300);
  long_memo.append(long_memo[299]);
  long_memo.append(long_memo[3]);
  Value in_list = Value::list({tuple_cycle({}), 5});
  return {
      {"one list twice", Value::list({shared_list, shared_list}), "l = [1]; obj = [l, l]"},
      {"the empty tuple, shared", Value::list({empty, empty, Value::tuple({empty})}),
       "t = (); obj = [t, t, (t,)]"},
      {"two empty tuples", Value::list({Value::tuple(), Value::tuple()}), "obj = [(), ()]"},
      {"one tuple twice", Value::list({pair, pair}), "t = (1, 2); obj = [t, t]"},
      {"one str twice and an equal one", Value::list({str, str, Value("abc")}),
       "s = 'abc'; obj = [s, s, ''.join(['ab', 'c'])]"},
      {"one bytes twice", Value::list({bytes, bytes}), "b = b'ab'; obj = [b, b]"},
      {"two bytes ('latin1' is one memoized str below protocol 3)",
       Value::list({Value::bytes("ab"), Value::bytes("cd"), Value::bytes("")}),
       "obj = [b'ab', b'cd', b'']"},
      {"one bytearray twice", Value::list({bytearray, bytearray}),
       "b = bytearray(b'x'); obj = [b, b]"},
      {"one set twice", Value::list({set, set}), "s = {1}; obj = [s, s]"},
      {"one frozenset twice", Value::list({frozen, frozen}), "f = frozenset({1}); obj = [f, f]"},
      {"one global, named twice",
       Value::list({Value::global("builtins", "len"), Value::global("builtins", "len")}),
       "obj = [len, len]"},
      {"one instance twice", Value::list({window, window}),
       "w = pjcodec.state.Window(1, 2, 't'); obj = [w, w]"},
      {"a list containing itself", self_list(), "l = []; l.append(l); obj = l"},
      {"a dict containing itself", self_dict(), "d = {}; d['me'] = d; obj = d"},
      {"a 1-tuple reaching itself", tuple_cycle({}), "l = []; t = (l,); l.append(t); obj = t"},
      {"a 3-tuple reaching itself", tuple_cycle({1, 2}),
       "l = []; t = (l, 1, 2); l.append(t); obj = t"},
      {"a 4-tuple reaching itself", tuple_cycle({1, 2, 3}),
       "l = []; t = (l, 1, 2, 3); l.append(t); obj = t"},
      {"a tuple cycle inside a list", in_list, "l = []; t = (l,); l.append(t); obj = [t, 5]"},
      {"more than 256 memo entries", long_memo,
       "obj = [[i] for i in range(300)]; obj.append(obj[299]); obj.append(obj[3])"},
  };
}

}  // namespace

TEST_CASE("encoder memo: shared nodes, the empty tuple and cycles, as CPython writes them") {
  const std::vector<Case> all = cases();
  std::vector<std::string> programs;
  for (const auto& c : all) programs.push_back(c.program);
  const auto cpython = test::cpython_bytes(programs);
  for (std::size_t i = 0; i < all.size(); ++i) {
    for (int protocol = 0; protocol <= 5; ++protocol) {
      INFO(all[i].name, " at protocol ", protocol, ": ", all[i].program);
      REQUIRE(cpython[i].c[protocol].has_value());
      const std::string ours = test::dumps_at(all[i].value, protocol);
      CHECK_MESSAGE(ours == *cpython[i].c[protocol],
                    test::first_difference(ours, *cpython[i].c[protocol]));
    }
  }
}

TEST_CASE("encoder memo: second occurrences are GETs") {
  const Value shared_list = Value::list({1});
  const Value value = Value::list({shared_list, shared_list, shared_list});
  CHECK(test::count_opcode(test::dumps_at(value, 0), "GET") == 2);
  for (int protocol = 1; protocol <= 5; ++protocol) {
    INFO("protocol ", protocol);
    CHECK(test::count_opcode(test::dumps_at(value, protocol), "BINGET") == 2);
  }
  // Equal but distinct nodes are written twice; the empty tuple never goes to the memo.
  const Value distinct = Value::list({Value::list({1}), Value::list({1}), Value::tuple()});
  for (int protocol = 0; protocol <= 5; ++protocol) {
    INFO("protocol ", protocol);
    const std::string pickle = test::dumps_at(distinct, protocol);
    CHECK(test::count_opcode(pickle, "BINGET") + test::count_opcode(pickle, "GET") == 0);
  }
}

TEST_CASE("encoder memo: PUT, BINPUT/LONG_BINPUT or MEMOIZE by protocol") {
  const Value value = many_lists(300);  // 301 memo entries: indices 0-300
  const std::string p0 = test::dumps_at(value, 0);
  CHECK(test::count_opcode(p0, "PUT") == 301);
  for (int protocol = 1; protocol <= 3; ++protocol) {
    INFO("protocol ", protocol);
    const std::string pickle = test::dumps_at(value, protocol);
    CHECK(test::count_opcode(pickle, "BINPUT") == 256);
    CHECK(test::count_opcode(pickle, "LONG_BINPUT") == 45);
    CHECK(test::count_opcode(pickle, "MEMOIZE") == 0);
  }
  for (int protocol = 4; protocol <= 5; ++protocol) {
    INFO("protocol ", protocol);
    const std::string pickle = test::dumps_at(value, protocol);
    CHECK(test::count_opcode(pickle, "MEMOIZE") == 301);
    CHECK(test::count_opcode(pickle, "BINPUT") + test::count_opcode(pickle, "LONG_BINPUT") == 0);
  }
  CHECK(test::count_opcode(test::dumps_at(Value::tuple(), 4), "MEMOIZE") == 0);
  CHECK(test::count_opcode(test::dumps_at(Value::tuple({1}), 4), "MEMOIZE") == 1);
}

// CPython shares a module's name between all globals of that module (the strs are interned),
// including the globals picklejar synthesizes when it writes a native value as a recipe
// (bytearray below protocol 5, OrderedDict): decoding and re-encoding keeps that sharing.
TEST_CASE("encoder memo: synthesized globals share module names with decoded ones") {
  const std::vector<std::string> programs = {
      "obj = [bytearray(b'xy'), 3+4j]",
      "obj = [3+4j, bytearray(b'xy'), 'builtins']",
      "import collections\nobj = [collections.OrderedDict(a=1), collections.Counter]",
      "import collections\nobj = [collections.OrderedDict(a=1), collections.OrderedDict(b=2), "
      "collections.defaultdict]",
  };
  const auto cpython = test::cpython_bytes(programs);
  for (std::size_t i = 0; i < programs.size(); ++i) {
    for (int protocol = 0; protocol <= 5; ++protocol) {
      CAPTURE(programs[i]);
      CAPTURE(protocol);
      REQUIRE(cpython[i].c[protocol].has_value());
      const std::string& p = *cpython[i].c[protocol];
      CHECK(test::dumps_at(picklejar::loads(p), protocol) == p);
    }
  }
}

TEST_CASE("encoder memo: an encoder started inside another's buffer callback has its own memo") {
  // Memo tables are reused per thread; one taken by a running encoder must not be shared.
  const Value shared = Value("shared");
  const Value inner = Value::list({shared, Value::list({1}), shared});
  const Value outer =
      Value::list({shared, Value::bytes(std::string(100, 'b')), shared, Value::list({2})});
  picklejar::EncodeOptions plain;
  plain.protocol = 5;
  plain.out_of_band_min_bytes = 10;
  plain.buffer_callback = [](const picklejar::Buffer&) { return false; };
  const std::string expected_outer = picklejar::dumps(outer, plain);
  const std::string expected_inner = picklejar::dumps(inner);

  std::string inner_pickle;
  picklejar::EncodeOptions nesting = plain;
  nesting.buffer_callback = [&](const picklejar::Buffer&) {
    inner_pickle = picklejar::dumps(inner);
    return false;
  };
  CHECK(picklejar::dumps(outer, nesting) == expected_outer);
  CHECK(inner_pickle == expected_inner);
  CHECK(picklejar::loads(inner_pickle) == inner);
}

TEST_CASE(
    "encoder memo: an encoder inside a buffer callback may write the very value being written") {
  // The memo lives in the nodes (stamped per encoder); a second encoder on the same nodes
  // while the first is still running must keep out of its way.
  const Value shared = Value("shared");
  const Value outer = Value::list(
      {shared, Value::bytes(std::string(100, 'b')), shared, Value::list({shared, 2}), shared});
  picklejar::EncodeOptions plain;
  plain.protocol = 5;
  plain.out_of_band_min_bytes = 10;
  plain.buffer_callback = [](const picklejar::Buffer&) { return false; };
  const std::string expected = picklejar::dumps(outer, plain);

  std::vector<std::string> inner_pickles;
  picklejar::EncodeOptions nesting = plain;
  nesting.buffer_callback = [&](const picklejar::Buffer&) {
    inner_pickles.push_back(picklejar::dumps(outer, plain));
    return false;
  };
  CHECK(picklejar::dumps(outer, nesting) == expected);
  REQUIRE(inner_pickles.size() == 1);
  CHECK(inner_pickles[0] == expected);
  CHECK(picklejar::dumps(outer, plain) == expected);  // and what they both left behind is stale
}

TEST_CASE("encoder memo: what earlier encoders left in the nodes never reads as memoized") {
  // Each encoder stamps the nodes of the value's heap with an epoch of that heap. When two
  // heaps merge, the survivor must go on with epochs later than either one's, or the nodes
  // that came from the other would read as memoized by a later encoder.
  const auto build_small = [] {
    const Value word = Value("word");
    return Value::list({word, Value::list({word}), Value("other")});
  };
  const auto build_big = [] {
    std::vector<Value> items;
    for (int i = 0; i < 20; ++i) items.push_back(Value::list({Value("item"), i}));
    return Value::list(std::move(items));
  };
  const auto fresh = [&] {
    Value big = build_big();
    big.append(build_small());
    return big;
  };
  for (int small_runs = 0; small_runs <= 6; ++small_runs) {
    CAPTURE(small_runs);
    Value small = build_small();
    Value big = build_big();
    for (int i = 0; i < small_runs; ++i) (void)picklejar::dumps(small);
    for (int i = 0; i < 3; ++i) (void)picklejar::dumps(big);  // big's heap survives the merge
    big.append(small);
    for (int protocol = 0; protocol <= 5; ++protocol) {
      CAPTURE(protocol);
      CHECK(test::dumps_at(big, protocol) == test::dumps_at(fresh(), protocol));
    }
  }
}
