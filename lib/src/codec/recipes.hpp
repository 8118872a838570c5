#pragma once
// Building and reading the object recipes that Python classes pickle as (internal).

#include <initializer_list>
#include <string>
#include <string_view>

#include <picklejar/value.hpp>

namespace picklejar::detail {

// True when v is the global module.qualname.
bool is_global_named(const Value& v, std::string_view module, std::string_view qualname);

// module.qualname(*args), as REDUCE writes it.
Value make_reduce(std::string_view module, std::string_view qualname,
                  std::initializer_list<Value> args);

// The args tuple of a REDUCE recipe of module.qualname; CodecError "expected module.qualname,
// got X" for anything else.
Value reduce_args(const Value& v, std::string_view module, std::string_view qualname);

// CodecError "malformed module.qualname: <why>".
[[noreturn]] void throw_malformed(std::string_view module, std::string_view qualname,
                                  std::string_view why);

}  // namespace picklejar::detail
