#pragma once
// JsonWriter: JSON text out, a token at a time, with the layout of JsonOptions (commas,
// newlines and indentation are its business, not the caller's). Nesting is tracked in a
// vector, so any depth is fine.

#include <picklejar/json.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace picklejar::json {

class JsonWriter {
 public:
  using Sink = std::function<void(std::string_view)>;
  // Collects into `out` when `sink` is empty; otherwise hands `sink` chunks of ~64 KiB.
  JsonWriter(std::string& out, const Sink& sink, const JsonOptions& options);

  void null();
  void boolean(bool b);
  void integer(std::int64_t i);
  void floating(double d);  // finite only: Python's repr, which always has '.', 'e' or is 'inf'
  void string(std::string_view utf8);  // valid UTF-8 without surrogates
  void begin_array();
  void end_array();
  void begin_object();
  void end_object();
  // An object member's name. With `dollar_escape`, a name starting with '$' gets one more.
  void key(std::string_view utf8, bool dollar_escape = false);
  // Hands what is left to the sink.
  void finish();

 private:
  void before_value();
  void newline_indent(std::size_t depth);
  void quoted(std::string_view utf8, bool extra_dollar = false);
  void maybe_flush();

  std::string& out_;
  const Sink& sink_;
  const JsonOptions options_;
  std::vector<bool> has_items_;  // per open array/object
  bool after_key_ = false;
};

}  // namespace picklejar::json
