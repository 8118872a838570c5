#pragma once
// The tag names of picklejar's JSON form (docs/JSON.md). Part of the format: a name is never
// renamed, removed or given another meaning.

#include <cstdint>
#include <string_view>

namespace picklejar::json {

enum class TagName : std::uint8_t {
  id,         // "$id": n        -- names the node this tagged object defines
  ref,        // "$ref": n       -- the node defined with "$id": n
  interned,   // "$interned": s  -- the one str node of plain dict keys / global names "s"
  str,        // "$str": s | [chunks]  -- a str (with $id, or with lone surrogates)
  integer,    // "$int": "digits" | "0x..."  -- an int beyond 64 bits
  floating,   // "$float": "nan" | "-nan" | "inf" | "-inf" | "0x<16 hex digits of bits>"
  bytes,      // "$bytes": base64
  bytearray,  // "$bytearray": base64
  list,       // "$list": [...]  -- a list with $id
  tuple,      // "$tuple": [...]
  set,        // "$set": [...]
  frozenset,  // "$frozenset": [...]
  dict,       // "$dict": {...} | [[k, v], ...]
  odict,      // "$odict": {...} | [[k, v], ...]  -- collections.OrderedDict
  state,      // "$state": v  -- next to "$odict": the OrderedDict's instance attributes
  global,     // "$global": [module, qualname]
  object,     // "$object": {"form": ..., "callable": ..., "args": [...], ...}
  // Readable forms (readable_forms.hpp), written only with JsonOptions::readable:
  datetime,   // "$datetime": "2026-12-07T08:42:33Z"
  date,       // "$date": "2026-12-07"
  time,       // "$time": "08:42:33.5+01:00"
  timedelta,  // "$timedelta": "-1 day, 23:59:55"  (str(timedelta))
  decimal,    // "$decimal": "1.50"
  uuid,       // "$uuid": "12345678-1234-5678-1234-567812345678"
  path,       // "$path": "/home/x/a.txt"  (pathlib.PosixPath)
  class_,     // "$class": "module.Name", then the instance attributes as members
  ndarray,    // "$ndarray": {"recipe": ..., "dtype": ..., "shape": [...], "data": ...}
  dtype,      // "$dtype": "<f8" | {"str": "<f8", "endian": ...}  -- a numpy.dtype recipe
  unknown,
};

// The name without its '$' ("$tuple" -> TagName::tuple); unknown for anything else.
TagName tag_name(std::string_view key) noexcept;
// "$tuple" for TagName::tuple.
std::string_view tag_text(TagName tag) noexcept;

// A dict key that starts with '$' is written with one more '$' in a JSON object, so that keys
// starting with a single '$' are always tags.
inline bool is_tag_key(std::string_view key) noexcept {
  return !key.empty() && key[0] == '$' && (key.size() == 1 || key[1] != '$');
}

}  // namespace picklejar::json
