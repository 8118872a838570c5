// Nothing lost silently: a value whose pickle the session's own reader would refuse (deeper
// than max_depth, more memo entries, larger than max_input_bytes, ... under the session's
// DecodeLimits) is refused at set(), naming the key, the file and the limit, before anything
// is written; and the depth pass that spares most writes a decode (lib/src/pickle/
// write_check.hpp) counts depth exactly as the decoder does.

#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include <picklejar/error.hpp>
#include <picklejar/pickle.hpp>
#include <picklejar/session.hpp>

#include "pickle/write_check.hpp"
#include "session_support.hpp"

using picklejar::DecodeLimits;
using picklejar::DecodeOptions;
using picklejar::EncodeError;
using picklejar::Session;
using picklejar::SessionOptions;
using picklejar::Value;
using picklejar::test::fast;
using picklejar::test::ScratchDir;

namespace {

// [[...[1]...]]: `depth` lists, as the decoder counts them (a list of scalars is 1 deep).
Value nested_lists(std::size_t depth) {
  Value v = Value::list({Value(1)});
  for (std::size_t i = 1; i < depth; ++i) v = Value::list({v});
  return v;
}

SessionOptions with_limits(const DecodeLimits& limits) {
  SessionOptions options = fast();
  options.decode.limits = limits;
  return options;
}

// The message of the EncodeError `f` throws, or "" when it throws none.
template <class F>
std::string refusal(F&& f) {
  try {
    f();
  } catch (const EncodeError& e) {
    return e.what();
  }
  return "";
}

// The smallest max_depth at which loads() reads `pickle`.
std::size_t decoder_depth(const std::string& pickle) {
  DecodeOptions options;
  std::size_t lo = 0, hi = 100'000;
  while (lo < hi) {
    options.limits.max_depth = (lo + hi) / 2;
    try {
      (void)picklejar::loads(pickle, options);
      hi = options.limits.max_depth;
    } catch (const picklejar::LimitError&) {
      lo = options.limits.max_depth + 1;
    }
  }
  return lo;
}

bool pass_accepts(const std::string& pickle, std::size_t max_depth) {
  DecodeLimits limits;
  limits.max_depth = max_depth;
  return picklejar::pickle::within_depth_and_memo(pickle, limits);
}

// A random value of lists, tuples, dicts, sets and frozensets, some of its containers shared
// (written once, then fetched from the memo).
Value random_shape(std::mt19937& rng, int budget, std::vector<Value>& shared) {
  const int pick = static_cast<int>(rng() % 9);
  if (budget <= 0 || pick == 0) return Value(static_cast<std::int64_t>(rng() % 300));
  if (pick == 1 && !shared.empty()) return shared[rng() % shared.size()];
  const int n = 1 + static_cast<int>(rng() % 3);
  std::vector<Value> items;
  for (int i = 0; i < n; ++i) items.push_back(random_shape(rng, budget - 1 - (rng() % 3), shared));
  Value v;
  switch (pick % 5) {
    case 0:
      v = Value::tuple(items);
      break;
    case 1: {
      std::vector<std::pair<Value, Value>> pairs;
      for (std::size_t i = 0; i < items.size(); ++i)
        pairs.emplace_back(Value("k" + std::to_string(i)), items[i]);
      v = Value::dict(pairs);
      break;
    }
    case 2: {  // sets hold scalars (containers are unhashable); the items go in a tuple
      const Value member(static_cast<std::int64_t>(rng() % 5));
      v = Value::list(
          {Value::frozenset({member, Value("s")}), Value::set({member}), Value::tuple(items)});
      break;
    }
    default:
      v = Value::list(items);
  }
  if (rng() % 3 == 0) shared.push_back(v);
  return v;
}

}  // namespace

TEST_CASE("Session write limits: a value deeper than max_depth is refused at set()") {
  ScratchDir dir;
  const auto file = dir / "deep.pj";
  const std::size_t max_depth = DecodeLimits{}.max_depth;
  Session s(file, fast());
  s.set("kept", 1);
  s.save();

  const std::string why = refusal([&] { s.set("deep", nested_lists(max_depth + 1)); });
  CHECK(why.find("cannot save key 'deep' in '" + file.string() + "'") != std::string::npos);
  CHECK(why.find("max_depth (10000)") != std::string::npos);
  CHECK_FALSE(s.contains("deep"));
  s.save();
  CHECK(Session(file, fast()).keys() == std::vector<std::string>{"kept"});

  SUBCASE("exactly max_depth deep is saved and reads back") {
    const Value v = nested_lists(max_depth);
    s.set("deep", v);
    s.save();
    CHECK(Session(file, fast()).get("deep") == v);
  }
  SUBCASE("inside transact(): nothing is written") {
    CHECK_THROWS_AS(s.transact([&](Session& t) {
      t.set("other", 2);
      t.set("deep", nested_lists(max_depth + 1));
    }),
                    EncodeError);
    CHECK(Session(file, fast()).keys() == std::vector<std::string>{"kept"});
    CHECK_FALSE(s.contains("other"));
  }
  SUBCASE("update(): no entry of the batch is written") {
    CHECK_THROWS_AS(s.update({{"a", Value(1)}, {"deep", nested_lists(max_depth + 1)}}),
                    EncodeError);
    CHECK_FALSE(s.contains("a"));
  }
}

TEST_CASE("Session write limits: the session's own DecodeLimits are the ones checked") {
  ScratchDir dir;
  DecodeLimits limits;
  limits.max_depth = 50;
  const auto file = dir / "small.pj";
  Session s(file, with_limits(limits));

  SUBCASE("max_depth") {
    const std::string why = refusal([&] { s.set("x", nested_lists(51)); });
    CHECK(why.find("max_depth (50)") != std::string::npos);
    s.set("x", nested_lists(50));
    s.save();
    CHECK(Session(file, with_limits(limits)).get("x") == nested_lists(50));
  }
  SUBCASE("typed set<T>") {
    using Deep = std::vector<std::vector<std::vector<int>>>;
    limits.max_depth = 2;
    Session tight(dir / "typed.pj", with_limits(limits));
    const std::string why = refusal([&] { tight.set("t", Deep{{{1, 2}}}); });
    CHECK(why.find("cannot save key 't'") != std::string::npos);
    CHECK(why.find("max_depth (2)") != std::string::npos);
    CHECK_FALSE(tight.contains("t"));
  }
  SUBCASE("max_memo_entries") {
    limits.max_memo_entries = 100;
    Session tight(dir / "memo.pj", with_limits(limits));
    std::vector<Value> strs;
    for (int i = 0; i < 200; ++i) strs.push_back(Value("s" + std::to_string(i)));
    const std::string why = refusal([&] { tight.set("m", Value::list(strs)); });
    CHECK(why.find("max_memo_entries (100)") != std::string::npos);
    strs.resize(90);  // the list itself is a memo entry too
    tight.set("m", Value::list(strs));
  }
  SUBCASE("max_input_bytes") {
    limits.max_input_bytes = 1000;
    Session tight(dir / "size.pj", with_limits(limits));
    const std::string why = refusal([&] { tight.set("big", Value(std::string(2000, 'x'))); });
    CHECK(why.find("max_input_bytes (1000)") != std::string::npos);
    CHECK_FALSE(tight.contains("big"));
  }
  SUBCASE("max_container_items") {
    limits.max_container_items = 10;
    Session tight(dir / "items.pj", with_limits(limits));
    std::vector<Value> ints(11, Value(7));
    const std::string why = refusal([&] { tight.set("l", Value::list(ints)); });
    CHECK(why.find("max_container_items (10)") != std::string::npos);
  }
}

TEST_CASE("Session write limits: the depth pass measures what the decoder measures") {
  std::mt19937 rng(20261208);
  for (int round = 0; round < 300; ++round) {
    std::vector<Value> shared;
    const Value v = random_shape(rng, 12, shared);
    for (const int protocol : {0, 1, 2, 3, 4, 5}) {
      picklejar::EncodeOptions options;
      options.protocol = protocol;
      const std::string pickle = picklejar::dumps(v, options);
      const std::size_t depth = decoder_depth(pickle);
      CAPTURE(protocol);
      CAPTURE(round);
      // Never accepts what the decoder refuses.
      CAPTURE(depth);
      if (depth > 0) CHECK_FALSE(pass_accepts(pickle, depth - 1));
      // Below protocol 4 sets and frozensets are REDUCE calls, which the pass counts as
      // calls (one more level); from 4 on it is exact.
      if (protocol >= 4) CHECK(pass_accepts(pickle, depth));
    }
  }
}
