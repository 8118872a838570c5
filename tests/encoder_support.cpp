#include "encoder_support.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

#include <picklejar/buffer.hpp>
#include <picklejar/dis.hpp>

#include "python.hpp"

namespace picklejar::test {
namespace {

// Runs tests/gen/pjencode.py's main() on the request lines; returns its answer lines.
std::vector<std::string> ask_pjencode(const std::vector<std::string>& requests) {
  std::string input;
  for (const auto& r : requests) input += r + "\n";
  // run_python() takes only a script: the requests travel inside it (hex and spaces only).
  const std::string script = "import io, sys\nsys.stdin = io.StringIO('''" + input +
                             "''')\nimport pjencode\npjencode.main()\n";
  std::istringstream out(run_python(script));
  std::vector<std::string> answers;
  for (std::string line; std::getline(out, line);) answers.push_back(line);
  if (answers.size() != requests.size()) {
    throw std::runtime_error(
        fmt::format("pjencode: {} answers to {} requests", answers.size(), requests.size()));
  }
  return answers;
}

std::string hex_bytes(std::span<const std::byte> bytes) {
  return hex(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

std::string label(const Value& key) {
  const std::string text = key.repr();
  return text.size() > 40 ? text.substr(0, 37) + "..." : text;
}

// strict_difference(): both values walked side by side with a work list (no recursion), the
// mutable nodes paired one to one as they are met.
class StrictComparer {
 public:
  std::string run(const Value& a, const Value& b) {
    work_.push_back({a, b, ""});
    while (!work_.empty()) {
      Item item = std::move(work_.back());
      work_.pop_back();
      const std::string why = compare(item.a, item.b, item.path);
      if (!why.empty()) return (item.path.empty() ? "the value itself" : item.path) + ": " + why;
    }
    return "";
  }

 private:
  struct Item {
    Value a, b;
    std::string path;
  };

  static bool is_mutable(Kind kind) {
    return kind == Kind::list || kind == Kind::dict || kind == Kind::set ||
           kind == Kind::bytearray || kind == Kind::object;
  }

  // False when x or y was met before, paired with another node (or not paired at all).
  bool pair(const Value& x, const Value& y, bool& seen) {
    const auto ix = x.identity(), iy = y.identity();
    const auto fx = pairs_.find(ix);
    const auto fy = counterparts_.find(iy);
    seen = fx != pairs_.end() || fy != counterparts_.end();
    if (!seen) {
      pairs_.emplace(ix, iy);
      counterparts_.emplace(iy, ix);
      return true;
    }
    return fx != pairs_.end() && fx->second == iy && fy != counterparts_.end() && fy->second == ix;
  }

  void push(const Value& x, const Value& y, std::string path) {
    work_.push_back({x, y, std::move(path)});
  }

  std::string compare(const Value& x, const Value& y, const std::string& path) {
    if (x.kind() != y.kind())
      return fmt::format("{} vs {}", kind_name(x.kind()), kind_name(y.kind()));
    if (is_mutable(x.kind())) {
      bool seen = false;
      if (!pair(x, y, seen)) return "shared differently";
      if (seen) return "";
    }
    switch (x.kind()) {
      case Kind::none:
        return "";
      case Kind::boolean:
      case Kind::integer:
        return x == y ? "" : fmt::format("{} vs {}", x.repr(), y.repr());
      case Kind::floating: {
        const auto bx = std::bit_cast<std::uint64_t>(x.as_float());
        const auto by = std::bit_cast<std::uint64_t>(y.as_float());
        return bx == by ? "" : fmt::format("float bits {:016x} vs {:016x}", bx, by);
      }
      case Kind::str:
        return x.as_str() == y.as_str() ? "" : fmt::format("{} vs {}", label(x), label(y));
      case Kind::bytes:
      case Kind::bytearray:
        return x.as_bytes_view() == y.as_bytes_view() ? "" : "different bytes";
      case Kind::list:
      case Kind::tuple:
        if (x.size() != y.size()) return fmt::format("{} vs {} items", x.size(), y.size());
        for (std::size_t i = 0; i < x.size(); ++i)
          push(x.at(i), y.at(i), fmt::format("{}[{}]", path, i));
        return "";
      case Kind::dict:
        return compare_dict(x, y, path);
      case Kind::set:
      case Kind::frozenset:
        return compare_set(x, y, path);
      case Kind::global:
        return x.global_module() == y.global_module() && x.global_name() == y.global_name()
                   ? ""
                   : fmt::format("{} vs {}", x.repr(), y.repr());
      case Kind::object:
        return compare_object(x, y, path);
    }
    return "unknown kind";
  }

  std::string compare_dict(const Value& x, const Value& y, const std::string& path) {
    if (x.size() != y.size()) return fmt::format("{} vs {} items", x.size(), y.size());
    if (x.dict_flavor() != y.dict_flavor()) return "dict vs OrderedDict";
    const auto xs = x.items(), ys = y.items();
    for (std::size_t i = 0; i < xs.size(); ++i) {
      push(xs[i].first, ys[i].first, fmt::format("{}{{key {}}}", path, i));
      push(xs[i].second, ys[i].second, fmt::format("{}[{}]", path, label(xs[i].first)));
    }
    push(x.dict_state(), y.dict_state(), path + ".state");
    return "";
  }

  std::string compare_set(const Value& x, const Value& y, const std::string& path) {
    if (x.size() != y.size()) return fmt::format("{} vs {} members", x.size(), y.size());
    std::unordered_map<Value, Value> members;  // by Python equality
    for (const Value& m : y) members.emplace(m, m);
    for (const Value& m : x) {
      const auto found = members.find(m);
      if (found == members.end()) return "no member equal to " + label(m);
      push(m, found->second, fmt::format("{}{{{}}}", path, label(m)));
    }
    return "";
  }

  std::string compare_object(const Value& x, const Value& y, const std::string& path) {
    if (x.object_form() != y.object_form()) return "different object forms";
    push(x.object_callable(), y.object_callable(), path + ".callable");
    push(x.object_args(), y.object_args(), path + ".args");
    push(x.object_kwargs(), y.object_kwargs(), path + ".kwargs");
    push(x.object_state(), y.object_state(), path + ".state");
    const auto xl = x.object_listitems(), yl = y.object_listitems();
    if (xl.size() != yl.size()) return "different numbers of listitems";
    for (std::size_t i = 0; i < xl.size(); ++i)
      push(xl[i], yl[i], fmt::format("{}.listitems[{}]", path, i));
    const auto xd = x.object_dictitems(), yd = y.object_dictitems();
    if (xd.size() != yd.size()) return "different numbers of dictitems";
    for (std::size_t i = 0; i < xd.size(); ++i) {
      push(xd[i].first, yd[i].first, fmt::format("{}.dictitems{{key {}}}", path, i));
      push(xd[i].second, yd[i].second, fmt::format("{}.dictitems[{}]", path, label(xd[i].first)));
    }
    return "";
  }

  std::vector<Item> work_;
  std::unordered_map<std::uintptr_t, std::uintptr_t> pairs_, counterparts_;
};

}  // namespace

std::string hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    out += kDigits[static_cast<unsigned char>(c) >> 4];
    out += kDigits[static_cast<unsigned char>(c) & 15];
  }
  return out;
}

std::string unhex(std::string_view text) {
  std::string out;
  out.reserve(text.size() / 2);
  for (std::size_t i = 0; i + 1 < text.size(); i += 2) {
    out += static_cast<char>(std::stoi(std::string(text.substr(i, 2)), nullptr, 16));
  }
  return out;
}

std::string strict_difference(const Value& a, const Value& b) { return StrictComparer().run(a, b); }

std::string first_difference(std::string_view ours, std::string_view theirs) {
  if (ours == theirs) return "";
  const auto mismatch = std::mismatch(ours.begin(), ours.end(), theirs.begin(), theirs.end());
  const std::size_t at = static_cast<std::size_t>(mismatch.first - ours.begin());
  const std::size_t from = at < 8 ? 0 : at - 8;
  const auto around = [&](std::string_view s) {
    return (from > 0 ? "..." : "") + hex(s.substr(std::min(from, s.size()), at - from)) + "|" +
           hex(s.substr(std::min(at, s.size()), 8));
  };
  return fmt::format("lengths {} and {}, first difference at offset {}: ours {} vs theirs {}",
                     ours.size(), theirs.size(), at, around(ours), around(theirs));
}

long count_opcode(const std::string& pickle, std::string_view name) {
  // pickletools' lines: "<offset>: <byte> <indent><NAME> <argument>"
  std::istringstream lines(disassemble(pickle));
  long n = 0;
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string offset, byte, opcode;
    fields >> offset >> byte >> opcode;
    if (offset.ends_with(':') && opcode == name) ++n;
  }
  return n;
}

std::string dumps_at(const Value& value, int protocol, BatchingProfile batching) {
  EncodeOptions options;
  options.protocol = protocol;
  options.batching = batching;
  return dumps(value, options);
}

std::vector<CPythonBytes> cpython_bytes(const std::vector<std::string>& programs) {
  std::vector<std::string> requests;
  for (const auto& p : programs) requests.push_back("dumps " + hex(p));
  std::vector<CPythonBytes> out;
  for (const auto& answer : ask_pjencode(requests)) {
    std::istringstream fields(answer);
    CPythonBytes bytes;
    for (auto* side : {&bytes.c, &bytes.python}) {
      for (auto& pickle : *side) {
        std::string field;
        if (!(fields >> field)) throw std::runtime_error("pjencode dumps: short answer");
        if (field != "-") pickle = unhex(field);
      }
    }
    out.push_back(std::move(bytes));
  }
  return out;
}

std::vector<std::string> python_loads(const std::vector<LoadsCheck>& checks) {
  std::vector<std::string> requests;
  for (const auto& c : checks) {
    std::string buffers;
    for (const Buffer& b : c.buffers) {
      buffers += (buffers.empty() ? "" : ",") + std::string(b.readonly() ? "" : "+") +
                 hex_bytes(b.bytes());
    }
    requests.push_back(fmt::format("loads {} {} {} {}", hex(c.pickle), hex(c.expected), hex(c.also),
                                   buffers.empty() ? "-" : buffers));
  }
  return ask_pjencode(requests);
}

std::vector<std::string> python_reencode(const std::vector<std::pair<int, std::string>>& pickles) {
  std::vector<std::string> requests;
  for (const auto& [protocol, pickle] : pickles)
    requests.push_back(fmt::format("reencode {} {}", protocol, hex(pickle)));
  std::vector<std::string> out = ask_pjencode(requests);
  for (auto& answer : out) answer = unhex(answer);
  return out;
}

}  // namespace picklejar::test
