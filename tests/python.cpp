#include "python.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <unistd.h>

namespace picklejar::test {

std::string run_python(const std::string& script) {
  const char* python = std::getenv("PICKLEJAR_PYTHON");
  char path[] = "/tmp/picklejar-test-XXXXXX.py";
  const int fd = mkstemps(path, 3);
  if (fd < 0) throw std::runtime_error("run_python: cannot create a temporary file");
  close(fd);
  {
    std::ofstream file(path);
    file << script;
  }
  const std::string command = std::string(python ? python : "python3") + " " + path;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) throw std::runtime_error("run_python: cannot start " + command);
  std::string out;
  char buffer[65536];
  while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe.get())) out.append(buffer, n);
  const int status = pclose(pipe.release());
  std::remove(path);
  if (status != 0) throw std::runtime_error("run_python: python3 failed running:\n" + script);
  return out;
}

}  // namespace picklejar::test
