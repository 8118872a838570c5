#pragma once
// Reading a command's input: a named file, or standard input when no file (or "-") is given.

#include <string>

namespace picklejar::cli {

// The whole input. Throws std::runtime_error with the reason ("cannot open: No such file or
// directory"); the caller names the file.
std::string read_input(const std::string& path);
// "<stdin>" for "" and "-", the path otherwise.
std::string input_name(const std::string& path);

}  // namespace picklejar::cli
