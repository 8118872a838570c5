#include "session_bench_support.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <fstream>
#include <stdexcept>

#include <picklejar/pickle.hpp>

namespace picklejar::bench {
namespace {

// One pipe end pair; the destructor closes what is still open.
class Pipe {
 public:
  Pipe() {
    if (::pipe(fds_) != 0) throw std::runtime_error("pipe failed");
  }
  ~Pipe() {
    close_read();
    close_write();
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  void close_read() { close(0); }
  void close_write() { close(1); }
  template <class T>
  void send(const T& message) {
    if (::write(fds_[1], &message, sizeof message) != sizeof message)
      throw std::runtime_error("pipe write failed");
  }
  template <class T>
  T receive() {
    T message{};
    for (;;) {
      const ssize_t n = ::read(fds_[0], &message, sizeof message);
      if (n == sizeof message) return message;
      if (n == 0) throw std::runtime_error("a benchmark process died (see its output)");
      if (!(n < 0 && errno == EINTR)) throw std::runtime_error("pipe read failed");
    }
  }

 private:
  void close(int end) {
    if (fds_[end] >= 0) ::close(fds_[end]);
    fds_[end] = -1;
  }
  int fds_[2] = {-1, -1};
};

double monotonic_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

[[noreturn]] void child_main(const std::function<void(const Together&)>& child, Pipe& to_parent,
                             Pipe& go) {
  int status = 0;
  try {
    to_parent.close_read();
    go.close_write();
    Together together{[&] {
                        to_parent.send(0.0);
                        (void)go.receive<char>();
                      },
                      [&] { to_parent.send(monotonic_seconds()); }};
    child(together);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "benchmark process %d: %s\n", static_cast<int>(::getpid()), e.what());
    status = 1;
  }
  std::fflush(stderr);
  ::_exit(status);
}

}  // namespace

std::string session_key(int i) { return fmt::format("key{:06}", i); }

std::vector<Value> session_values(int n) {
  static const char* const kThemes[] = {"dark", "light", "solarized", "high-contrast"};
  std::vector<Value> values;
  values.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    Value history = Value::list({});
    for (int h = 0; h < 5; ++h) history.append(Value(static_cast<std::int64_t>(i) * 7 + h));
    values.push_back(Value::dict({
        {"id", i},
        {"name", Value(fmt::format("User Number {}", i))},
        {"email", Value(fmt::format("user{}@example.org", i))},
        {"score", static_cast<double>(i % 1000) * 0.37},
        {"active", i % 3 != 0},
        {"tags", Value::list({"alpha", "beta", Value(fmt::format("group-{}", i % 17))})},
        {"created", "2024-05-17T12:34:56Z"},
        {"history", history},
        {"prefs",
         Value::dict({{"theme", kThemes[i % 4]},
                      {"font_size", 10 + i % 8},
                      {"autosave", i % 2 == 0},
                      {"recent", Value::list({Value(fmt::format("/home/user/doc{}.txt", i)),
                                              "/home/user/notes.md"})}})},
    }));
  }
  return values;
}

void write_values(const std::filesystem::path& file, const std::vector<Value>& values) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  for (const Value& value : values) {
    const std::string pickle = dumps(value);
    const auto size = static_cast<std::uint32_t>(pickle.size());
    const unsigned char length[4] = {
        static_cast<unsigned char>(size), static_cast<unsigned char>(size >> 8),
        static_cast<unsigned char>(size >> 16), static_cast<unsigned char>(size >> 24)};
    out.write(reinterpret_cast<const char*>(length), 4);
    out.write(pickle.data(), static_cast<std::streamsize>(pickle.size()));
  }
  if (!out) throw std::runtime_error("cannot write " + file.string());
}

double run_together(int processes, const std::function<void(const Together&)>& child) {
  Pipe to_parent;
  Pipe go;
  std::vector<pid_t> children;
  for (int p = 0; p < processes; ++p) {
    std::fflush(stdout);
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) child_main(child, to_parent, go);
    children.push_back(pid);
  }
  to_parent.close_write();
  go.close_read();
  for (int p = 0; p < processes; ++p) (void)to_parent.receive<double>();
  const double start = monotonic_seconds();
  for (int p = 0; p < processes; ++p) go.send('g');
  double end = start;
  for (int p = 0; p < processes; ++p) end = std::max(end, to_parent.receive<double>());
  bool failed = false;
  for (const pid_t pid : children) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    failed = failed || !WIFEXITED(status) || WEXITSTATUS(status) != 0;
  }
  if (failed) throw std::runtime_error("a benchmark process failed");
  return end - start;
}

}  // namespace picklejar::bench
