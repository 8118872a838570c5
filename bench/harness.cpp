#include "harness.hpp"

#include <fmt/format.h>

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <system_error>

namespace picklejar::bench {
namespace {

// POSIX shell single quoting: the argument reaches the program byte for byte.
std::string shell_quote(const std::string& arg) {
  std::string out = "'";
  for (char c : arg) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

struct PipeCloser {
  void operator()(FILE* f) const noexcept { pclose(f); }
};

}  // namespace

ScratchDir::ScratchDir() {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "picklejar-bench-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
  }
  path_ = pattern;
}

ScratchDir::~ScratchDir() {
  std::error_code ignored;  // a destructor reports nothing; a leftover temp dir is harmless
  std::filesystem::remove_all(path_, ignored);
}

std::string run_capture(const std::vector<std::string>& argv) {
  std::string command;
  for (const auto& arg : argv) command += (command.empty() ? "" : " ") + shell_quote(arg);
  std::unique_ptr<FILE, PipeCloser> pipe(popen(command.c_str(), "r"));
  if (!pipe) throw std::runtime_error(fmt::format("cannot run '{}'", command));
  std::string out;
  char chunk[4096];
  while (std::size_t n = fread(chunk, 1, sizeof chunk, pipe.get())) out.append(chunk, n);
  const int status = pclose(pipe.release());
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error(fmt::format("'{}' failed (wait status {})", command, status));
  }
  return out;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(fmt::format("cannot open '{}'", path.string()));
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace picklejar::bench
