#pragma once
// Where a verb writes a large result: standard output, or a named file that appears only
// when the whole result was written (a temporary file next to it, renamed over it at
// commit()), so a failed export never leaves half a document under the name asked for.

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

namespace picklejar::cli {

class OutputFile {
 public:
  // "" or "-": standard output. Otherwise creates a temporary file in the same directory with
  // permission bits `mode` (what a new file would get when none: 0666 less the umask); throws
  // std::runtime_error naming the path when it cannot.
  explicit OutputFile(const std::string& path, std::optional<unsigned> mode = std::nullopt);
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  // Removes the temporary file unless commit() succeeded. Never throws.
  ~OutputFile();

  bool is_stdout() const noexcept { return temp_.empty(); }
  // Throws std::runtime_error when the write fails (a full disk, a closed pipe).
  void write(std::string_view text);
  // Flushes; for a named file also syncs it and renames it to its name, replacing any file
  // there. Throws std::runtime_error.
  void commit();

 private:
  [[noreturn]] void fail(const char* what) const;

  std::string path_;
  std::string temp_;  // empty for standard output
  std::FILE* file_ = nullptr;
  bool committed_ = false;
};

}  // namespace picklejar::cli
