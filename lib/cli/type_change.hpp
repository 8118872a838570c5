#pragma once
// `picklejar set` refuses, without --force, to change an entry's Python type: an application
// that stored a WindowGeometry instance and reads one back fails on a plain dict.

#include <picklejar/session.hpp>
#include <picklejar/value.hpp>

#include <string>
#include <string_view>

namespace picklejar::cli {

// The Python type a value is an instance of, as Python names it: "int", "dict",
// "collections.OrderedDict", and for an object its class ("deskapp.state.WindowGeometry")
// or, for a REDUCE recipe, the callable that makes it ("datetime.datetime").
std::string python_type_name(const Value& value);

// Throws a picklejar::TypeError naming the key and both types when `key` holds a value of
// another Python type than `replacement`. A missing entry, or one that does not verify or
// decode (replacing it is how it gets repaired), passes.
void check_same_type(const Session& session, std::string_view key, const Value& replacement);

}  // namespace picklejar::cli
