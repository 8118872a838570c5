#include "writer.hpp"

#include <picklejar/repr.hpp>

#include <fmt/format.h>

#include "../value/utf8.hpp"

namespace picklejar::json {
namespace {

constexpr std::size_t kChunk = std::size_t{64} << 10;
constexpr char kHex[] = "0123456789abcdef";

void append_u_escape(std::string& out, std::uint32_t unit) {
  out += "\\u";
  for (int shift = 12; shift >= 0; shift -= 4) out.push_back(kHex[(unit >> shift) & 0xF]);
}

// The escape JSON needs for an ASCII byte, or nullptr.
const char* short_escape(unsigned char c) {
  switch (c) {
    case '"':
      return "\\\"";
    case '\\':
      return "\\\\";
    case '\b':
      return "\\b";
    case '\f':
      return "\\f";
    case '\n':
      return "\\n";
    case '\r':
      return "\\r";
    case '\t':
      return "\\t";
    default:
      return nullptr;
  }
}

}  // namespace

JsonWriter::JsonWriter(std::string& out, const Sink& sink, const JsonOptions& options)
    : out_(out), sink_(sink), options_(options) {}

void JsonWriter::newline_indent(std::size_t depth) {
  if (options_.indent < 0) return;
  out_.push_back('\n');
  out_.append(depth * static_cast<std::size_t>(options_.indent), ' ');
}

void JsonWriter::before_value() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (has_items_.empty()) return;  // the document's one value
  if (has_items_.back()) out_.push_back(',');
  has_items_.back() = true;
  newline_indent(has_items_.size());
}

void JsonWriter::maybe_flush() {
  if (sink_ && out_.size() >= kChunk) {
    sink_(out_);
    out_.clear();
  }
}

void JsonWriter::null() {
  before_value();
  out_ += "null";
}

void JsonWriter::boolean(bool b) {
  before_value();
  out_ += b ? "true" : "false";
}

void JsonWriter::integer(std::int64_t i) {
  before_value();
  fmt::format_to(std::back_inserter(out_), "{}", i);
  maybe_flush();
}

void JsonWriter::floating(double d) {
  before_value();
  out_ += float_repr(d);
  maybe_flush();
}

void JsonWriter::string(std::string_view utf8) {
  before_value();
  quoted(utf8);
  maybe_flush();
}

void JsonWriter::key(std::string_view utf8, bool dollar_escape) {
  before_value();
  quoted(utf8, dollar_escape && !utf8.empty() && utf8[0] == '$');
  out_ += options_.indent < 0 ? ":" : ": ";
  after_key_ = true;
}

void JsonWriter::begin_array() {
  before_value();
  out_.push_back('[');
  has_items_.push_back(false);
}

void JsonWriter::end_array() {
  const bool had_items = has_items_.back();
  has_items_.pop_back();
  if (had_items) newline_indent(has_items_.size());
  out_.push_back(']');
  maybe_flush();
}

void JsonWriter::begin_object() {
  before_value();
  out_.push_back('{');
  has_items_.push_back(false);
}

void JsonWriter::end_object() {
  const bool had_items = has_items_.back();
  has_items_.pop_back();
  if (had_items) newline_indent(has_items_.size());
  out_.push_back('}');
  maybe_flush();
}

void JsonWriter::quoted(std::string_view utf8, bool extra_dollar) {
  out_.push_back('"');
  if (extra_dollar) out_.push_back('$');
  std::size_t run = 0;  // start of the bytes not yet copied
  for (std::size_t i = 0; i < utf8.size();) {
    const auto c = static_cast<unsigned char>(utf8[i]);
    if (c >= 0x20 && c != '"' && c != '\\' && (c < 0x80 || !options_.ensure_ascii)) {
      ++i;
      continue;
    }
    out_.append(utf8.substr(run, i - run));
    if (c >= 0x80) {
      const char32_t cp = detail::next_code_point(utf8, i);
      if (cp > 0xFFFF) {
        append_u_escape(out_, 0xD800 + ((cp - 0x10000) >> 10));
        append_u_escape(out_, 0xDC00 + ((cp - 0x10000) & 0x3FF));
      } else {
        append_u_escape(out_, cp);
      }
    } else {
      if (const char* e = short_escape(c)) {
        out_ += e;
      } else {
        append_u_escape(out_, c);
      }
      ++i;
    }
    run = i;
  }
  out_.append(utf8.substr(run));
  out_.push_back('"');
}

void JsonWriter::finish() {
  if (sink_ && !out_.empty()) {
    sink_(out_);
    out_.clear();
  }
}

}  // namespace picklejar::json
