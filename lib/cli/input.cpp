#include "input.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace picklejar::cli {
namespace {

struct FileCloser {
  void operator()(std::FILE* file) const noexcept { std::fclose(file); }
};

bool is_stdin(const std::string& path) { return path.empty() || path == "-"; }

std::string read_all(std::FILE* file) {
  std::string data;
  char buffer[1 << 16];
  while (const std::size_t n = std::fread(buffer, 1, sizeof buffer, file)) data.append(buffer, n);
  if (std::ferror(file)) {
    throw std::runtime_error(std::string("cannot read: ") + std::strerror(errno));
  }
  return data;
}

}  // namespace

std::string input_name(const std::string& path) { return is_stdin(path) ? "<stdin>" : path; }

std::string read_input(const std::string& path) {
  if (is_stdin(path)) return read_all(stdin);
  const std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) throw std::runtime_error(std::string("cannot open: ") + std::strerror(errno));
  return read_all(file.get());
}

}  // namespace picklejar::cli
