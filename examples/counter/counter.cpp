// Increments an integer in a session file N times, each time with transact(): the atomic
// read-modify-write across processes. Run several at once on one file and no increment is
// lost.
//
//   counter FILE KEY N [--fast]      prints the value after its last increment
//
// --fast uses Durability::fast (WAL + synchronous=NORMAL): a power cut may lose the last
// increments, a crash never does. The default, durable, syncs every increment to disk.

#include <picklejar/session.hpp>

#include <fmt/format.h>

#include <charconv>
#include <cstring>
#include <string_view>

int main(int argc, char** argv) {
  if (argc < 4 || argc > 5 || (argc == 5 && std::strcmp(argv[4], "--fast") != 0)) {
    fmt::print(stderr, "usage: counter FILE KEY N [--fast]\n");
    return 2;
  }
  const std::string_view count_text = argv[3];
  long count = 0;
  const auto [end, error] =
      std::from_chars(count_text.data(), count_text.data() + count_text.size(), count);
  if (error != std::errc() || end != count_text.data() + count_text.size() || count < 0) {
    fmt::print(stderr, "counter: N must be a number, not '{}'\n", count_text);
    return 2;
  }
  try {
    picklejar::SessionOptions options;
    options.app_name = "counter";
    options.lock_timeout = std::chrono::seconds(60);  // many processes may queue for the lock
    if (argc == 5) options.durability = picklejar::Durability::fast;
    picklejar::Session session(argv[1], options);
    const std::string key = argv[2];
    std::int64_t value = 0;
    for (long i = 0; i < count; ++i) {
      session.transact([&](picklejar::Session& s) {
        value = s.get_or<std::int64_t>(key, 0) + 1;
        s.set(key, value);
      });
    }
    fmt::print("{}\n", value);
  } catch (const picklejar::Error& e) {
    fmt::print(stderr, "counter: {}\n", e.what());
    return 1;
  }
  return 0;
}
