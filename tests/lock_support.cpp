#include "lock_support.hpp"

#include <picklejar/error.hpp>

#include <fcntl.h>
#include <grp.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bit>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace picklejar::test {
namespace {

std::string env_or(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value ? value : fallback;
}

void check_sys(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string(what) + ": " + std::strerror(errno));
}

}  // namespace

void expect(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error("expectation failed: " + what);
}

bool can_lock(const std::filesystem::path& path, store::LockMode mode) {
  try {
    store::FileLock::acquire(path, mode, std::chrono::milliseconds(0));
    return true;
  } catch (const LockTimeout&) {
    return false;
  }
}

void drop_root() {
  if (::geteuid() != 0) return;
  check_sys(::setgroups(0, nullptr) == 0, "setgroups");
  check_sys(::setgid(65534) == 0, "setgid");
  check_sys(::setuid(65534) == 0, "setuid");
}

PythonLocker::PythonLocker(const std::filesystem::path& lock_file,
                           const std::vector<std::string>& args) {
  int in[2], out[2];
  check_sys(::pipe2(in, O_CLOEXEC) == 0 && ::pipe2(out, O_CLOEXEC) == 0, "pipe2");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  std::vector<std::string> argv_strings{env_or("PICKLEJAR_PYTHON", "python3"),
                                        env_or("PICKLEJAR_LOCK_HELPER", "lock_helper.py"),
                                        lock_file.string()};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : argv_strings) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const int error = ::posix_spawnp(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(in[0]);
  ::close(out[1]);
  stdin_ = in[1];
  if (error != 0) {
    ::close(out[0]);
    throw std::runtime_error("cannot start " + argv_strings[0]);
  }
  stdout_ = out[0];
}

const std::string& PythonLocker::first_line() {
  if (stdout_ >= 0) {
    char c;
    while (::read(stdout_, &c, 1) == 1 && c != '\n') first_line_ += c;
    ::close(stdout_);
    stdout_ = -1;
  }
  return first_line_;
}

int PythonLocker::finish() {
  if (pid_ < 0) return 0;
  ::close(stdin_);
  if (stdout_ >= 0) ::close(stdout_);
  const int status = wait_child(pid_);
  pid_ = -1;
  return status;
}

PythonLocker::~PythonLocker() { finish(); }

std::string python_lock(const std::filesystem::path& lock_file, const std::string& op) {
  PythonLocker locker(lock_file, {op});
  return std::string(locker.first_line());
}

void wait_for(const std::function<bool()>& condition) {
  while (!condition()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

int descriptors_of(const std::filesystem::path& path) {
  struct stat target {};
  check_sys(::stat(path.c_str(), &target) == 0, "stat");
  int count = 0;
  for (const auto& link : std::filesystem::directory_iterator("/proc/self/fd")) {
    struct stat st {};
    if (::stat(link.path().c_str(), &st) == 0 && st.st_dev == target.st_dev &&
        st.st_ino == target.st_ino)
      ++count;
  }
  return count;
}

// lock_helper.py writes the counter little-endian; we read and write it natively.
static_assert(std::endian::native == std::endian::little);

long long read_counter(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  long long value = 0;
  in.read(reinterpret_cast<char*>(&value), sizeof value);
  return value;
}

void write_counter(const std::filesystem::path& file, long long value) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(&value), sizeof value);
}

}  // namespace picklejar::test
