#pragma once
// A command's input (a named file, or standard input when no file or "-" is given), its
// output on stdout, and its one-line error reports.

#include <exception>
#include <string>
#include <string_view>

namespace picklejar::cli {

// The whole input. Throws std::runtime_error with the reason ("cannot open: No such file or
// directory"); the caller names the file.
std::string read_input(const std::string& path);
// "<stdin>" for "" and "-", the path otherwise.
std::string input_name(const std::string& path);

// Control characters (a newline in a file name or a message) would break the one-line
// promise of error reports: shown escaped (\x0a).
std::string one_line(std::string_view text);
// "picklejar VERB: INPUT: CAUSE" on stderr; returns exit status 1. Callers print nothing on
// stdout before failing.
int report(const char* verb, const std::string& file, const std::exception& e);
// Writes the whole result at once, so a failure leaves stdout empty; a failed write (a full
// disk, a closed pipe) throws std::runtime_error.
void write_output(std::string_view data);

}  // namespace picklejar::cli
