#pragma once
// How `dump` and `get` print a value: Python's repr, shared objects labelled once repeating
// them would cost more than the library's budget (repr.hpp), --expand for the full text.

#include <picklejar/repr.hpp>

#include <CLI/CLI.hpp>

#include <string>

namespace picklejar::cli {

// Adds --expand.
void add_expand_flag(CLI::App& cmd, bool& expand);
ReprOptions repr_options(bool expand);
// On stderr, after a labelled repr: what "#1=" and "#1#" mean.
void print_labels_note(const char* verb, const std::string& name);

}  // namespace picklejar::cli
