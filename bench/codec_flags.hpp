#pragma once
// The command line shared by decode_bench and encode_bench:
//   [--benchmarks=NAME,...] [--repeat=N] [--min_time=SECONDS] [--payloads=DIR]
//   [--python=PATH] [--cpython=0|1]

#include <string>
#include <string_view>
#include <vector>

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

}  // namespace picklejar::bench
