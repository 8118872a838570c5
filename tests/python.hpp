#pragma once
// Runs the machine's python3 (the one meson found, passed as $PICKLEJAR_PYTHON) on a script
// and returns its standard output. Tests use it to ask CPython for the expected answer.

#include <string>

namespace picklejar::test {

// Throws std::runtime_error if python3 cannot be run or exits non-zero.
std::string run_python(const std::string& script);

}  // namespace picklejar::test
