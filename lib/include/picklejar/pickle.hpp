#pragma once
// Reading and writing pickles: picklejar::loads() turns the bytes pickle.dumps() writes
// (protocols 0-5) into a Value; picklejar::dumps() writes a Value the way pickle.dumps() does.
//
// Safety policy. Decoding never calls, imports or resolves anything:
//   - A global (class or function reference) becomes an inert Value of kind global; an
//     instance becomes an inert object recipe. Nothing named in the pickle is ever executed.
//     With GlobalPolicy::allowlist, any global outside `allowed_globals` is refused with
//     ForbiddenError instead.
//   - A handful of well-known forms become native values without running anything: the
//     protocol 0-3 reduce forms of builtins.set/frozenset/bytearray/bytes, protocol 2's
//     _codecs.encode(str, 'latin1') for bytes, collections.OrderedDict (a dict flavoured
//     ordered_dict), and copyreg._reconstructor(cls, object, None) (an object of cls).
//   - EXT codes resolve only through the caller's registry; persistent ids only through the
//     caller's hook; out-of-band buffers only from the caller's list. Without them the
//     opcodes are refused with ForbiddenError.
//   - Limits bound time and memory whatever the input: declared lengths are checked against
//     the bytes actually present before anything is allocated, and every structure the
//     input can grow (stack, memo, containers, object count) has a cap. Exceeding one throws
//     LimitError naming the limit.
// Every failure is a DecodeError (or subclass) carrying the byte offset and opcode.

#include <picklejar/config.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <picklejar/buffer.hpp>
#include <picklejar/error.hpp>
#include <picklejar/extensions.hpp>
#include <picklejar/value.hpp>

namespace picklejar {

// Limits on what decoding may use, each checked before it allocates (LimitError).
struct DecodeLimits {
  // Total size of the pickle.
  std::size_t max_input_bytes = std::size_t{1} << 30;
  // How deeply values nest (a list in a list in a list is 3 deep), and how many MARKs are
  // open at once (each is a container or call still being built). A flat tuple of many items
  // is not deep: its size is max_container_items' business.
  std::size_t max_depth = 10'000;
  // Distinct memo entries (PUT/BINPUT/LONG_BINPUT/MEMOIZE).
  std::size_t max_memo_entries = 10'000'000;
  // Items in one list, tuple, dict, set, frozenset or object.
  std::size_t max_container_items = 100'000'000;
  // Bytes of one str, bytes, bytearray or int payload.
  std::size_t max_allocation_bytes = std::size_t{1} << 30;
  // Values created while decoding (nodes: str, bytes, containers, big ints, ...), including
  // ones the pickle discards. Bounds memory against inputs that build and drop objects.
  std::size_t max_objects = 50'000'000;
  // Bytes the decode may allocate in all: nodes, str/bytes/int payloads, container storage,
  // the stack and the memo, including what the pickle discards (payloads a loads(Buffer)
  // refers to without copying are not allocated). The counts above bound how many things an
  // input makes; this bounds what they weigh, so a 30 MB pickle of EMPTY_LIST opcodes stops
  // here rather than at 3 GB.
  std::size_t max_total_bytes = std::size_t{1} << 30;
  // Decimal digits in a protocol-0 INT/LONG text, as CPython 3.11's int max str digits.
  std::size_t max_int_digits = 4300;
};

// Which globals (classes and functions a pickle names) decoding admits.
enum class GlobalPolicy : std::uint8_t {
  keep,       // every global becomes an inert Value (default; nothing runs either way)
  allowlist,  // globals outside allowed_globals throw ForbiddenError
};

// What Python 2 str opcodes (STRING, BINSTRING, SHORT_BINSTRING) decode to; Python 3's
// pickle.loads(encoding=...) choice.
enum class Py2Strings : std::uint8_t {
  ascii,   // str, non-ASCII is an error (Python's default)
  latin1,  // str, bytes mapped 1:1 to U+0000..U+00FF (what numpy needs)
  utf8,    // str, decoded as UTF-8
  bytes,   // bytes, untouched (Python's encoding='bytes')
};

// What decoding does with bytes after the pickle's STOP opcode.
enum class TrailingData : std::uint8_t {
  reject,  // bytes after STOP are an error (default: a stored blob is exactly one pickle)
  ignore,  // bytes after STOP are left alone, as pickle.loads does
};

// How loads() decodes. The defaults are safe for any input.
struct DecodeOptions {
  DecodeLimits limits;                        // sizes, depth and counts
  GlobalPolicy globals = GlobalPolicy::keep;  // default keep
  // "module.qualname" strings allowed under GlobalPolicy::allowlist, matched exactly (after
  // Python 2 name mapping; no attribute traversal). The well-known forms above are always
  // allowed because they decode to plain data.
  std::unordered_set<std::string> allowed_globals;
  Py2Strings py2_strings = Py2Strings::ascii;  // default ascii, as Python's
  // Map Python 2 module/global names to Python 3 ones in protocol 0-2 pickles, as
  // pickle.loads(fix_imports=True) does.
  bool fix_imports = true;
  TrailingData trailing_data = TrailingData::reject;  // default reject
  // Resolves EXT1/EXT2/EXT4 codes; none by default (EXT opcodes are refused).
  const ExtensionRegistry* extensions = nullptr;
  // Called with the persistent id of PERSID/BINPERSID; its result takes the id's place. Empty
  // by default (persistent ids are refused). Exceptions it throws are reported as
  // DecodeError(hook_failed) with the original message.
  std::function<Value(const Value& persistent_id)> persistent_load;
  // Out-of-band buffers for protocol 5's NEXT_BUFFER, consumed in order. The decoded values
  // refer to the buffers' memory without copying it.
  std::span<const Buffer> buffers;
};

// Decodes one pickle. Throws DecodeError (LimitError, ForbiddenError) on bad input.
PICKLEJAR_EXPORT Value loads(std::span<const std::byte> pickle, const DecodeOptions& options = {});
PICKLEJAR_EXPORT Value loads(std::string_view pickle, const DecodeOptions& options = {});
// Decodes a pickle held in a shared buffer. When the buffer is read-only, bytes payloads of
// 4 KiB and more are not copied: the values refer into the buffer and keep it alive (through
// its owner) for as long as they live. A writable buffer is decoded by copying, as above.
PICKLEJAR_EXPORT Value loads(const Buffer& pickle, const DecodeOptions& options = {});

// Decodes the first pickle in `data` and reports how many bytes it used (the rest is left,
// whatever options.trailing_data says).
struct LoadResult {
  Value value;               // the decoded pickle
  std::size_t consumed = 0;  // bytes used, through its STOP
};
// Decodes the first pickle in `data` (see LoadResult).
PICKLEJAR_EXPORT LoadResult load_prefix(std::span<const std::byte> data,
                                        const DecodeOptions& options = {});

// ---- writing ---------------------------------------------------------------------------------
//
// Byte-identity. dumps() writes what CPython's C pickler (3.8-3.14, checked against 3.11)
// writes for the same object graph: the same opcodes, memo indices, batches and frames.
// Python memoizes by object identity, so the guarantee is stated on graphs: for bytes p that
// pickle.dumps(obj, N) wrote, dumps(loads(p), N) == p, because loads() keeps every shared
// node shared. A value built in C++ has the sharing the program gave it (each Value::list()
// is a new node, str included); Python loads its encoding to an equal object.
// One recipe is written by protocol, as its Python object would be: numpy's protocol-5 array
// recipe numeric._frombuffer(buffer, dtype, shape, 'C'|'F'), which NdArray's to_value()
// builds, is written below protocol 5 as numpy writes arrays there (multiarray._reconstruct
// + BUILD); CPython never writes the first form below protocol 5 (see ndarray.hpp).

// CPython changed how it splits APPENDS/SETITEMS/ADDITEMS batches in 3.15.
enum class BatchingProfile : std::uint8_t {
  // CPython 3.8-3.14's C pickler: a 1-item list or dict uses APPEND/SETITEM; otherwise every
  // batch is MARK...APPENDS/SETITEMS, even a trailing batch of one item, and a dict or set
  // whose size is a multiple of 1000 ends with an empty batch.
  cpython_3_8,
  // CPython 3.15+ (and the pure-Python pickler): one-item batches use APPEND/SETITEM and
  // there are no empty batches.
  cpython_3_15,
};

// How dumps() writes.
struct EncodeOptions {
  // 0-5. The default, 4, is what Python 3.8-3.13 writes by default and every Python >= 3.4
  // reads; 5 adds BYTEARRAY8 and out-of-band buffers (Python >= 3.8).
  int protocol = 4;
  BatchingProfile batching = BatchingProfile::cpython_3_8;  // batches as CPython 3.8-3.14
  // Write Python 2 names (__builtin__ for builtins, ...) in protocol 0-2 pickles, as
  // pickle.dumps(fix_imports=True) does.
  bool fix_imports = true;
  // Globals registered here are written as EXT1/EXT2/EXT4 codes at protocol 2 and above.
  const ExtensionRegistry* extensions = nullptr;
  // Protocol 5 only: called for every bytes or bytearray payload of at least
  // out_of_band_min_bytes. Returning false writes it out of band (NEXT_BUFFER, plus
  // READONLY_BUFFER for bytes): the caller keeps the buffer and passes it, in order, to
  // DecodeOptions::buffers when decoding. The Buffer shares the value's memory. Returning
  // true writes the payload in band as usual. Python's buffer_callback, applied to bytes.
  std::function<bool(const Buffer& payload)> buffer_callback;
  // The payload size from which buffer_callback is asked. Default 64 KiB.
  std::size_t out_of_band_min_bytes = std::size_t{64} << 10;
};

// Writes `value` as a pickle. Throws EncodeError when the protocol cannot express something
// (naming it and its path inside the value) and ValueError for a bad protocol number.
// Below protocol 2 an instance (a NEWOBJ recipe) is written as CPython's copyreg._reduce_ex
// writes it, copyreg._reconstructor(cls, base, base(obj)) plus BUILD of its state, with the base
// the recipe shows: list items make it a list subclass (_reconstructor(cls, list, [...])), dict
// items a dict subclass, no items a plain instance (object; an empty dict or list subclass looks
// the same in a protocol 2+ pickle). EncodeError for NEWOBJ with arguments, of a built-in class
// (an int made by NEWOBJ), with both kinds of items, or containing itself through its items.
// Any depth is fine: the encoder recurses into containers using at most about 256 KiB of
// the calling thread's stack (about a thousand levels of lists, as deep as CPython pickles
// by default) and keeps its own stack below that. The memo is kept in the value's nodes, so
// writing a value counts as using it (see VALUE.md, thread safety); each thread keeps a
// small table (up to 1 MiB) for what is not, so repeated dumps() do not rebuild it.
PICKLEJAR_EXPORT std::string dumps(const Value& value, const EncodeOptions& options = {});
// The same, appending to `out`.
PICKLEJAR_EXPORT void dump(const Value& value, std::string& out, const EncodeOptions& options = {});
PICKLEJAR_EXPORT void dump(const Value& value, std::vector<std::byte>& out,
                           const EncodeOptions& options = {});
// The same, handing the pickle to `write` piece by piece (frame by frame at protocol 4+;
// large payloads are passed straight from the value's memory).
PICKLEJAR_EXPORT void dump(const Value& value,
                           const std::function<void(std::span<const std::byte>)>& write,
                           const EncodeOptions& options = {});

}  // namespace picklejar
