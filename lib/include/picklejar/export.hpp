#pragma once
// PICKLEJAR_EXPORT marks the public API: the classes and functions libpicklejar.so exports.
// The library is compiled with hidden visibility, so everything else in it (the pickle
// codec's internals, the store, the JSON reader...) stays out of the dynamic symbol table:
// other programs cannot bind to it, and the linker and compiler may treat it as local.
//
// A class with code in the library (members defined there, a vtable, or an exception that is
// caught across the library's boundary: its typeinfo must be one) is marked as a whole; so is
// every free function declared in these headers and defined in the library, including the
// detail:: ones the headers' inline and template code calls. Aggregates without code of their
// own (options structs, results) need no mark.

#include <picklejar/config.hpp>

// A static build (PICKLEJAR_STATIC, which picklejar's pkg-config file and Meson dependency
// define when the library is static) exports nothing, so a shared library linking it does not
// re-export picklejar's API.
#if defined(PICKLEJAR_STATIC)
#define PICKLEJAR_EXPORT
#elif defined(__GNUC__) || defined(__clang__)
#define PICKLEJAR_EXPORT __attribute__((visibility("default")))
#else
#define PICKLEJAR_EXPORT
#endif
