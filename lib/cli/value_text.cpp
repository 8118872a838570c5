#include "value_text.hpp"

#include <fmt/format.h>
#include <picklejar/ndarray.hpp>

#include <cstdio>

namespace picklejar::cli {

void add_expand_flag(CLI::App& cmd, bool& expand) {
  cmd.add_flag("--expand", expand,
               "print shared objects in full at every appearance, as Python's repr does, "
               "however long that gets (default: labelled once that passes 1 MiB)");
}

ReprOptions repr_options(bool expand) {
  ReprOptions options;
  // numpy arrays and scalars print as numpy prints them, since Python would print that too.
  options.object_text = [](const Value& v) { return ndarray_repr(v); };
  if (expand) options.shared = SharedRepr::expand;
  return options;
}

void print_labels_note(const char* verb, const std::string& name) {
  fmt::print(stderr,
             "picklejar {}: {}: note: objects that appear more than once are printed once, "
             "as #N=..., and then as #N# (--expand prints them in full every time)\n",
             verb, name);
}

}  // namespace picklejar::cli
