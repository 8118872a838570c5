#pragma once

// What compiling against picklejar needs. Every public header includes this file first, so
// that a compiler in an older C++ mode stops at one readable error instead of a cascade
// starting at "'concept' does not name a type".

// MSVC reports __cplusplus as 199711L unless /Zc:__cplusplus; _MSVC_LANG is the real mode.
#if (defined(_MSVC_LANG) ? _MSVC_LANG : __cplusplus) < 202002L
#error "picklejar needs C++20: compile with -std=c++20 (CMake: cxx_std_20, Meson: cpp_std=c++20)"
// #error alone lets the compiler go on to the headers' C++20 code; a missing include is fatal.
#include <picklejar/stop_here_picklejar_needs_cxx20>
#endif

#include <picklejar/export.hpp>  // PICKLEJAR_EXPORT, the mark of the public API
