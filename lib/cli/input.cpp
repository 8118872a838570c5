#include "input.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>

#include <picklejar/error.hpp>
#include <picklejar/stores.hpp>

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

int exit_status_for(const std::exception& e) noexcept {
  if (dynamic_cast<const LockTimeout*>(&e) != nullptr) return kExitLocked;
  if (dynamic_cast<const IntegrityError*>(&e) != nullptr) return kExitIntegrity;
  if (const auto* sqlite = dynamic_cast<const SqliteError*>(&e); sqlite && sqlite->busy())
    return kExitLocked;
  return kExitFailure;
}

int report_error(std::string_view verb, const std::string& file, const std::exception& e) {
  const std::string what = e.what();
  const bool store = is_store_url(file);
  // A store is named without its password; the library's messages name it as connected.
  const std::string where = store ? url_without_password(file) : input_name(file);
  const bool named = store ? what.find("postgresql://") != std::string::npos
                           : dynamic_cast<const StoreError*>(&e) != nullptr &&
                                 what.find(where) != std::string::npos;
  if (named) {
    fmt::print(stderr, "picklejar {}: {}\n", verb, one_line(what));
  } else {
    fmt::print(stderr, "picklejar {}: {}: {}\n", verb, one_line(where), one_line(what));
  }
  return exit_status_for(e);
}

void write_stdout(std::string_view text) {
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size())
    throw std::runtime_error("cannot write the output");
}

void flush_stdout() {
  if (std::fflush(stdout) != 0) throw std::runtime_error("cannot write the output");
}

void write_output(std::string_view data) {
  write_stdout(data);
  flush_stdout();
}

}  // namespace picklejar::cli
