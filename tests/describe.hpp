#pragma once
// Canonical text descriptions of decoded Values: the C++ half of what tests/gen/make_corpus.py
// (describe(), declared in corpus.hpp) and tests/gen/make_fixtures.py (describe_loaded())
// write. The formats are documented in those scripts. Both walk the value with an explicit
// work list, so a deeply nested value cannot overflow the stack.

#include <map>
#include <string>
#include <utility>

#include <picklejar/value.hpp>

namespace picklejar::test {

// (module, qualname) of a decoded global -> the canonical "module.qualname" CPython resolves
// it to (see test_cpython_fixtures.cpp).
using GlobalNames = std::map<std::pair<std::string, std::string>, std::string>;

// make_fixtures.py's "loaded" description. A global missing from `canonical` is described as
// "unresolved:<module>.<qualname>", which no CPython description contains.
std::string describe_loaded(const Value& value, const GlobalNames& canonical);

// Adds every global reachable from `value` to `out` (with an empty canonical name if new).
void collect_globals(const Value& value, GlobalNames& out);

// True if the description mentions a NaN float (whose value never equals itself).
bool description_has_nan(const std::string& description);

}  // namespace picklejar::test
