#pragma once
// picklejar's JSON form of a Value: plain JSON for what JSON has (None, bool, 64-bit int,
// finite float, str, list, dict with str keys) and small tagged objects such as
// {"$tuple": [1, 2]} or {"$bytes": "AAE="} for everything else, including shared references
// and cycles. The form is lossless: from_json(to_json(v)) equals v *and has the same sharing*,
// so dumps() of both gives the same bytes at every protocol. docs/JSON.md specifies every tag
// with examples; the tag names are part of the format and never change meaning.
//
// Reading is as safe as loads(): nothing named in the JSON is imported or run (a $global or
// $object is an inert record, as in the decoder), nothing recurses on the C stack in
// proportion to the nesting, and malformed input raises JsonError naming where it is.
//
// Thread safety: as for Value (value.hpp); the functions hold no shared state.

#include <picklejar/config.hpp>

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <picklejar/error.hpp>
#include <picklejar/value.hpp>

namespace picklejar {

// How to_json() writes.
struct JsonOptions {
  // Spaces per nesting level. -1 (default): one line, no spaces, the most compact form.
  // 0 and more: one item per line, as Python's json.dumps(indent=N) lays it out.
  int indent = -1;
  // Escape every non-ASCII character as \uXXXX (astral ones as surrogate pairs), as Python's
  // json.dumps does by default. Default false: text stays UTF-8.
  bool ensure_ascii = false;
  // Write datetime, date, time, timedelta, Decimal, UUID, pathlib.PosixPath and plain
  // instances in their readable forms ({"$datetime": "2026-12-07T08:42:33Z"},
  // {"$class": "app.Window", "width": 800}; docs/JSON.md "Readable forms"), for editing.
  // from_json() reads them back to equal values (always, whatever this option). Default
  // false: the $object recipes, which also keep the exact pickle bytes.
  bool readable = false;
};

// Limits of from_json().
struct JsonReadOptions {
  // JSON arrays and objects open at once. Nothing recurses, so this is a budget rather than a
  // guard for the stack; a Value nests one level per array and up to three per tagged object.
  std::size_t max_depth = 100'000;
  // Decimal digits of one int (a plain JSON number or a decimal "$int"), as CPython 3.11's
  // sys.get_int_max_str_digits() (decimal text converts in quadratic time). Hexadecimal
  // "$int" text, which to_json() writes for larger ints, converts in linear time and has no
  // limit. 0 means no limit.
  std::size_t max_int_digits = 4300;
};

// Where a syntax error is: byte offset, and 1-based line and column (the column counts bytes).
struct JsonPosition {
  std::size_t offset = 0;  // bytes before the error
  std::size_t line = 1;    // from 1
  std::size_t column = 1;  // from 1, in bytes
};

// Malformed JSON, or JSON that is not the tagged form (an unknown tag, a missing field, a
// reference to an id never defined, ...). Messages read "what 'where': why", e.g.
//   "invalid JSON at line 3, column 7 (byte 25): syntax error while parsing value - ..."
//   "invalid tagged JSON at /items/2/$tuple/0: $ref 7 names no $id defined before it"
// A pointer of more than about 150 bytes is shown by its two ends in the message
// ("/0/0/0/...(99970 levels).../0/0"); pointer() has it whole.
class PICKLEJAR_EXPORT JsonError : public Error {
 public:
  // Not the tagged form: `pointer` is a JSON Pointer (RFC 6901), "" for the whole document.
  JsonError(std::string pointer, const std::string& reason);
  // Not JSON at all.
  JsonError(JsonPosition position, const std::string& reason);

  // The offending element; empty for syntax errors (see position()).
  const std::string& pointer() const noexcept { return pointer_; }
  // Where a syntax error is; empty for errors of the tagged form.
  const std::optional<JsonPosition>& position() const noexcept { return position_; }
  // The reason alone, without the location.
  const std::string& reason() const noexcept { return reason_; }

 private:
  std::string pointer_;
  std::optional<JsonPosition> position_;
  std::string reason_;
};

// The tagged JSON text of `value`. Never throws for a valid Value (every kind and graph has a
// form); std::bad_alloc aside. Time and memory are linear in the size of the value graph.
PICKLEJAR_EXPORT std::string to_json(const Value& value, const JsonOptions& options = {});
// The same, handed to `write` piece by piece (chunks of about 64 KiB) instead of being
// collected: for exporting large values. Exceptions from `write` propagate.
PICKLEJAR_EXPORT void write_json(const Value& value,
                                 const std::function<void(std::string_view)>& write,
                                 const JsonOptions& options = {});

// The Value that tagged JSON text describes. Any JSON document is accepted that follows
// docs/JSON.md; plain JSON (without tags) gives dicts, lists, strs and numbers. Ints beyond 64
// bits are read exactly (never rounded through a double), floats beyond double's range are an
// error. Throws JsonError.
PICKLEJAR_EXPORT Value from_json(std::string_view text, const JsonReadOptions& options = {});

}  // namespace picklejar
