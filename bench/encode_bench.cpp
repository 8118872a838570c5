// encode_bench: picklejar::dumps against CPython's pickle.dumps (the C accelerator) on equal
// objects, in the same run; decode_bench's twin.
//
//   encode_bench [--benchmarks=mixed,blob_1mb,...,session] [--repeat=5] [--min_time=0.2]
//                [--payloads=DIR] [--python=PATH] [--cpython=1]
//
// The workloads are decode_bench's payloads (bench/make_payloads.py, protocols 4 and 5),
// generated into a scratch directory unless --payloads names a directory that holds them.
// Each is decoded once with picklejar::loads; what is timed is dumps() of that Value at the
// file's protocol, and on the CPython side pickle.dumps of pickle.loads(file) at the same
// protocol (bench/time_cpython.py --dumps). Because dumps(loads(p), N) == p, both sides write
// exactly the file's bytes; the "same" column checks it.
//
// One more workload, session, is a C++ struct mapped with PICKLEJAR_CLASS (window geometry,
// 200 recent file paths, nested preferences, a timestamp); timed is to_value() + dumps(),
// against CPython pickling the equal instance of bench/encode_bench_classes.py's classes (loaded
// from our pickle of the struct).
//
// Both sides are timed alike: best of --repeat repeats of a loop count that makes a repeat
// last at least --min_time seconds; each call builds and drops a fresh output (std::string
// here, bytes there). Build with -Dbuildtype=release (scripts/bench does).

#include <picklejar/picklejar.hpp>

#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "bench_config.hpp"
#include "codec_bench.hpp"
#include "harness.hpp"

namespace fs = std::filesystem;
using picklejar::bench::Timing;

namespace encode_bench_classes {

struct Geometry {
  int x = 0, y = 0, width = 0, height = 0;
  bool maximized = false;
  int monitor = 0;
};
PICKLEJAR_CLASS(Geometry, "encode_bench_classes", "Geometry", x, y, width, height, maximized,
                monitor);

using Setting = std::variant<bool, std::int64_t, double, std::string>;

struct Preferences {
  std::string theme;
  std::string font_family;
  double font_size = 0;
  bool autosave = false;
  int autosave_seconds = 0;
  std::map<std::string, std::string> keymap;
  std::map<std::string, std::map<std::string, Setting>> languages;
  std::vector<std::string> plugins;
};
PICKLEJAR_CLASS(Preferences, "encode_bench_classes", "Preferences", theme, font_family, font_size,
                autosave, autosave_seconds, keymap, languages, plugins);

struct Session {
  Geometry window;
  std::vector<fs::path> recent;
  Preferences prefs;
  std::vector<std::string> open_tabs;
  std::chrono::sys_time<std::chrono::microseconds> saved_at;
};
PICKLEJAR_CLASS(Session, "encode_bench_classes", "Session", window, recent, prefs, open_tabs,
                saved_at);

// A realistic editor session, the same on every run.
Session make() {
  Session s;
  s.window = {120, 80, 1680, 1050, false, 1};
  for (int i = 0; i < 200; ++i) {
    s.recent.push_back(
        fmt::format("/home/user/projects/project-{:02}/src/module_{:03}/file_{:03}.py", i % 17, i,
                    i * 7 % 1000));
  }
  s.prefs.theme = "solarized-dark";
  s.prefs.font_family = "DejaVu Sans Mono";
  s.prefs.font_size = 11.5;
  s.prefs.autosave = true;
  s.prefs.autosave_seconds = 30;
  for (int i = 0; i < 30; ++i)
    s.prefs.keymap[fmt::format("ctrl+{}", static_cast<char>('a' + i % 26)) +
                   (i >= 26 ? "+shift" : "")] = fmt::format("command.action_{}", i);
  for (const char* language :
       {"python", "c++", "rust", "go", "markdown", "json", "yaml", "shell"}) {
    auto& settings = s.prefs.languages[language];
    settings["tab_width"] = std::int64_t{4};
    settings["insert_spaces"] = true;
    settings["ruler"] = std::int64_t{100};
    settings["formatter"] = std::string(language) + "-format";
    settings["line_height"] = 1.25;
  }
  s.prefs.plugins = {"git", "lsp", "minimap", "spell", "terminal", "todo"};
  for (int i = 0; i < 12; ++i)
    s.open_tabs.push_back(s.recent[static_cast<std::size_t>(i)].string());
  s.saved_at = std::chrono::sys_days(std::chrono::year{2024} / 6 / 1) + std::chrono::hours{14};
  return s;
}

}  // namespace encode_bench_classes

namespace {

constexpr std::string_view kSessionWorkload = "session";
constexpr int kProtocols[] = {4, 5};

// decode_bench's payloads (same names and order as bench/make_payloads.py), then session.
constexpr std::string_view kWorkloads[] = {"mixed",   "ints_100k",   "str_dict_10k", "blob_1mb",
                                           "bigints", "nested_1000", "nonascii_10k", "session"};

using Flags = picklejar::bench::CodecFlags;
using picklejar::bench::micros;

struct Row {
  std::string file;  // "<workload>.p<N>.pkl"
  std::string_view workload;
  int protocol = 4;
  fs::path path;       // the pickle CPython loads (and, but for session, the bytes it writes)
  std::string pickle;  // our output
  bool same = false;   // our output == the file's bytes (CPython's); not checked for session
  Timing ours;
  std::optional<Timing> cpython;
};

picklejar::EncodeOptions at(int protocol) {
  picklejar::EncodeOptions options;
  options.protocol = protocol;
  return options;
}

void write_file(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out.flush()) throw std::runtime_error("cannot write " + path.string());
}

// Runs bench/time_cpython.py --dumps on every row's file; fills Row::cpython, returns the
// version.
std::string time_cpython(std::vector<Row>& rows, const Flags& flags) {
  std::vector<fs::path> files;
  for (const Row& row : rows) files.push_back(row.path);
  auto times = picklejar::bench::time_cpython(flags, {"--dumps"}, files);
  for (Row& row : rows) {
    if (auto it = times.by_file.find(row.file); it != times.by_file.end()) row.cpython = it->second;
  }
  return times.version;
}

// One table line; returns false when the row misses a target.
bool print_row(const Row& row) {
  const double bytes_per_s = static_cast<double>(row.pickle.size()) / row.ours.seconds;
  std::string cpython = "-", ratio = "-";
  if (row.cpython) {
    cpython = micros(row.cpython->seconds);
    ratio = fmt::format("{:.2f}x", row.cpython->seconds / row.ours.seconds);
  }
  const auto verdict =
      picklejar::bench::judge(row.workload, row.pickle.size(), row.ours, row.cpython);
  const std::string same = row.workload == kSessionWorkload ? "-" : row.same ? "yes" : "NO";
  fmt::print("{:<20} {:>9} {:>5} {:>13} {:>13} {:>9} {:>10.1f}  {}\n", row.file, row.pickle.size(),
             same, micros(row.ours.seconds), cpython, ratio, bytes_per_s / 1e6, verdict.text);
  return verdict.met;
}

std::string cpu_model() {
  try {
    std::stringstream info(picklejar::bench::read_file("/proc/cpuinfo"));
    for (std::string line; std::getline(info, line);) {
      if (line.starts_with("model name")) return line.substr(line.find(':') + 2);
    }
  } catch (const std::exception&) {
  }
  return "unknown";
}

// Decodes a payload and times dumps() of the Value.
void time_payload(Row& row, const Flags& flags) {
  const std::string file_bytes = picklejar::bench::read_file(row.path);
  const picklejar::Value value = picklejar::loads(file_bytes);
  const picklejar::EncodeOptions options = at(row.protocol);
  row.pickle = picklejar::dumps(value, options);
  row.same = row.pickle == file_bytes;
  row.ours = picklejar::bench::best_per_call(
      [&] { std::string out = picklejar::dumps(value, options); }, flags.repeat, flags.min_time);
}

// Times to_value() + dumps() of the session struct, and writes our pickle for CPython.
void time_session(Row& row, const Flags& flags) {
  const encode_bench_classes::Session session = encode_bench_classes::make();
  const picklejar::EncodeOptions options = at(row.protocol);
  row.pickle = picklejar::dumps(picklejar::to_value(session), options);
  write_file(row.path, row.pickle);
  row.ours = picklejar::bench::best_per_call(
      [&] { std::string out = picklejar::dumps(picklejar::to_value(session), options); },
      flags.repeat, flags.min_time);
}

int run(const Flags& flags) {
  picklejar::bench::ScratchDir scratch;  // session pickles, and payloads unless --payloads
  fs::path dir = flags.payloads;
  if (dir.empty()) {
    dir = scratch.path();
    picklejar::bench::run_capture(
        {flags.python, fs::path(PICKLEJAR_BENCH_SCRIPTS) / "make_payloads.py", dir});
  }
  std::vector<Row> rows;
  for (std::string_view workload : kWorkloads) {
    if (!picklejar::bench::selected(flags, workload)) continue;
    for (int protocol : kProtocols) {
      Row row;
      row.file = fmt::format("{}.p{}.pkl", workload, protocol);
      row.workload = workload;
      row.protocol = protocol;
      row.path = (workload == kSessionWorkload ? scratch.path() : dir) / row.file;
      rows.push_back(std::move(row));
    }
  }
  // Every payload is decoded and encoded once before any is timed, so that every row runs
  // with the allocator in the same, steady state (see decode_bench).
  for (const Row& row : rows) {
    if (row.workload != kSessionWorkload)
      (void)picklejar::dumps(picklejar::loads(picklejar::bench::read_file(row.path)));
  }
  for (Row& row : rows)
    row.workload == kSessionWorkload ? time_session(row, flags) : time_payload(row, flags);
  const std::string version = flags.cpython ? time_cpython(rows, flags) : "";

  fmt::print("CPU:        {}\n", cpu_model());
  fmt::print("CPython:    {} ({}), pickle.dumps = _pickle.dumps\n",
             version.empty() ? "not run" : version, flags.python);
  fmt::print(
      "Method:     best of {} repeats, each >= {} s; per dumps() call of a decoded Value "
      "(session: to_value + dumps of the struct)\n",
      flags.repeat, flags.min_time);
#ifndef NDEBUG
  fmt::print("WARNING:    assertions are enabled; build with -Dbuildtype=release to benchmark\n");
#endif
  fmt::print("------------------------------------------------\n");
  fmt::print("{:<20} {:>9} {:>5} {:>13} {:>13} {:>9} {:>10}  {}\n", "payload", "bytes", "same",
             "picklejar", "CPython", "CPy/ours", "MB/s", "target (>=3x; blob >=2 GB/s)");
  int missed = 0, differing = 0;
  for (const Row& row : rows) {
    missed += print_row(row) ? 0 : 1;
    if (row.workload != kSessionWorkload && !row.same) ++differing;
  }
  fmt::print("{}\n",
             missed == 0 ? "all targets met" : fmt::format("{} rows miss a target", missed));
  if (differing > 0) fmt::print("{} rows are NOT byte-identical with CPython\n", differing);
  return differing == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(
        picklejar::bench::parse_codec_flags(argc, argv, "encode_bench", PICKLEJAR_BENCH_PYTHON));
  } catch (const std::exception& e) {
    fmt::print(stderr, "encode_bench: {}\n", e.what());
    return 1;
  }
}
