#pragma once
// Helpers for the encoder tests (tests/test_encoder_*.cpp): asking python3 what CPython's
// picklers write for an object and whether CPython loads our pickles to the expected object
// (the Python half is tests/gen/pjencode.py), and readable failures for byte strings.

#include <doctest/doctest.h>

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <picklejar/pickle.hpp>
#include <picklejar/repr.hpp>
#include <picklejar/value.hpp>

namespace doctest {
template <>
struct StringMaker<picklejar::Value> {
  static String convert(const picklejar::Value& v) { return picklejar::repr(v).c_str(); }
};
}  // namespace doctest

namespace picklejar::test {

// Lowercase hex of the bytes, and back.
std::string hex(std::string_view bytes);
std::string unhex(std::string_view text);

// "" when equal; otherwise where the bytes first differ, with the opcodes around it in hex,
// e.g. "lengths 12 and 13, first difference at offset 7: ours ...2e vs theirs ...28 65".
std::string first_difference(std::string_view ours, std::string_view theirs);

// How many times the opcode `name` (pickletools' name, e.g. "APPENDS") occurs in the pickle.
long count_opcode(const std::string& pickle, std::string_view name);

// "" when `a` and `b` are the same value in the strictest sense a pickle round trip can keep:
// the same kinds (1, 1.0 and True differ), floats with the same bits, dicts with the same items
// in the same order, sets with the same members (in any order: Python's set order is its own),
// the same object recipes and dict flavours, and the same sharing of mutable nodes (a list met
// twice in `a` is one list met twice in `b`, cycles included). Otherwise where they first
// differ, e.g. "[2]['k']: float 0x3ff0000000000000 vs int 1".
std::string strict_difference(const Value& a, const Value& b);

// dumps() with just the protocol (and batching) changed from the defaults.
std::string dumps_at(const Value& value, int protocol,
                     BatchingProfile batching = BatchingProfile::cpython_3_8);

// What CPython writes for the object that a Python program (statements assigning `obj`; the
// modules of pjencode.NAMESPACE are imported) builds, at protocols 0-5. Empty where the
// protocol cannot express the object. A program that also assigns `buffer_callback` has it
// passed to the picklers.
struct CPythonBytes {
  std::array<std::optional<std::string>, 6> c;       // pickle.dumps: the C pickler, _pickle
  std::array<std::optional<std::string>, 6> python;  // pickle._dumps: the pure-Python pickler
};
// One python3 process for all programs.
std::vector<CPythonBytes> cpython_bytes(const std::vector<std::string>& programs);

// One pickle for python3 to load: pickle.loads(pickle, buffers=...) must give an object that
// pjencode.same() finds equal to eval(expected) (type-strict, same sharing), and the Python
// expression `also` must be true of it (bound to `obj`).
struct LoadsCheck {
  std::string pickle;
  std::string expected;
  std::string also = "True";
  std::vector<Buffer> buffers;  // out-of-band buffers, in order
};
// "ok" or "FAIL <why>" per check, from one python3 process.
std::vector<std::string> python_loads(const std::vector<LoadsCheck>& checks);

// pickle.dumps(pickle.loads(p), protocol) for each (protocol, p), from one python3 process.
std::vector<std::string> python_reencode(const std::vector<std::pair<int, std::string>>& pickles);

}  // namespace picklejar::test
