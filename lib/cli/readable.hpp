#pragma once
// The CLI never writes a pickle its own reader refuses: from_json() and Session::set() take a
// value nested deeper than the decoder's max_depth, say, and `set` once stored one that `get`,
// `verify` and `export` then failed on.

#include <picklejar/json.hpp>
#include <picklejar/pickle.hpp>

#include <string>
#include <string_view>

namespace picklejar::cli {

// Decodes `pickle` again with `options`; a failure becomes an EncodeError naming `what` and
// the decoder's reason.
void require_readable(std::string_view pickle, const DecodeOptions& options,
                      const std::string& what);

// JSON options for the values the CLI reads: nesting up to four JSON levels per level of a
// value the decoder accepts with default limits (a dict with non-str keys is
// {"$dict":[[k, v]]}), and no deeper.
JsonReadOptions json_read_options();

}  // namespace picklejar::cli
