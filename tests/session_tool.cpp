// The C++ side of the cross-language session tests (python/tests_cpp/): a small program that
// opens session files with picklejar::Session and does one thing to them.
//
//   session_tool write-typed FILE               every typed sample (below) under its key, saved
//   session_tool check-typed FILE               reads every sample key with from_value<T>;
//                                               prints "ok", or each mismatch and exits 1
//   session_tool hold FILE                      holds the exclusive lock (inside transact())
//                                               from printing "locked" until stdin closes
//   session_tool save FILE KEY INT [TIMEOUT_MS] sets KEY to INT and saves; with --wait, prints
//                                               "opened" and reads a line from stdin first
//   session_tool dump FILE [--allowlist]        prints "KEY<TAB>repr" per entry, in key order
//   session_tool race FILE KEY N NAME           after a line on stdin: add("winner", NAME),
//                                               N x increment(KEY), increment("winners", won)
//   session_tool wait FILE TIMEOUT_MS           prints "ready", then wait_for_change(TIMEOUT):
//                                               "KEYS<TAB>WOKE_NS<TAB>CPU_S<TAB>SECONDS" (keys
//                                               comma-separated; steady_clock nanoseconds at
//                                               return; CPU seconds and wall seconds waited)
//   session_tool saves FILE                     per line on stdin: 30 ms, then sets k<i> to i,
//                                               saves, prints steady_clock nanoseconds
//   session_tool rekey FILE NEWHEX|none         rekey() to that key (or none)
//   session_tool backup FILE OUT                backup_to(OUT); prints its revision
//
// Options after FILE: --key HEX (integrity key, hex), --allowlist (decode with
// GlobalPolicy::allowlist: any global but the well-known plain data forms is refused),
// --read-only (OpenMode::read_only), --network (FilesystemCheck::network: the rollback
// journal, and polling for changes).
// Errors print "ErrorClass: message" on stderr and exit 1.

#include <sys/resource.h>

#include <picklejar/picklejar.hpp>
#include <picklejar/session.hpp>

#include <fmt/format.h>

#include <chrono>
#include <complex>
#include <cstddef>
#include <cstdint>
#include <iostream>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <variant>
#include <vector>

namespace crossstate {

// The Python class crossstate.Window in python/tests_cpp/crossstate.py.
struct Window {
  int width = 800;
  int height = 600;
  std::string title;
  std::vector<std::string> tags;
  friend bool operator==(const Window&, const Window&) = default;
};
PICKLEJAR_CLASS(Window, "crossstate", "Window", width, height, title, tags);

enum class Color { red = 1, green = 2, blue = 4 };
PICKLEJAR_ENUM(Color, red, green, blue);

}  // namespace crossstate

namespace {

using namespace std::chrono;
using crossstate::Window;
using picklejar::Session;

// Calls visit(key, value) for every typed sample. python/tests_cpp/test_typed.py holds the
// Python object each one must be.
template <class Visit>
void each_sample(Visit&& visit) {
  visit("none", nullptr);
  visit("bool", true);
  visit("int", std::int64_t{-1234567890123});
  visit("uint64", std::numeric_limits<std::uint64_t>::max());
  visit("double", 2.5);
  visit("float", 0.1f);
  visit("string", std::string("h\xc3\xa9llo \xf0\x9f\x98\x80"));
  visit("bytes", std::vector<std::byte>{std::byte{0}, std::byte{0xff}, std::byte{0x10}});
  visit("list", std::vector<int>{1, 2, 3});
  visit("dict", std::map<std::string, int>{{"a", 1}, {"b", 2}});
  visit("set", std::set<int>{3, 1, 2});
  visit("tuple", std::tuple<int, std::string, double>{1, "x", 0.5});
  visit("optional_none", std::optional<int>{});
  visit("optional", std::optional<int>{5});
  visit("variant", std::variant<int, std::string>{std::string("s")});
  visit("enum", crossstate::Color::blue);
  visit("datetime", sys_time<microseconds>(sys_days(year{2024} / 3 / 14) + hours{9} + minutes{26} +
                                           seconds{53} + microseconds{589793}));
  visit("naive", local_time<seconds>(local_days(year{1999} / 12 / 31) + hours{23} + minutes{59} +
                                     seconds{59}));
  visit("timedelta", duration_cast<microseconds>(hours{36}) + microseconds{5});
  visit("negative_timedelta", microseconds{-1});
  visit("date", year_month_day(year{2024} / February / 29));
  visit("time", picklejar::py::Time{9, 26, 53, 589, microseconds(hours{-5})});
  visit("decimal", picklejar::py::Decimal{"-1.50"});
  visit("uuid", *picklejar::py::Uuid::parse("12345678-1234-5678-1234-567812345678"));
  visit("complex", std::complex<double>(1.5, -2));
  visit("ordered", picklejar::py::OrderedDict<std::string, int>{{{"b", 1}, {"a", 2}}});
  visit("struct", Window{1024, 768, "main \xe2\x98\x95", {"a", "b"}});
  visit("structs",
        std::map<std::string, std::vector<Window>>{{"all", {Window{}, Window{1, 2, "", {}}}}});
  visit("nested", std::map<std::string, std::vector<std::optional<double>>>{{"xs", {1.0, {}}}});
}

struct Args {
  std::string command;
  std::string file;
  std::vector<std::string> rest;
  bool wait = false;  // --wait
  picklejar::SessionOptions options;
};

std::string from_hex(const std::string& hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

Args parse(int argc, char** argv) {
  Args args;
  if (argc < 3) throw std::invalid_argument("usage: session_tool COMMAND FILE [ARGS...]");
  args.command = argv[1];
  args.file = argv[2];
  args.options.durability = picklejar::Durability::fast;
  for (int i = 3; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--key" && i + 1 < argc) {
      args.options.integrity_key = from_hex(argv[++i]);
    } else if (arg == "--read-only") {
      args.options.mode = picklejar::OpenMode::read_only;
    } else if (arg == "--wait") {
      args.wait = true;
    } else if (arg == "--network") {
      args.options.filesystem = picklejar::FilesystemCheck::network;
    } else if (arg == "--allowlist") {
      args.options.decode.globals = picklejar::GlobalPolicy::allowlist;
    } else {
      args.rest.push_back(arg);
    }
  }
  return args;
}

double cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

int check_typed(Session& s) {
  int mismatches = 0;
  each_sample([&](const char* key, const auto& expected) {
    using T = std::remove_cvref_t<decltype(expected)>;
    try {
      if constexpr (std::is_same_v<T, std::nullptr_t>) {
        if (!s.get(key).is_none()) throw std::runtime_error("not None");
      } else if (!(s.get<T>(key) == expected)) {
        throw std::runtime_error("a different value");
      }
    } catch (const std::exception& e) {
      fmt::print("{}: {} ({})\n", key, e.what(), picklejar::repr(s.get(key)));
      ++mismatches;
    }
  });
  if (mismatches == 0) fmt::print("ok\n");
  return mismatches == 0 ? 0 : 1;
}

int run(const Args& args) {
  Session s(args.file, args.options);
  if (args.command == "write-typed") {
    each_sample([&](const char* key, const auto& value) {
      if constexpr (std::is_same_v<std::remove_cvref_t<decltype(value)>, std::nullptr_t>) {
        s.set(key, picklejar::Value());
      } else {
        s.set(key, value);
      }
    });
    s.save();
  } else if (args.command == "check-typed") {
    return check_typed(s);
  } else if (args.command == "hold") {
    s.transact([](Session&) {
      fmt::print("locked\n");
      std::fflush(stdout);
      std::string ignored;
      while (std::getline(std::cin, ignored)) {
      }
    });
  } else if (args.command == "save" && args.rest.size() >= 2) {
    if (args.wait) {  // opened: let the test take its lock before we save
      fmt::print("opened\n");
      std::fflush(stdout);
      std::string line;
      std::getline(std::cin, line);
    }
    s.set(args.rest[0], std::int64_t{std::stoll(args.rest[1])});
    s.save();
  } else if (args.command == "race" && args.rest.size() >= 3) {
    // race FILE KEY N NAME: waits for a line on stdin, adds "winner" = NAME (set-if-absent),
    // increments KEY N times and "winners" by 1 if its add won, with an unsaved change of its
    // own that must never reach the file.
    s.set("unsaved-cpp", 1);
    std::string line;
    std::getline(std::cin, line);
    const bool won = s.add("winner", picklejar::Value(args.rest[2]));
    for (int i = 0, n = std::stoi(args.rest[1]); i < n; ++i) s.increment(args.rest[0]);
    s.increment("winners", won ? 1 : 0);
    s.discard();
  } else if (args.command == "wait" && args.rest.size() == 1) {
    fmt::print("ready\n");
    std::fflush(stdout);
    const double cpu_before = cpu_seconds();
    const auto start = std::chrono::steady_clock::now();
    const picklejar::Changes changes =
        s.wait_for_change(std::chrono::milliseconds(std::stoll(args.rest[0])));
    const auto woke = std::chrono::steady_clock::now();
    std::string keys;
    for (const std::string& key : changes.keys()) keys += (keys.empty() ? "" : ",") + key;
    fmt::print("{}\t{}\t{:.6f}\t{:.3f}\n", keys,
               duration_cast<nanoseconds>(woke.time_since_epoch()).count(),
               cpu_seconds() - cpu_before, duration<double>(woke - start).count());
  } else if (args.command == "saves") {
    std::string line;
    for (int i = 0; std::getline(std::cin, line); ++i) {
      std::this_thread::sleep_for(30ms);  // the waiting process is waiting by now
      s.set(fmt::format("k{}", i), i);
      s.save();
      fmt::print("{}\n",
                 duration_cast<nanoseconds>(steady_clock::now().time_since_epoch()).count());
      std::fflush(stdout);
    }
  } else if (args.command == "rekey" && args.rest.size() == 1) {
    if (args.rest[0] == "none") {
      s.rekey(std::nullopt);
    } else {
      s.rekey(from_hex(args.rest[0]));
    }
  } else if (args.command == "backup" && args.rest.size() == 1) {
    fmt::print("{}\n", s.backup_to(args.rest[0]).revision);
  } else if (args.command == "dump") {
    for (const auto& [key, value] : s) fmt::print("{}\t{}\n", key, picklejar::repr(value));
  } else {
    throw std::invalid_argument("unknown command or wrong arguments: " + args.command);
  }
  return 0;
}

// "ErrorClass: message" for the store's error family and the decoder's.
std::string describe(const std::exception& e) {
  const char* kind = "Error";
  if (dynamic_cast<const picklejar::ConflictError*>(&e))
    kind = "ConflictError";
  else if (dynamic_cast<const picklejar::LockTimeout*>(&e))
    kind = "LockTimeout";
  else if (dynamic_cast<const picklejar::IntegrityError*>(&e))
    kind = "IntegrityError";
  else if (dynamic_cast<const picklejar::FormatError*>(&e))
    kind = "FormatError";
  else if (dynamic_cast<const picklejar::SqliteError*>(&e))
    kind = "SqliteError";
  else if (dynamic_cast<const picklejar::StoreError*>(&e))
    kind = "StoreError";
  else if (dynamic_cast<const picklejar::ForbiddenError*>(&e))
    kind = "ForbiddenError";
  else if (dynamic_cast<const picklejar::DecodeError*>(&e))
    kind = "DecodeError";
  else if (!dynamic_cast<const picklejar::Error*>(&e))
    kind = "std::exception";
  return fmt::format("{}: {}", kind, e.what());
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Args args = parse(argc, argv);
    // The timeout: the last argument of "save", in milliseconds.
    Args timed = args;
    if (args.command == "save" && args.rest.size() == 3)
      timed.options.lock_timeout = std::chrono::milliseconds(std::stoll(args.rest[2]));
    return run(timed);
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}\n", describe(e));
    return 1;
  }
}
