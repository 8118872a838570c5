#include "export_document.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cstdint>
#include <set>
#include <string>
#include <system_error>
#include <utility>

#include "readable.hpp"

namespace picklejar::cli {
namespace {

JsonPosition position_at(std::string_view text, std::size_t offset) {
  JsonPosition position;
  position.offset = offset;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++position.line;
      position.column = 1;
    } else {
      ++position.column;
    }
  }
  return position;
}

// JSON Pointer (RFC 6901) escaping of one reference token.
std::string pointer_token(std::string_view key) {
  std::string out;
  for (const char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// Walks the envelope. Values it does not read are skipped by matching brackets outside
// strings; from_json() checks the entries' values fully, and the facts before them are not
// used.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  [[noreturn]] void fail(const std::string& why) const {
    throw JsonError(position_at(text_, pos_), "export document: " + why);
  }
  std::size_t pos() const { return pos_; }
  // Where the next token starts (after blanks).
  std::size_t next() {
    peek();
    return pos_;
  }
  bool at_end() {
    skip_space();
    return pos_ == text_.size();
  }
  char peek() {
    skip_space();
    if (pos_ == text_.size()) fail("unexpected end of the document");
    return text_[pos_];
  }
  void expect(char c) {
    if (peek() != c) fail(fmt::format("expected '{}'", c));
    ++pos_;
  }
  bool accept(char c) {
    if (peek() != c) return false;
    ++pos_;
    return true;
  }
  // A string literal, decoded.
  std::string string() {
    if (peek() != '"') fail("expected a string");
    const std::size_t start = pos_;
    skip_string();
    try {
      return std::string(from_json(text_.substr(start, pos_ - start)).as_str());
    } catch (const JsonError& e) {
      pos_ = start;
      fail(e.reason());
    }
  }
  // Skips one value; returns where its text starts.
  std::size_t skip_value() {
    peek();  // skips blanks, fails at the end
    const std::size_t start = pos_;
    std::string closers;  // the brackets still open, innermost last
    do {
      if (pos_ == text_.size()) fail("unexpected end of the document");
      const char c = text_[pos_];
      if (c == '"') {
        skip_string();
      } else if (c == '{' || c == '[') {
        closers.push_back(c == '{' ? '}' : ']');
        ++pos_;
      } else if (c == '}' || c == ']') {
        if (closers.empty() || closers.back() != c) fail(fmt::format("unexpected '{}'", c));
        closers.pop_back();
        ++pos_;
      } else if (closers.empty()) {
        skip_scalar();
      } else {
        ++pos_;
      }
    } while (!closers.empty());
    return start;
  }

 private:
  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r'))
      ++pos_;
  }
  void skip_string() {
    for (++pos_; pos_ < text_.size(); ++pos_) {
      if (text_[pos_] == '\\') {
        ++pos_;
      } else if (text_[pos_] == '"') {
        ++pos_;
        return;
      }
    }
    fail("unterminated string");
  }
  void skip_scalar() {
    const std::size_t start = pos_;
    while (pos_ < text_.size() &&
           std::string_view(",:{}[]\" \t\r\n").find(text_[pos_]) == std::string_view::npos)
      ++pos_;
    if (pos_ == start) fail(fmt::format("unexpected '{}'", text_[pos_]));
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

std::vector<ExportEntry> read_entries(Scanner& scan, std::string_view text) {
  std::vector<ExportEntry> entries;
  std::set<std::string, std::less<>> seen;
  scan.expect('{');
  if (scan.accept('}')) return entries;
  do {
    const std::size_t at = scan.next();
    ExportEntry entry;
    entry.key = scan.string();
    if (!seen.insert(entry.key).second)
      throw JsonError(position_at(text, at),
                      fmt::format("export document: key {} is given twice in \"entries\"",
                                  to_json(Value(entry.key))));
    scan.expect(':');
    entry.value_offset = scan.skip_value();
    entry.value_size = scan.pos() - entry.value_offset;
    entries.push_back(std::move(entry));
  } while (scan.accept(','));
  scan.expect('}');
  return entries;
}

void check_version(std::string_view text, std::size_t start, std::size_t end) {
  const std::string_view version = text.substr(start, end - start);
  if (version != std::to_string(kExportVersion))
    throw JsonError("/picklejar_export",
                    fmt::format("export document version {} is not the one this picklejar reads "
                                "({})",
                                version, kExportVersion));
}

// An integer member of the envelope (its raw text), within [low, high].
std::int64_t integer_member(std::string_view text, std::size_t start, std::size_t end,
                            std::string_view name, std::int64_t low, std::int64_t high) {
  const std::string_view raw = text.substr(start, end - start);
  std::int64_t value = 0;
  const auto [stop, error] = std::from_chars(raw.data(), raw.data() + raw.size(), value);
  if (error != std::errc() || stop != raw.data() + raw.size() || value < low || value > high)
    throw JsonError("/" + std::string(name),
                    fmt::format("export document: \"{}\" must be an integer{}, not {}", name,
                                low == 0 ? fmt::format(" {}-{}", low, high) : "", raw));
  return value;
}

}  // namespace

std::string export_header(const SessionFileInfo& info) {
  return fmt::format(
      "{{\"picklejar_export\":{},\"format_version\":{},\"app_schema_version\":{},"
      "\"default_protocol\":{},\"revision\":{},\"entries\":{{\n",
      kExportVersion, info.format_version, info.app_schema_version, info.default_protocol,
      info.revision);
}

std::string export_entry_prefix(std::string_view key, bool ensure_ascii) {
  JsonOptions options;
  options.ensure_ascii = ensure_ascii;
  return to_json(Value(key), options) + ":";
}

std::vector<ExportEntry> split_export(std::string_view text, ExportFacts* facts) {
  Scanner scan(text);
  std::vector<ExportEntry> entries;
  std::set<std::string, std::less<>> members;
  scan.expect('{');
  if (!scan.accept('}')) {
    do {
      const std::size_t at = scan.next();
      const std::string name = scan.string();
      if (!members.insert(name).second)
        throw JsonError(
            position_at(text, at),
            fmt::format("export document: member {} is given twice", to_json(Value(name))));
      scan.expect(':');
      if (name == "entries") {
        if (scan.peek() != '{') scan.fail("\"entries\" must be an object");
        entries = read_entries(scan, text);
      } else {
        const std::size_t start = scan.skip_value();
        if (name == "picklejar_export") check_version(text, start, scan.pos());
        if (facts && name == "app_schema_version")
          facts->app_schema_version =
              integer_member(text, start, scan.pos(), name, INT64_MIN, INT64_MAX);
        if (facts && name == "default_protocol")
          facts->default_protocol =
              static_cast<int>(integer_member(text, start, scan.pos(), name, 0, 5));
      }
    } while (scan.accept(','));
    scan.expect('}');
  }
  if (!scan.at_end()) scan.fail("text after the document");
  if (!members.contains("picklejar_export"))
    throw JsonError("", "not a picklejar export document: no \"picklejar_export\" member");
  if (!members.contains("entries"))
    throw JsonError("", "export document without an \"entries\" member");
  return entries;
}

Value read_export_value(std::string_view text, const ExportEntry& entry) {
  try {
    return from_json(text.substr(entry.value_offset, entry.value_size), json_read_options());
  } catch (const JsonError& e) {
    if (e.position())
      throw JsonError(position_at(text, entry.value_offset + e.position()->offset), e.reason());
    throw JsonError("/entries/" + pointer_token(entry.key) + e.pointer(), e.reason());
  }
}

}  // namespace picklejar::cli
