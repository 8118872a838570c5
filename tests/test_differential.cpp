// Differential tests: our decoder against CPython on the corpus tests/gen/make_corpus.py writes
// (a broad value set pickled at protocols 0-5 by the machine's python3). For every pickle:
//   - loads() with default options succeeds;
//   - describe(value) equals CPython's description of the object it pickled (every kind, exact
//     float bits, sharing and cycles, object recipes);
//   - value.repr() equals CPython's repr() where the value is made of built-in types;
//   - the protocols of one case decode to == values wherever CPython described them identically
//     (and, as in Python, to unequal values when they contain a NaN, which never equals itself).

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <exception>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <picklejar/pickle.hpp>
#include <picklejar/repr.hpp>

#include "corpus.hpp"
#include "describe.hpp"

namespace picklejar::test {
namespace {

// The value each corpus case decodes to (aligned with corpus()), or the decode error.
struct Decoded {
  std::optional<Value> value;
  std::string error;
};

const std::vector<Decoded>& decoded() {
  static const std::vector<Decoded> all = [] {
    std::vector<Decoded> out;
    for (const CorpusCase& c : corpus()) {
      Decoded d;
      try {
        d.value = loads(c.pickle);
      } catch (const std::exception& e) {
        d.error = e.what();
      }
      out.push_back(std::move(d));
    }
    return out;
  }();
  return all;
}

std::string label(const CorpusCase& c) { return fmt::format("{}.p{}", c.name, c.protocol); }

// Where two (possibly huge) texts first differ, with a little context: enough to diagnose a
// failure without printing megabytes.
std::string first_difference(const std::string& ours, const std::string& cpython) {
  const auto [a, b] = std::mismatch(ours.begin(), ours.end(), cpython.begin(), cpython.end());
  const std::size_t pos = static_cast<std::size_t>(a - ours.begin());
  const std::size_t from = pos > 100 ? pos - 100 : 0;
  return fmt::format(
      "first difference at byte {} (lengths: ours {}, CPython {})\n  ours:    ...{}\n  CPython: "
      "...{}",
      pos, ours.size(), cpython.size(), ours.substr(from, 240), cpython.substr(from, 240));
}

TEST_CASE("differential: the corpus covers every protocol and many cases") {
  std::set<std::string> names;
  std::array<int, 6> per_protocol{};
  for (const CorpusCase& c : corpus()) {
    names.insert(c.name);
    REQUIRE(c.protocol >= 0);
    REQUIRE(c.protocol <= 5);
    ++per_protocol[static_cast<std::size_t>(c.protocol)];
  }
  for (int count : per_protocol) CHECK(count > 0);
  CHECK(names.size() >= 80);
  MESSAGE(fmt::format("{} corpus cases, {} pickles; per protocol 0-5: {}", names.size(),
                      corpus().size(), fmt::join(per_protocol, " ")));
}

TEST_CASE("differential: every corpus pickle decodes with default options") {
  for (std::size_t i = 0; i < corpus().size(); ++i) {
    CHECK_MESSAGE(decoded()[i].value.has_value(), label(corpus()[i]), ": ", decoded()[i].error);
  }
}

TEST_CASE("differential: descriptions match CPython's") {
  std::size_t compared = 0;
  for (std::size_t i = 0; i < corpus().size(); ++i) {
    const CorpusCase& c = corpus()[i];
    if (!decoded()[i].value) continue;  // reported by the decode test
    const std::string ours = describe(*decoded()[i].value);
    const bool same = ours == c.description;  // not inside CHECK: doctest would print megabytes
    CHECK_MESSAGE(same, label(c), ": ", first_difference(ours, c.description));
    ++compared;
  }
  CHECK(compared == corpus().size());
}

TEST_CASE("differential: repr matches CPython's for built-in values") {
  std::size_t compared = 0;
  for (std::size_t i = 0; i < corpus().size(); ++i) {
    const CorpusCase& c = corpus()[i];
    if (!c.repr || !decoded()[i].value) continue;
    std::string ours;
    try {
      ours = decoded()[i].value->repr();
    } catch (const std::exception& e) {
      ours = std::string("<repr threw: ") + e.what() + ">";
    }
    const bool same = ours == *c.repr;
    CHECK_MESSAGE(same, label(c), ": ", first_difference(ours, *c.repr));
    ++compared;
  }
  CHECK(compared > 0);
  MESSAGE(fmt::format("{} pickles compared by repr", compared));
}

TEST_CASE("differential: the protocols of a case decode to equal values") {
  std::map<std::string, std::vector<std::size_t>> by_name;
  for (std::size_t i = 0; i < corpus().size(); ++i) by_name[corpus()[i].name].push_back(i);
  std::size_t equal_pairs = 0, nan_pairs = 0, different_recipes = 0;
  for (const auto& [name, indexes] : by_name) {
    for (std::size_t k = 1; k < indexes.size(); ++k) {
      const CorpusCase& c = corpus()[indexes[k]];
      // Compare with the first protocol CPython described the same way.
      const auto same =
          std::find_if(indexes.begin(), indexes.begin() + static_cast<std::ptrdiff_t>(k),
                       [&](std::size_t j) { return corpus()[j].description == c.description; });
      if (same == indexes.begin() + static_cast<std::ptrdiff_t>(k)) {
        ++different_recipes;  // e.g. reconstructor at protocols 0-1, newobj from 2
        continue;
      }
      const auto& a = decoded()[*same].value;
      const auto& b = decoded()[indexes[k]].value;
      if (!a || !b) continue;  // reported by the decode test
      const std::string pair = fmt::format("{} vs {}", label(corpus()[*same]), label(c));
      if (description_has_nan(c.description)) {
        CHECK_MESSAGE(!(*a == *b), pair,
                      ": a NaN never equals another NaN, so neither does its container");
        ++nan_pairs;
      } else {
        CHECK_MESSAGE(*a == *b, pair);
        ++equal_pairs;
      }
    }
  }
  CHECK(equal_pairs > 0);
  MESSAGE(fmt::format(
      "{} protocol pairs compared equal, {} pairs with NaN compared unequal, {} protocols "
      "not compared (CPython's description differs from every lower protocol's)",
      equal_pairs, nan_pairs, different_recipes));
}

}  // namespace
}  // namespace picklejar::test
