// Parsing with nlohmann::json's SAX interface into the flat JsonDom. nlohmann's parser keeps
// its nesting in a vector (no recursion), checks UTF-8, and hands big numbers over with their
// text, which is what lets ints beyond 64 bits be read exactly.

#include "dom.hpp"

#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "../value/utf8.hpp"

namespace picklejar::json {

class DomBuilder final : public nlohmann::json_sax<nlohmann::json> {
 public:
  DomBuilder(JsonDom& dom, std::string_view text, std::size_t max_depth)
      : dom_(dom), text_(text), max_depth_(max_depth) {}

  // Set when parsing stopped for a reason of ours or nlohmann's.
  std::optional<JsonError> error;

  bool null() override { return add(JsonDom::Type::null) != JsonDom::kNone; }
  bool boolean(bool val) override {
    const auto i = add(JsonDom::Type::boolean);
    if (i != JsonDom::kNone) dom_.elements_[i].boolean = val;
    return i != JsonDom::kNone;
  }
  bool number_integer(number_integer_t val) override {
    const auto i = add(JsonDom::Type::integer);
    if (i != JsonDom::kNone) dom_.elements_[i].number.integer = val;
    return i != JsonDom::kNone;
  }
  bool number_unsigned(number_unsigned_t val) override {
    if (val <= static_cast<number_unsigned_t>(INT64_MAX)) {
      return number_integer(static_cast<number_integer_t>(val));
    }
    return add_text(JsonDom::Type::big_integer, fmt::format("{}", val));
  }
  bool number_float(number_float_t val, const string_t& s) override {
    // An integer too large for 64 bits reaches here as a (rounded) double: keep its text.
    if (s.find_first_of(".eE") == string_t::npos) return add_text(JsonDom::Type::big_integer, s);
    const auto i = add(JsonDom::Type::floating);
    if (i != JsonDom::kNone) dom_.elements_[i].number.floating = val;
    return i != JsonDom::kNone;
  }
  bool string(string_t& val) override { return add_text(JsonDom::Type::string, val); }
  bool binary(binary_t&) override { return false; }  // not produced by the JSON parser
  bool start_object(std::size_t) override { return open(JsonDom::Type::object); }
  bool key(string_t& val) override {
    key_offset_ = dom_.pool_.size();
    key_size_ = val.size();
    dom_.pool_ += val;
    return true;
  }
  bool end_object() override { return close(); }
  bool start_array(std::size_t) override { return open(JsonDom::Type::array); }
  bool end_array() override { return close(); }
  bool parse_error(std::size_t position, const std::string& last_token,
                   const nlohmann::detail::exception& ex) override {
    std::string why = reason(ex.what());
    // nlohmann reads an integer too large for a double as an overflowing number.
    if (ex.id == 406 && !last_token.empty() &&
        last_token.find_first_not_of("-0123456789") == std::string::npos) {
      why = fmt::format(
          "an integer of {} digits is beyond what the JSON parser reads as a number "
          "(about 308 digits): write it as {{\"$int\": \"...\"}}",
          last_token.size() - (last_token[0] == '-'));
    }
    error = JsonError(text_position(position > 0 ? position - 1 : 0), why);
    return false;
  }

 private:
  // Appends an element under the innermost open container; kNone when the document is too big.
  std::uint32_t add(JsonDom::Type type) {
    auto& elements = dom_.elements_;
    if (elements.size() >= JsonDom::kNone) {
      error = JsonError(std::string(), "more than 4294967294 JSON values");
      return JsonDom::kNone;
    }
    const auto index = static_cast<std::uint32_t>(elements.size());
    JsonDom::Element e;
    e.type = type;
    if (!open_.empty()) {
      JsonDom::Element& parent = elements[open_.back()];
      e.parent = open_.back();
      e.index = parent.size++;
      if (parent.type == JsonDom::Type::object) e.key_offset = key_offset_, e.key_size = key_size_;
      if (last_child_.back() != JsonDom::kNone) elements[last_child_.back()].next = index;
      last_child_.back() = index;
    }
    elements.push_back(e);
    return index;
  }
  bool add_text(JsonDom::Type type, std::string_view text) {
    const auto i = add(type);
    if (i == JsonDom::kNone) return false;
    dom_.elements_[i].text_offset = dom_.pool_.size();
    dom_.elements_[i].text_size = text.size();
    dom_.pool_ += text;
    return true;
  }
  bool open(JsonDom::Type type) {
    if (open_.size() >= max_depth_) {
      error = JsonError(dom_.pointer(open_.empty() ? JsonDom::kNone : open_.back()),
                        fmt::format("JSON nesting deeper than max_depth ({})", max_depth_));
      return false;
    }
    const auto i = add(type);
    if (i == JsonDom::kNone) return false;
    open_.push_back(i);
    last_child_.push_back(JsonDom::kNone);
    return true;
  }
  bool close() {
    open_.pop_back();
    last_child_.pop_back();
    return true;
  }

  JsonPosition text_position(std::size_t offset) const {
    offset = std::min(offset, text_.size());
    const std::string_view before = text_.substr(0, offset);
    JsonPosition p;
    p.offset = offset;
    p.line = 1 + static_cast<std::size_t>(std::count(before.begin(), before.end(), '\n'));
    const auto newline = before.rfind('\n');
    p.column = newline == std::string_view::npos ? offset + 1 : offset - newline;
    return p;
  }
  // nlohmann's message without its "[json.exception.parse_error.101] parse error at line 1,
  // column 2: " prefix (we say where ourselves).
  static std::string reason(std::string_view what) {
    if (what.starts_with("[json.exception.")) {
      const auto end = what.find("] ");
      if (end != std::string_view::npos) what.remove_prefix(end + 2);
    }
    if (what.starts_with("parse error")) {
      const auto colon = what.find(": ");
      if (colon != std::string_view::npos) what.remove_prefix(colon + 2);
    }
    // The message quotes the token read last, which may be a megabyte long, or not UTF-8.
    constexpr std::size_t kMax = 300;
    const bool cut = what.size() > kMax;
    if (cut) what = what.substr(0, kMax);
    std::string out;
    while (const auto bad = detail::find_invalid_utf8(what)) {
      out.append(what.substr(0, *bad));
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(what[*bad]));
      what.remove_prefix(*bad + 1);
    }
    out.append(what);
    return cut ? out + "..." : out;
  }

  JsonDom& dom_;
  std::string_view text_;
  std::size_t max_depth_;
  std::vector<std::uint32_t> open_;        // arrays and objects being filled
  std::vector<std::uint32_t> last_child_;  // the last child added to each of them
  std::size_t key_offset_ = 0, key_size_ = 0;
};

JsonDom JsonDom::parse(std::string_view text, const JsonReadOptions& options) {
  JsonDom dom;
  dom.pool_.reserve(text.size());
  DomBuilder builder(dom, text, options.max_depth);
  const bool ok = nlohmann::json::sax_parse(text.begin(), text.end(), &builder);
  if (builder.error) throw *builder.error;
  if (!ok) throw JsonError(std::string(), "the JSON parser stopped without saying why");
  return dom;
}

std::string JsonDom::pointer(std::uint32_t i) const {
  std::vector<std::string> parts;
  for (; i != kNone && at(i).parent != kNone; i = at(i).parent) {
    const Element& e = at(i);
    if (at(e.parent).type == Type::array) {
      parts.push_back(fmt::format("{}", e.index));
      continue;
    }
    std::string part;
    for (const char c : key(e)) {
      if (c == '~') {
        part += "~0";
      } else if (c == '/') {
        part += "~1";
      } else {
        part.push_back(c);
      }
    }
    parts.push_back(std::move(part));
  }
  std::string out;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) out += "/" + *it;
  return out;
}

}  // namespace picklejar::json
