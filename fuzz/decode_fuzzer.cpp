// decode_fuzzer: libFuzzer target feeding arbitrary bytes to picklejar::loads, then using
// whatever decodes the way an application would (repr in each of its modes, hash, ==,
// deep_copy), re-encoding it at every protocol and decoding that back, scanning the same bytes
// (scan() must read what loads() reads) and running the disassembler on them.
// Built with ASan and UBSan (see fuzz/meson.build).
//
// Expected: a DecodeError (or LimitError/ForbiddenError) from loads and disassemble, a
// LimitError from a bounded repr, a TypeError from hashing something unhashable. Everything
// else is a finding: a crash, a sanitizer report, a leak, a timeout or large allocation
// (scripts/fuzz sets -timeout and -malloc_limit_mb), std::bad_alloc or another exception
// escaping, or a broken invariant below (a copy that prints or hashes differently; a value
// whose encoding does not decode, decodes to something that prints differently, or encodes
// differently the second time). The encoder may refuse a value a protocol cannot express
// with EncodeError.

#include <picklejar/picklejar.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using picklejar::Value;

// Small enough that no input can legitimately take gigabytes or minutes, large enough that
// every limit is reachable from a few KiB of input.
picklejar::DecodeLimits fuzz_limits() {
  picklejar::DecodeLimits limits;
  limits.max_input_bytes = std::size_t{1} << 20;
  limits.max_depth = 2'000;
  limits.max_memo_entries = 1 << 16;
  limits.max_container_items = 1 << 16;
  limits.max_allocation_bytes = std::size_t{1} << 20;
  limits.max_objects = 1 << 16;
  limits.max_total_bytes = std::size_t{32} << 20;
  return limits;
}

const picklejar::ExtensionRegistry& extensions() {
  static const picklejar::ExtensionRegistry registry = [] {
    picklejar::ExtensionRegistry r;
    r.add(1, "builtins", "set");
    r.add(2, "collections", "OrderedDict");
    r.add(0x100, "pkg.mod", "Class");
    r.add(0x7fffffff, "copyreg", "_reconstructor");
    return r;
  }();
  return registry;
}

// A persistent_load hook that builds its result outside the decoder's heap (exercising the
// heap merge) and sometimes fails (exercising hook_failed).
Value persistent_load(const Value& pid) {
  if (pid.is_str() && pid.as_str() == "fail") throw std::runtime_error("refused by the hook");
  return Value::tuple({Value("persistent"), pid});
}

// Out-of-band buffers for NEXT_BUFFER: one read-only, one writable, created per input so no
// state carries over between inputs.
std::array<picklejar::Buffer, 2> make_buffers() {
  auto writable = std::make_shared<std::array<std::byte, 8>>();
  return {picklejar::Buffer::copy_of(std::string_view("out-of-band")),
          picklejar::Buffer(writable, std::span<std::byte>(*writable))};
}

// The input's length picks an option variant, so every policy gets fuzzed without a selector
// byte that would turn the seed pickles into something else.
picklejar::DecodeOptions options_for(std::size_t size, std::span<const picklejar::Buffer> buffers) {
  picklejar::DecodeOptions options;
  options.limits = fuzz_limits();
  options.py2_strings = static_cast<picklejar::Py2Strings>(size % 4);
  options.trailing_data =
      (size & 4) ? picklejar::TrailingData::ignore : picklejar::TrailingData::reject;
  if (size & 8) {
    options.globals = picklejar::GlobalPolicy::allowlist;
    options.allowed_globals = {"builtins.list", "collections.OrderedDict", "pkg.mod.Class"};
    options.fix_imports = false;
  }
  options.extensions = &extensions();
  options.persistent_load = persistent_load;
  options.buffers = buffers;
  return options;
}

[[noreturn]] void finding(const char* what) {
  std::fprintf(stderr, "decode_fuzzer: %s\n", what);
  std::abort();
}

std::optional<std::string> bounded_repr(
    const Value& v, picklejar::SharedRepr shared = picklejar::SharedRepr::automatic) {
  picklejar::ReprOptions options;
  options.max_bytes = 1 << 16;
  options.shared = shared;
  options.max_repeated_bytes = 1 << 10;
  try {
    return picklejar::repr(v, options);
  } catch (const picklejar::LimitError&) {
    return std::nullopt;  // too long to print, or an int over max_int_digits
  }
}

std::optional<std::size_t> hash_of(const Value& v) {
  try {
    return v.hash();
  } catch (const picklejar::TypeError&) {
    return std::nullopt;  // unhashable
  }
}

// Walks up to kWalkBudget containers reachable from `root` (a cycle just uses up the budget)
// through the public API, checking that what iteration yields agrees with size(), find() and
// contains(). A key that is not equal to itself (it holds a NaN) may legitimately be missing.
constexpr std::size_t kWalkBudget = 256;

// Runs a comparison that may stop with LimitError: a cycle through dict keys or set members
// (an object whose state holds a dict keyed by the object) nests lookups until the documented
// cap (docs/VALUE.md). Empty when it stopped.
template <class Fn>
std::optional<bool> bounded(Fn&& fn) {
  try {
    return fn();
  } catch (const picklejar::LimitError&) {
    return std::nullopt;
  }
}

// Is `member` (taken from `c` by iteration) found again by lookup? Only asked of members equal
// to themselves: one holding a NaN may legitimately be missing.
bool lookup_fails(const Value& c, const Value& member) {
  if (bounded([&] { return member == member; }) != true) return false;
  const auto found =
      bounded([&] { return c.is_dict() ? c.find(member).has_value() : c.contains(member); });
  return found == false;
}

void check_container(const Value& c) {
  std::size_t count = 0;
  if (c.is_dict()) {
    for (const auto& [key, value] : c.items()) {
      ++count;
      if (lookup_fails(c, key)) finding("a dict key from items() is not found");
    }
  } else {
    for (const Value& item : c) {
      ++count;
      if ((c.is_set() || c.is_frozenset()) && lookup_fails(c, item)) {
        finding("a set member from iteration is not contained");
      }
    }
  }
  if (count != c.size()) finding("iteration and size() disagree");
}

bool is_container(const Value& v) {
  return v.is_list() || v.is_tuple() || v.is_dict() || v.is_set() || v.is_frozenset();
}

void walk(const Value& root) {
  std::vector<Value> pending;
  const auto push = [&](const Value& v) {
    if (is_container(v) && pending.size() < kWalkBudget) pending.push_back(v);
  };
  push(root);
  for (std::size_t budget = kWalkBudget; budget > 0 && !pending.empty(); --budget) {
    const Value c = std::move(pending.back());
    pending.pop_back();
    check_container(c);
    if (c.is_dict()) {
      for (const auto& [key, value] : c.items()) push(key), push(value);
    } else {
      for (const Value& item : c) push(item);
    }
  }
}

void exercise(const Value& v) {
  const Value copy = v.deep_copy();
  // == may legitimately be false (nan != nan), so only that it terminates is checked.
  [[maybe_unused]] volatile bool same =
      bounded([&] { return v == v; }) == true && bounded([&] { return v == copy; }) == true;

  const auto text = bounded_repr(v);
  if (text && bounded_repr(copy) != text) finding("deep_copy() prints differently");
  const auto labelled = bounded_repr(v, picklejar::SharedRepr::label);
  if (labelled && bounded_repr(copy, picklejar::SharedRepr::label) != labelled) {
    finding("deep_copy() prints differently, labelled");
  }
  (void)bounded_repr(v, picklejar::SharedRepr::expand);
  const auto hash = hash_of(v);
  if (hash_of(copy) != hash) finding("deep_copy() hashes differently");
  if (hash_of(v) != hash) finding("hashing twice gives different results");
  walk(v);
}

// dumps() at every protocol: what it writes must decode (with room for the nesting the
// protocol 0-3 rewrites add) to a value that encodes to the same bytes and, from protocol 4
// on, prints the same.
// Python 2 names are not mapped either way: a global literally named __builtin__.len (kept
// when a PROTO 3 opcode came first) would otherwise come back as builtins.len.
void round_trip(const Value& v, const std::optional<std::string>& text) {
  picklejar::DecodeOptions options;
  options.fix_imports = false;
  options.limits.max_depth = 100'000;
  options.limits.max_input_bytes = std::size_t{1} << 30;
  for (int protocol = 0; protocol <= 5; ++protocol) {
    picklejar::EncodeOptions encode;
    encode.protocol = protocol;
    encode.fix_imports = false;
    std::string bytes;
    try {
      bytes = picklejar::dumps(v, encode);
    } catch (const picklejar::EncodeError&) {
      continue;  // e.g. a NEWOBJ_EX recipe with a non-global class below protocol 4
    }
    Value back;
    try {
      back = picklejar::loads(bytes, options);
    } catch (const picklejar::DecodeError& e) {
      std::fprintf(stderr, "protocol %d: %s\n", protocol, e.what());
      finding("the encoder wrote a pickle the decoder refuses");
    }
    // Below protocol 4 an object built with keyword arguments becomes a functools.partial
    // recipe, a legitimately different value; from 4 on nothing is rewritten.
    if (protocol >= 4 && text && bounded_repr(back) != text) {
      finding("a re-encoded value prints differently");
    }
    if (picklejar::dumps(back, encode) != bytes) finding("encoding is not stable");
  }
}

// scan() decodes as loads() does: it succeeds exactly when loads() does (or when loads()
// refused only a global outside the allowlist, which scan() records), to a value that prints
// the same; everything it records is in the input.
void scan(std::span<const std::byte> input, const picklejar::DecodeOptions& options,
          const std::optional<Value>& value) {
  std::optional<picklejar::ScanResult> scanned;
  try {
    scanned = picklejar::scan(input, options);
  } catch (const picklejar::DecodeError&) {
  }
  if (value && !scanned) finding("loads() reads what scan() refuses");
  if (!scanned) return;
  bool all_allowed = true;
  for (const auto& g : scanned->globals) {
    all_allowed = all_allowed && g.allowed;
    if (g.offset >= input.size()) finding("scan() records a global past the input");
  }
  for (const auto& c : scanned->calls) {
    if (c.offset >= input.size()) finding("scan() records a call past the input");
  }
  if (all_allowed && !value) finding("scan() reads what loads() refuses");
  if (value && bounded_repr(*value) != bounded_repr(scanned->value)) {
    finding("scan() and loads() decode different values");
  }
}

void disassemble(std::span<const std::byte> input) {
  picklejar::DisassembleOptions options;
  options.max_output_bytes = 1 << 20;
  std::string listing;
  try {
    picklejar::disassemble(input, listing, options);
  } catch (const picklejar::DecodeError&) {
    // a malformed pickle (the listing stops at the offending opcode), or LimitError
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto input = std::as_bytes(std::span(data, size));
  const auto buffers = make_buffers();
  const picklejar::DecodeOptions options = options_for(size, buffers);
  std::optional<Value> value;
  try {
    value = picklejar::loads(input, options);
  } catch (const picklejar::DecodeError&) {
    // the expected outcome for most inputs
  }
  if (value) {
    exercise(*value);
    round_trip(*value, bounded_repr(*value));
  }
  scan(input, options, value);
  disassemble(input);
  return 0;
}
