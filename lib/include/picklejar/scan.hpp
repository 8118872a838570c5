#pragma once
// What a pickle would make Python import and call, read by the decoder itself: the job of
// picklescan and fickling, with no second parser that could read the bytes differently.
//
//   picklejar::ScanResult r = picklejar::scan(bytes, options);
//   for (const auto& g : r.globals)
//     if (!g.allowed) fmt::print("{}: {}.{}\n", g.offset, g.module, g.name);
//
// scan() decodes exactly as loads() does (same limits, same refusals: a malformed pickle
// throws DecodeError) and records, in pickle order, every global the pickle names and every
// call Python's pickle.loads would make. Nothing is imported or run. Each record says whether
// the decoded value holds what it made: a call whose result the pickle throws away (a REDUCE
// then POP) still runs in Python, but no printed value shows it.

#include <picklejar/config.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <picklejar/pickle.hpp>
#include <picklejar/value.hpp>

namespace picklejar {

// A class or function the pickle names (GLOBAL, STACK_GLOBAL, INST, EXT1/2/4).
struct ScannedGlobal {
  std::uint64_t offset = 0;      // of the opcode
  int opcode = 0;                // its byte value
  std::string_view opcode_name;  // pickletools' name ("GLOBAL", "INST", ...); static storage
  // As Python 3's pickle.loads would import them (after Python 2 name mapping).
  std::string module;
  std::string name;  // the qualified name
  // Admitted by the options' policy: always under GlobalPolicy::keep; under
  // GlobalPolicy::allowlist, when loads() would accept it (allowed_globals, or one of the
  // well-known plain-data names of DECODING.md).
  bool allowed = true;
  // The decoded value holds this global (false: Python imports it for nothing the value shows).
  bool in_value = true;
};

// A call: REDUCE, NEWOBJ, NEWOBJ_EX, INST and OBJ call a class or function; BUILD calls the
// object's __setstate__ (or sets its attributes).
struct ScannedCall {
  std::uint64_t offset = 0;      // of the opcode
  int opcode = 0;                // its byte value
  std::string_view opcode_name;  // "REDUCE", "NEWOBJ", "NEWOBJ_EX", "INST", "OBJ" or "BUILD"
  // "module.qualname" of what is called (BUILD: the object's class), or, when that is itself
  // made by a call, "<result of REDUCE at offset N>".
  std::string callable;
  // The decoded value holds the call's result (false: the pickle discards it).
  bool in_value = true;
};

// What scan() found: the value loads() returns, and every global and call on the way.
struct ScanResult {
  Value value;                         // what loads() returns
  std::size_t consumed = 0;            // bytes of the pickle, through its STOP
  std::vector<ScannedGlobal> globals;  // in pickle order
  std::vector<ScannedCall> calls;      // in pickle order
};

// Decodes `pickle` as loads(pickle, options) does, except that a global outside the allowlist
// is recorded (allowed = false) instead of refused. Throws what loads() throws for a malformed
// pickle. With TrailingData::ignore, bytes after the first pickle's STOP are left alone and
// `consumed` says where it ended (a file may hold several pickles, as pickle.load reads them).
PICKLEJAR_EXPORT ScanResult scan(std::span<const std::byte> pickle,
                                 const DecodeOptions& options = {});
PICKLEJAR_EXPORT ScanResult scan(std::string_view pickle, const DecodeOptions& options = {});

}  // namespace picklejar
