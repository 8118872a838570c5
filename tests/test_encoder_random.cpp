// Property-style round trips with seeded random value trees, at every protocol:
//   C++ value --dumps(N)--> python3 pickle.loads --pickle.dumps(obj, N)--> our loads
// must give back the original value, equal in the strictest sense (test::strict_difference:
// kinds, float bits, order of dict items, shared and cyclic mutable nodes; set members in any
// order, as Python iterates sets in its own order) and ==, and re-encoding what came back must
// give CPython's bytes exactly. A failure names the seed and the protocol; rerun one with
// the doctest filter and a print of the tree.

#include <doctest/doctest.h>

#include <bit>
#include <cstdint>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <picklejar/pickle.hpp>

#include "corpus.hpp"
#include "encoder_support.hpp"

using picklejar::Value;
namespace test = picklejar::test;

namespace {

constexpr int kSeeds = 100;  // trees per protocol

// Random values of every kind the Value model has, shaped to exercise the encoder's choices:
// int widths, float specials, str encodings, bytes sizes around the SHORT/long and frame
// thresholds, containers around the 1000-item batch size, shared nodes and cycles.
class TreeMaker {
 public:
  TreeMaker(std::uint64_t seed, bool objects) : rng_(seed), objects_(objects) {}

  // A container at the root, so that no tree is a lone scalar.
  Value tree() {
    Value root;
    switch (pick(4)) {
      case 0:
        root = dict(0);
        break;
      case 1:
        root = tuple(0);
        break;
      default: {
        std::vector<Value> items;
        for (std::size_t n = 2 + pick(6); n > 0; --n) items.push_back(any(1));
        root = keep(Value::list(std::move(items)));
        lists_.push_back(root);
      }
    }
    // Join some lists: a list appended to another (or itself) is shared, or makes a cycle.
    for (int i = 0; i < 3 && !lists_.empty(); ++i) {
      if (chance(2)) lists_[pick(lists_.size())].append(lists_[pick(lists_.size())]);
    }
    return root;
  }
  bool has_nan() const noexcept { return has_nan_; }

 private:
  std::size_t pick(std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_);
  }
  bool chance(int one_in) { return pick(static_cast<std::size_t>(one_in)) == 0; }

  Value any(int depth) {
    if (!shared_.empty() && chance(12)) return shared_[pick(shared_.size())];
    const std::size_t kinds = depth >= 4 ? 8 : 15;
    switch (pick(kinds)) {
      case 0:
        return Value();
      case 1:
        return Value(chance(2));
      case 2:
      case 3:
        return integer();
      case 4:
        return floating(true);
      case 5:
      case 6:
        return keep(Value(str()));
      case 7:
        return keep(Value::bytes(bytes()));
      case 8:
        return keep(Value::bytearray(bytes()));
      case 9:
      case 10:
        return list(depth);
      case 11:
        return tuple(depth);
      case 12:
        return dict(depth);
      case 13:
        return chance(2) ? set_of(depth, false) : set_of(depth, true);
      default:
        return objects_ ? instance(depth) : list(depth);
    }
  }

  Value keep(Value v) {
    if (chance(4)) shared_.push_back(v);
    return v;
  }

  // Hashable values only (dict keys, set members); no NaN, which is never equal to itself.
  Value hashable(int depth) {
    switch (pick(depth >= 3 ? 6 : 8)) {
      case 0:
        return Value();
      case 1:
        return Value(chance(2));
      case 2:
      case 3:
        return integer();
      case 4:
        return floating(false);
      case 5:
        return Value(str());
      case 6: {
        std::vector<Value> items;
        for (std::size_t n = pick(4); n > 0; --n) items.push_back(hashable(depth + 1));
        return Value::tuple(std::move(items));
      }
      default:
        return set_of(depth, true);
    }
  }

  Value integer() {
    switch (pick(7)) {
      case 0:
        return Value(static_cast<std::int64_t>(pick(600)) - 300);
      case 1:
        return Value(static_cast<std::int64_t>(pick(1 << 17)) - (1 << 16));
      case 2:
        return Value(static_cast<std::int64_t>(rng_()) >> pick(64));
      case 3: {
        constexpr std::int64_t edges[] = {INT32_MAX,
                                          INT32_MIN,
                                          std::int64_t{INT32_MAX} + 1,
                                          std::int64_t{INT32_MIN} - 1,
                                          INT64_MAX,
                                          INT64_MIN,
                                          255,
                                          256,
                                          65535,
                                          65536,
                                          -1,
                                          0};
        return Value(edges[pick(std::size(edges))]);
      }
      case 4:
        return Value(static_cast<std::uint64_t>(rng_()) | (std::uint64_t{1} << 63));
      default: {  // beyond 64 bits: up to ~700 digits (LONG1 and LONG4)
        std::string digits = chance(2) ? "-" : "";
        digits += static_cast<char>('1' + pick(9));
        for (std::size_t n = 19 + pick(chance(4) ? 700 : 60); n > 0; --n)
          digits += static_cast<char>('0' + pick(10));
        return Value::integer_from_decimal(digits);
      }
    }
  }

  Value floating(bool nan_ok) {
    constexpr double inf = std::numeric_limits<double>::infinity();
    const double specials[] = {0.0, -0.0, inf, -inf, 1e-310, 5e-324, 0.1, 1e16, -2.5};
    if (nan_ok && chance(15)) {
      has_nan_ = true;
      return Value(std::numeric_limits<double>::quiet_NaN());  // protocol 0 keeps only this NaN
    }
    if (chance(3)) return Value(specials[pick(std::size(specials))]);
    const double d = std::bit_cast<double>(static_cast<std::uint64_t>(rng_()));
    return Value(d != d ? 1.5 : d);
  }

  std::string str() {
    std::string out;
    const std::size_t length = chance(20) ? 200 + pick(400) : pick(12);
    const int alphabet = static_cast<int>(pick(5));
    for (std::size_t i = 0; i < length; ++i) append_utf8(out, code_point(alphabet));
    return out;
  }

  char32_t code_point(int alphabet) {
    switch (alphabet == 4 ? pick(5) : static_cast<std::size_t>(alphabet)) {
      case 0:
        return static_cast<char32_t>(0x20 + pick(0x5f));  // printable ASCII
      case 1:
        return static_cast<char32_t>(pick(0x100));  // Latin-1, controls too
      case 2: {                                     // BMP, no surrogates
        const auto c = static_cast<char32_t>(0x100 + pick(0xff00));
        return c >= 0xd800 && c < 0xe000 ? c - 0x1000 : c;
      }
      case 3:
        return static_cast<char32_t>(0x10000 + pick(0x100000));  // astral
      default:
        return static_cast<char32_t>(0xd800 + pick(0x800));  // lone surrogates
    }
  }

  static void append_utf8(std::string& out, char32_t c) {
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else if (c < 0x800) {
      out += static_cast<char>(0xc0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3f));
    } else if (c < 0x10000) {  // surrogates too, as "surrogatepass" writes them
      out += static_cast<char>(0xe0 | (c >> 12));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (c & 0x3f));
    } else {
      out += static_cast<char>(0xf0 | (c >> 18));
      out += static_cast<char>(0x80 | ((c >> 12) & 0x3f));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (c & 0x3f));
    }
  }

  std::string bytes() {
    constexpr std::size_t sizes[] = {0, 1, 255, 256, 65'535, 70'000};
    const std::size_t n = chance(25) ? sizes[pick(std::size(sizes))] : pick(40);
    std::string out(n, '\0');
    for (char& c : out) c = static_cast<char>(pick(256));
    return out;
  }

  std::size_t container_size() {
    if (chance(40)) return 995 + pick(12);  // around one batch of 1000
    return pick(7);
  }

  Value list(int depth) {
    std::vector<Value> items;
    const std::size_t n = container_size();
    const bool flat = n > 100;  // big ones hold small ints, to stay small
    for (std::size_t i = 0; i < n; ++i) items.push_back(flat ? integer() : any(depth + 1));
    Value v = Value::list(std::move(items));
    lists_.push_back(v);
    return keep(v);
  }

  Value tuple(int depth) {
    std::vector<Value> items;
    for (std::size_t n = pick(6); n > 0; --n) items.push_back(any(depth + 1));
    return keep(Value::tuple(std::move(items)));
  }

  Value dict(int depth) {
    std::vector<std::pair<Value, Value>> items;
    const std::size_t n = container_size();
    const bool flat = n > 100;
    for (std::size_t i = 0; i < n; ++i) {
      items.emplace_back(flat ? Value(static_cast<std::int64_t>(i)) : hashable(depth + 1),
                         flat ? Value() : any(depth + 1));
    }
    Value v = Value::dict(std::move(items));
    if (chance(8)) v.set_dict_flavor(picklejar::DictFlavor::ordered_dict);
    return keep(v);
  }

  Value set_of(int depth, bool frozen) {
    std::vector<Value> members;
    const std::size_t n = container_size();
    const bool flat = n > 100;
    for (std::size_t i = 0; i < n; ++i)
      members.push_back(flat ? Value(static_cast<std::int64_t>(i) * 3) : hashable(depth + 1));
    return keep(frozen ? Value::frozenset(std::move(members)) : Value::set(std::move(members)));
  }

  // An instance of a plain Python class, as pickle writes it from protocol 2 (below, it comes
  // back in the copyreg._reconstructor form, which is a different recipe).
  Value instance(int depth) {
    Value state = Value::dict();
    for (const char* name : {"width", "height", "title"}) {
      if (chance(4)) continue;
      state.set(name, any(depth + 1));
    }
    Value v = Value::object(Value::global("pjcodec.state", "Window"), Value::tuple(),
                            picklejar::ObjectForm::newobj);
    if (!state.empty()) v.set_object_state(state);
    return keep(v);
  }

  std::mt19937_64 rng_;
  bool objects_;
  bool has_nan_ = false;
  std::vector<Value> shared_;
  std::vector<Value> lists_;
};

struct Trial {
  std::uint64_t seed;
  int protocol;
  Value value;
  bool has_nan;
  std::string ours;
};

}  // namespace

TEST_CASE("encoder random: C++ -> python3 -> C++ round trips at protocols 0-5") {
  std::vector<Trial> trials;
  std::vector<std::pair<int, std::string>> requests;
  for (int protocol = 0; protocol <= 5; ++protocol) {
    for (std::uint64_t seed = 1; seed <= kSeeds; ++seed) {
      TreeMaker maker(seed * 1000 + static_cast<std::uint64_t>(protocol), protocol >= 2);
      Value value = maker.tree();
      std::string ours = test::dumps_at(value, protocol);
      requests.emplace_back(protocol, ours);
      trials.push_back({seed, protocol, std::move(value), maker.has_nan(), std::move(ours)});
    }
  }
  const std::vector<std::string> theirs = test::python_reencode(requests);
  for (std::size_t i = 0; i < trials.size(); ++i) {
    const Trial& t = trials[i];
    INFO("seed ", t.seed, " at protocol ", t.protocol, " (TreeMaker(", t.seed * 1000 + t.protocol,
         ", ", t.protocol >= 2, "))");
    const Value back = picklejar::loads(theirs[i]);
    CHECK(test::strict_difference(t.value, back) == "");
    if (!t.has_nan) CHECK(back == t.value);
    const std::string again = test::dumps_at(back, t.protocol);
    CHECK_MESSAGE(again == theirs[i], test::first_difference(again, theirs[i]));
  }
}

TEST_CASE("encoder random: our own loads reads every tree back") {
  for (int protocol = 0; protocol <= 5; ++protocol) {
    for (std::uint64_t seed = 1; seed <= kSeeds; ++seed) {
      TreeMaker maker(seed * 1000 + static_cast<std::uint64_t>(protocol), protocol >= 2);
      const Value value = maker.tree();
      INFO("seed ", seed, " at protocol ", protocol);
      const Value back = picklejar::loads(test::dumps_at(value, protocol));
      // Our own round trip keeps even the order of set members.
      CHECK(test::describe(back) == test::describe(value));
      CHECK(test::strict_difference(value, back) == "");
      if (!maker.has_nan()) CHECK(back == value);
    }
  }
}
