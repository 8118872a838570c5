#pragma once
// What a session writes, a session with the same DecodeOptions reads: the check that a
// pickle just written is within the reader's limits. Internal.
//
// A full decode would double the cost of every write, so the check is staged by what the
// pickle's size lets it reach (write_check.cpp): max_input_bytes is a size check; nesting
// depth, open MARKs and memo entries are counted by a pass over the opcodes that builds no
// values (depth_pass.cpp), only for pickles long enough to reach them; the limits on what a
// decode makes (objects, items, payload and total bytes) are checked by decoding, only for
// pickles large enough to reach them.

#include <picklejar/pickle.hpp>

#include <string_view>

namespace picklejar::pickle {

// Throws what loads(pickle, options) throws (LimitError, ForbiddenError, DecodeError) when
// it would refuse `pickle`, which dumps() wrote at `protocol` with default EncodeOptions
// (no extension registry, no out-of-band buffers, no persistent ids).
void check_decodable(std::string_view pickle, int protocol, const DecodeOptions& options);

// False when the opcodes of `pickle` may nest values or MARKs deeper than `limits.max_depth`
// or store more than `limits.max_memo_entries` memo entries as loads() counts them, or use
// what the pass does not follow (persistent ids, sparse memo indices, bad input); true when
// they surely do not. Counts REDUCE as the decoder counts a call, which is never less than
// it counts a well-known form (set([...])), so it errs only towards false. No allocation
// per value: a stack of depths and a memo of depths.
bool within_depth_and_memo(std::string_view pickle, const DecodeLimits& limits);

}  // namespace picklejar::pickle
