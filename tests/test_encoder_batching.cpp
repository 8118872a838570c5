// APPENDS/SETITEMS/ADDITEMS batching around CPython's batch size of 1000, against CPython's
// two picklers in the same python3:
//   - BatchingProfile::cpython_3_8 (the default) against pickle.dumps, the C pickler of
//     3.8-3.14: a trailing one-item batch is still MARK...APPENDS/SETITEMS, and a dict or set
//     of 1000*k items ends with an empty MARK SETITEMS/ADDITEMS batch;
//   - BatchingProfile::cpython_3_15 against pickle._dumps, the pure-Python pickler. CPython
//     3.15's C pickler adopts exactly its rules (python/cpython PR #144162, gh-135573: "Ensure
//     that APPENDS and SETITEMS are never used for a batch of size 1. Ensure that ADDITEMS and
//     SETITEMS are never used for a batch of size 0. This harmonizes the C implementation with
//     the Python implementation which already guarantees this"), so 3.11's pickle._dumps is
//     the 3.15 reference without needing a 3.15 interpreter.
// Both for values decoded from either pickler's bytes and for the same values built in C++.

#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <vector>

#include <picklejar/pickle.hpp>

#include "encoder_support.hpp"

using picklejar::BatchingProfile;
using picklejar::Value;
namespace test = picklejar::test;

namespace {

constexpr int kSizes[] = {1, 2, 999, 1000, 1001, 2000, 2001};

struct Shape {
  const char* name;
  const char* program;    // Python, with %N for the size
  Value (*build)(int n);  // the same value built in C++, or nullptr
};

Value ints_list(int n) {
  std::vector<Value> items;
  for (int i = 0; i < n; ++i) items.emplace_back(i);
  return Value::list(std::move(items));
}
Value ints_dict(int n) {
  std::vector<std::pair<Value, Value>> items;
  for (int i = 0; i < n; ++i) items.emplace_back(i, i);
  return Value::dict(std::move(items));
}
// Small ints hash to themselves, so CPython iterates set(range(n)) in order, as we do.
Value ints_set(int n) {
  std::vector<Value> items;
  for (int i = 0; i < n; ++i) items.emplace_back(i);
  return Value::set(std::move(items));
}
Value ints_frozenset(int n) {
  std::vector<Value> items;
  for (int i = 0; i < n; ++i) items.emplace_back(i);
  return Value::frozenset(std::move(items));
}
Value ordered_dict(int n) {
  Value v = ints_dict(n);
  v.set_dict_flavor(picklejar::DictFlavor::ordered_dict);
  return v;
}
// Keys 0, n/2+1 and n+2 of n+3 deleted: n items left, with holes at the start, in the middle
// and at the end of the table (deleting keeps CPython's order, and small ints iterate a set in
// order).
template <class Make>
Value with_holes(int n, Make make) {
  Value v = make(n + 3);
  for (int key : {0, n / 2 + 1, n + 2}) REQUIRE(v.erase(Value(key)));
  return v;
}
Value dict_with_holes(int n) { return with_holes(n, ints_dict); }
Value set_with_holes(int n) { return with_holes(n, ints_set); }
Value dict_of_lists_with_holes(int n) {  // the last live value is a list: a chain
  return with_holes(n, [](int size) {
    std::vector<std::pair<Value, Value>> items;
    for (int i = 0; i < size; ++i) items.emplace_back(i, Value::list({i, i}));
    return Value::dict(std::move(items));
  });
}

Value lists_list(int n) {  // enough memo entries for LONG_BINPUT at protocols 1-3
  std::vector<Value> items;
  for (int i = 0; i < n; ++i) items.push_back(Value::list({i}));
  return Value::list(std::move(items));
}

const Shape kShapes[] = {
    {"list", "obj = list(range(%N))", ints_list},
    {"dict", "obj = {i: i for i in range(%N)}", ints_dict},
    {"set", "obj = set(range(%N))", ints_set},
    {"frozenset", "obj = frozenset(range(%N))", ints_frozenset},
    {"OrderedDict", "obj = collections.OrderedDict((i, i) for i in range(%N))", ordered_dict},
    {"list of lists", "obj = [[i] for i in range(%N)]", lists_list},
    // Containers whose last item is a container are written as a chain (the item after the
    // container's other items, its APPENDS/SETITEMS/empty batch after it): the same bytes.
    {"dict of lists", "obj = {i: [i, (i,)] for i in range(%N)}", nullptr},
    {"set of tuples", "obj = {(i, 'm') for i in range(%N)}", nullptr},
    {"list of strs", "obj = ['s%d' % i for i in range(%N)]", nullptr},
    {"list subclass (object listitems)", "import pjtestmod\nobj = pjtestmod.Tags(range(%N))",
     nullptr},
    {"dict subclass (object dictitems)",
     "import pjtestmod\nobj = pjtestmod.Registry((i, -i) for i in range(%N))", nullptr},
    {"dict of sets", "obj = {i: {i} for i in range(%N)}", nullptr},
    // Deleted entries leave holes in our tables, skipped wherever items are written.
    {"dict with holes",
     "obj = {i: i for i in range(%N + 3)}\nfor k in (0, %N // 2 + 1, %N + 2): del obj[k]",
     dict_with_holes},
    {"set with holes", "obj = set(range(%N + 3)) - {0, %N // 2 + 1, %N + 2}", set_with_holes},
    {"dict of lists with holes",
     "obj = {i: [i, i] for i in range(%N + 3)}\nfor k in (0, %N // 2 + 1, %N + 2): del obj[k]",
     dict_of_lists_with_holes},
};

std::string program(const Shape& shape, int n) {
  std::string p = shape.program;
  for (auto at = p.find("%N"); at != std::string::npos; at = p.find("%N"))
    p.replace(at, 2, std::to_string(n));
  return p;
}

void check_same(const std::string& ours, const std::optional<std::string>& theirs) {
  REQUIRE(theirs.has_value());
  CHECK_MESSAGE(ours == *theirs, test::first_difference(ours, *theirs));
}

}  // namespace

TEST_CASE("encoder batching: cpython_3_8 is pickle.dumps, cpython_3_15 is pickle._dumps") {
  std::vector<std::string> programs;
  for (const Shape& shape : kShapes) {
    for (int n : kSizes) programs.push_back(program(shape, n));
  }
  const std::vector<test::CPythonBytes> cpython = test::cpython_bytes(programs);
  std::size_t next = 0;
  int differing = 0;  // cases where the two CPython picklers disagree: the batching matters
  for (const Shape& shape : kShapes) {
    for (int n : kSizes) {
      const test::CPythonBytes& bytes = cpython[next++];
      for (int protocol = 0; protocol <= 5; ++protocol) {
        INFO(shape.name, " of ", n, " at protocol ", protocol);
        REQUIRE(bytes.c[protocol].has_value());
        REQUIRE(bytes.python[protocol].has_value());
        if (*bytes.c[protocol] != *bytes.python[protocol]) ++differing;
        for (const auto* source : {&bytes.c[protocol], &bytes.python[protocol]}) {
          const Value decoded = picklejar::loads(**source);
          check_same(test::dumps_at(decoded, protocol, BatchingProfile::cpython_3_8),
                     bytes.c[protocol]);
          check_same(test::dumps_at(decoded, protocol, BatchingProfile::cpython_3_15),
                     bytes.python[protocol]);
        }
        if (shape.build != nullptr) {
          const Value built = shape.build(n);
          check_same(test::dumps_at(built, protocol, BatchingProfile::cpython_3_8),
                     bytes.c[protocol]);
          check_same(test::dumps_at(built, protocol, BatchingProfile::cpython_3_15),
                     bytes.python[protocol]);
        }
      }
    }
  }
  // The sizes were chosen so that the two profiles really differ (1001, 2001 for lists and
  // dicts; 1000, 2000 for dicts and sets); if CPython stopped differing, this test would no
  // longer test the profile.
  CHECK(differing > 50);
}

TEST_CASE("encoder batching: the profiles differ exactly where CPython 3.15 changed") {
  for (int protocol = 1; protocol <= 5; ++protocol) {
    INFO("protocol ", protocol);
    const std::string list_38 = test::dumps_at(ints_list(1001), protocol);
    const std::string list_315 =
        test::dumps_at(ints_list(1001), protocol, BatchingProfile::cpython_3_15);
    CHECK(test::count_opcode(list_38, "APPENDS") == 2);
    CHECK(test::count_opcode(list_38, "APPEND") == 0);
    CHECK(test::count_opcode(list_315, "APPENDS") == 1);
    CHECK(test::count_opcode(list_315, "APPEND") == 1);
    const std::string dict_38 = test::dumps_at(ints_dict(2000), protocol);
    const std::string dict_315 =
        test::dumps_at(ints_dict(2000), protocol, BatchingProfile::cpython_3_15);
    CHECK(test::count_opcode(dict_38, "SETITEMS") == 3);  // two full batches and an empty one
    CHECK(test::count_opcode(dict_38, "MARK") == 3);
    CHECK(test::count_opcode(dict_315, "SETITEMS") == 2);
    CHECK(test::count_opcode(dict_315, "SETITEM") == 0);
    CHECK(dict_38.size() == dict_315.size() + 2);
    const std::string one_38 = test::dumps_at(ints_list(1), protocol);
    CHECK(one_38 == test::dumps_at(ints_list(1), protocol, BatchingProfile::cpython_3_15));
    CHECK(test::count_opcode(one_38, "APPEND") == 1);  // a one-item list is APPEND in both
    if (protocol >= 4) {
      const std::string set_38 = test::dumps_at(ints_set(1001), protocol);
      const std::string set_315 =
          test::dumps_at(ints_set(1001), protocol, BatchingProfile::cpython_3_15);
      CHECK(test::count_opcode(set_38, "ADDITEMS") == 2);
      CHECK(set_38 == set_315);  // a one-item set batch is MARK x ADDITEMS in both
      const std::string set1000_38 = test::dumps_at(ints_set(1000), protocol);
      const std::string set1000_315 =
          test::dumps_at(ints_set(1000), protocol, BatchingProfile::cpython_3_15);
      CHECK(test::count_opcode(set1000_38, "ADDITEMS") == 2);  // the empty batch
      CHECK(test::count_opcode(set1000_315, "ADDITEMS") == 1);
    }
  }
}
