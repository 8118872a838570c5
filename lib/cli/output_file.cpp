#include "output_file.hpp"

#include <fmt/format.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace picklejar::cli {

OutputFile::OutputFile(const std::string& path, std::optional<unsigned> mode) : path_(path) {
  if (path.empty() || path == "-") {
    file_ = stdout;
    return;
  }
  std::vector<char> name(path.begin(), path.end());
  for (const char c : std::string_view(".tmp-XXXXXX")) name.push_back(c);
  name.push_back('\0');
  const int fd = mkstemp(name.data());
  if (fd < 0) fail("cannot create a temporary file next to");
  temp_ = name.data();
  // mkstemp makes the file 0600; give it the bits asked for, or what a new file would get.
  if (mode) {
    fchmod(fd, static_cast<mode_t>(*mode & 0777));
  } else {
    const mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, 0666 & ~mask);
  }
  file_ = fdopen(fd, "wb");
  if (file_ == nullptr) {
    const int error = errno;
    close(fd);
    unlink(temp_.c_str());
    errno = error;
    fail("cannot open");
  }
}

OutputFile::~OutputFile() {
  if (is_stdout() || committed_) return;
  if (file_ != nullptr) std::fclose(file_);
  unlink(temp_.c_str());
}

void OutputFile::fail(const char* what) const {
  throw std::runtime_error(fmt::format("{} '{}': {}", what, path_, std::strerror(errno)));
}

void OutputFile::write(std::string_view text) {
  if (std::fwrite(text.data(), 1, text.size(), file_) != text.size()) {
    if (is_stdout()) throw std::runtime_error("cannot write the output");
    fail("cannot write");
  }
}

void OutputFile::commit() {
  if (is_stdout()) {
    if (std::fflush(stdout) != 0) throw std::runtime_error("cannot write the output");
    return;
  }
  if (std::fflush(file_) != 0 || fsync(fileno(file_)) != 0) fail("cannot write");
  const int closed = std::fclose(file_);
  file_ = nullptr;
  if (closed != 0) fail("cannot write");
  if (std::rename(temp_.c_str(), path_.c_str()) != 0) fail("cannot rename the output to");
  committed_ = true;
}

}  // namespace picklejar::cli
