#pragma once
// What decode_bench and encode_bench share: the command line
//   [--benchmarks=NAME,...] [--repeat=N] [--min_time=SECONDS] [--payloads=DIR]
//   [--python=PATH] [--cpython=0|1]
// timing CPython through bench/time_cpython.py, and judging a row against the targets.

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness.hpp"

namespace picklejar::bench {

struct CodecFlags {
  std::vector<std::string> benchmarks;  // empty: all
  int repeat = 5;
  double min_time = 0.2;
  std::string payloads;  // a directory holding the payloads; empty: generate them
  std::string python;    // $PICKLEJAR_PYTHON, else `default_python`
  bool cpython = true;   // time CPython too
};

// Prints usage naming `program` and exits with status 2 on a bad flag.
CodecFlags parse_codec_flags(int argc, char** argv, std::string_view program,
                             const std::string& default_python);

// Whether --benchmarks selects `workload` (all are, without it).
bool selected(const CodecFlags& flags, std::string_view workload);

// bench/time_cpython.py run on `files` (with `mode_args`, e.g. "--dumps"): the best time per
// call for each file, by file name, and the Python version line.
struct CPythonTimes {
  std::string version;
  std::map<std::string, Timing, std::less<>> by_file;
};
CPythonTimes time_cpython(const CodecFlags& flags, const std::vector<std::string>& mode_args,
                          const std::vector<std::filesystem::path>& files);

// The targets both codecs are held to: at least 3x faster than CPython on every payload, and
// blob_1mb at 2 GB/s or more. The verdict column for a row, and whether it meets them.
struct Verdict {
  std::string text;
  bool met = true;
};
Verdict judge(std::string_view workload, std::size_t bytes, const Timing& ours,
              const std::optional<Timing>& cpython);

std::string micros(double seconds);

}  // namespace picklejar::bench
