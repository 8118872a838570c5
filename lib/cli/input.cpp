#include "input.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>

#include "commands.hpp"

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

std::string one_line(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    } else {
      out.push_back(c);
    }
  }
  return out;
}

int report(const char* verb, const std::string& file, const std::exception& e) {
  fmt::print(stderr, "picklejar {}: {}: {}\n", verb, one_line(input_name(file)),
             one_line(e.what()));
  return kExitFailure;
}

void write_output(std::string_view data) {
  if (std::fwrite(data.data(), 1, data.size(), stdout) != data.size() || std::fflush(stdout) != 0) {
    throw std::runtime_error("cannot write the output");
  }
}

}  // namespace picklejar::cli
