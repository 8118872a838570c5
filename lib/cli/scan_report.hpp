#pragma once
// What `picklejar scan`, `dump` and `verify --strict` say about the globals and calls a
// pickle makes (picklejar::scan(), scan.hpp), so that the three say it the same way.

#include <picklejar/scan.hpp>
#include <picklejar/session.hpp>

#include <string>
#include <vector>

namespace picklejar::cli {

// Decode options whose allowlist is what GlobalPolicy::allowlist admits (the plain-data names
// of DECODING.md) plus `allowed` ("module.qualname" strings).
DecodeOptions allowlist_options(const std::vector<std::string>& allowed);

// "GLOBAL posix.system", "REDUCE calls posix.system", "BUILD sets the state of mod.C"; names
// with control characters escaped.
std::string describe(const ScannedGlobal& global);
std::string describe(const ScannedCall& call);

// Whether Python would import `global` for nothing the value shows: the value does not hold
// it and no call uses it (a well-known form such as OrderedDict() holds its call's result).
bool imported_only(const ScannedGlobal& global, const ScanResult& scanned);

// Warnings for what Python would act on that the value does not show: every call whose result
// the pickle discards, and every global imported_only(). At most `max_lines`, the last one
// saying how many more there were.
std::vector<std::string> hidden_actions(const ScanResult& scanned, std::size_t max_lines = 10);

// verify --strict: one line per global of the entry's pickle outside `options`' allowlist,
// "key 'k': offset 2: GLOBAL posix.system is outside the allowlist". Throws what
// Session::find_pickle and scan() throw.
std::vector<std::string> globals_outside_allowlist(const Session& session, const std::string& key,
                                                   const DecodeOptions& options);

}  // namespace picklejar::cli
