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
// The exit status for an exception: kExitLocked for LockTimeout (and SQLite's busy and
// locked errors), kExitIntegrity for IntegrityError, kExitFailure for anything else.
int exit_status_for(const std::exception& e) noexcept;
// Prints "picklejar VERB: INPUT: CAUSE" on stderr, one line (INPUT is left out of a session's
// error that names it already; a postgresql:// URL is shown without its password) and
// returns exit_status_for(e). Callers print nothing on
// stdout before failing.
int report_error(std::string_view verb, const std::string& file, const std::exception& e);
// Write to stdout, throwing std::runtime_error when it fails (a full disk, a closed pipe).
// write_output() writes a whole result at once and flushes, so a failure leaves stdout empty.
void write_stdout(std::string_view text);
void flush_stdout();
void write_output(std::string_view data);

}  // namespace picklejar::cli
