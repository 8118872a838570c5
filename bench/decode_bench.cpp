// decode_bench: picklejar::loads against CPython's pickle.loads (the C accelerator) on the
// same bytes, in the same run, shaped after leveldb's db_bench (named workloads, one table).
//
//   decode_bench [--benchmarks=mixed,blob_1mb,...] [--repeat=5] [--min_time=0.2]
//                [--payloads=DIR] [--python=PATH] [--cpython=1]
//
// The payloads are pickles that python3 writes (bench/make_payloads.py, protocols 4 and 5),
// generated into a scratch directory unless --payloads names a directory that already holds
// them. Both sides are timed the same way, in-process: every payload is decoded once first
// (warming the allocator), then each gets the best of --repeat repeats of a loop count that
// makes one repeat last at least --min_time seconds. Each timed call includes destroying the
// decoded value, as dropping pickle.loads' result does in Python. picklejar decodes from a
// read-only picklejar::Buffer (loads(Buffer)), so big bytes payloads are referenced, not copied.
//
// Neither side's allocator is tuned. glibc's malloc adapts its mmap and trim thresholds to
// the largest blocks freed so far, so the warm-up above matters, and a run of a few
// --benchmarks (which warms only those) can differ from a run of the whole set.
// The python used is --python, else $PICKLEJAR_PYTHON, else the one Meson found.

#include <picklejar/pickle.hpp>

#include <fmt/format.h>

#include <cstdlib>
#include <exception>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "bench_config.hpp"
#include "codec_bench.hpp"
#include "harness.hpp"

namespace fs = std::filesystem;
using picklejar::bench::Timing;

namespace {

// The targets the decoder is held to.
constexpr int kProtocols[] = {4, 5};

// Same names and order as bench/make_payloads.py, which describes each one.
constexpr std::string_view kWorkloads[] = {"mixed",   "ints_100k",   "str_dict_10k", "blob_1mb",
                                           "bigints", "nested_1000", "nonascii_10k"};

using Flags = picklejar::bench::CodecFlags;
using picklejar::bench::micros;

struct Row {
  std::string file;  // "<workload>.p<N>.pkl"
  std::string_view workload;
  std::string pickle;
  Timing ours;
  std::optional<Timing> cpython;
};

// Decodes from a shared read-only Buffer, the way a program hands over data it keeps (e.g.
// a blob read from SQLite): large bytes payloads are then referenced, not copied.
Timing time_picklejar(const std::string& pickle, const Flags& flags) {
  const picklejar::Buffer input = picklejar::Buffer::copy_of(pickle);
  return picklejar::bench::best_per_call(
      [&] { picklejar::Value value = picklejar::loads(input); },  // destroyed inside the loop
      flags.repeat, flags.min_time);
}

// Runs bench/time_cpython.py on every row's file; fills Row::cpython and returns the version.
std::string time_cpython(std::vector<Row>& rows, const fs::path& dir, const Flags& flags) {
  std::vector<fs::path> files;
  for (const Row& row : rows) files.push_back(dir / row.file);
  auto times = picklejar::bench::time_cpython(flags, {}, files);
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
  fmt::print("{:<20} {:>9} {:>13} {:>13} {:>9} {:>10.1f}  {}\n", row.file, row.pickle.size(),
             micros(row.ours.seconds), cpython, ratio, bytes_per_s / 1e6, verdict.text);
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

int run(const Flags& flags) {
  std::optional<picklejar::bench::ScratchDir> scratch;
  fs::path dir = flags.payloads;
  if (dir.empty()) {
    scratch.emplace();
    dir = scratch->path();
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
      row.pickle = picklejar::bench::read_file(dir / row.file);
      rows.push_back(std::move(row));
    }
  }
  // Every payload is decoded once before any is timed, so that every row runs with the
  // allocator in the same, steady state: glibc raises its mmap and trim thresholds to the
  // largest block freed so far, which otherwise favours the rows that happen to run later.
  for (const Row& row : rows) (void)picklejar::loads(row.pickle);
  for (Row& row : rows) row.ours = time_picklejar(row.pickle, flags);
  const std::string version = flags.cpython ? time_cpython(rows, dir, flags) : "";

  fmt::print("CPU:        {}\n", cpu_model());
  fmt::print("CPython:    {} ({}), pickle.loads = _pickle.loads\n",
             version.empty() ? "not run" : version, flags.python);
  fmt::print(
      "Method:     best of {} repeats, each >= {} s; per loads() call, destroying the "
      "result included\n",
      flags.repeat, flags.min_time);
#ifndef NDEBUG
  fmt::print("WARNING:    assertions are enabled; build with -Dbuildtype=release to benchmark\n");
#endif
  fmt::print("------------------------------------------------\n");
  fmt::print("{:<20} {:>9} {:>13} {:>13} {:>9} {:>10}  {}\n", "payload", "bytes", "picklejar",
             "CPython", "CPy/ours", "MB/s", "target (>=3x; blob >=2 GB/s)");
  int missed = 0;
  for (const Row& row : rows) missed += print_row(row) ? 0 : 1;
  fmt::print("{}\n",
             missed == 0 ? "all targets met" : fmt::format("{} rows miss a target", missed));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(
        picklejar::bench::parse_codec_flags(argc, argv, "decode_bench", PICKLEJAR_BENCH_PYTHON));
  } catch (const std::exception& e) {
    fmt::print(stderr, "decode_bench: {}\n", e.what());
    return 1;
  }
}
