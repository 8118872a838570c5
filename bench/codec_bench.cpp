#include "codec_bench.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <sstream>
#include <stdexcept>

#include "bench_config.hpp"

namespace picklejar::bench {
namespace {

std::vector<std::string> split_commas(std::string_view text) {
  std::vector<std::string> out;
  std::stringstream in{std::string(text)};
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

[[noreturn]] void usage(std::string_view program, std::string_view bad) {
  fmt::print(stderr, "{}: bad flag '{}'\n", program, bad);
  fmt::print(stderr,
             "usage: {} [--benchmarks=NAME,...] [--repeat=N] [--min_time=SECONDS]\n"
             "       {:{}} [--payloads=DIR] [--python=PATH] [--cpython=0|1]\n",
             program, "", program.size());
  std::exit(2);
}

}  // namespace

CodecFlags parse_codec_flags(int argc, char** argv, std::string_view program,
                             const std::string& default_python) {
  CodecFlags flags;
  if (const char* env = std::getenv("PICKLEJAR_PYTHON")) flags.python = env;
  if (flags.python.empty()) flags.python = default_python;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const auto eq = arg.find('=');
    if (!arg.starts_with("--") || eq == std::string_view::npos) usage(program, arg);
    const std::string_view name = arg.substr(2, eq - 2);
    const std::string value(arg.substr(eq + 1));
    try {
      if (name == "benchmarks")
        flags.benchmarks = split_commas(value);
      else if (name == "repeat")
        flags.repeat = std::stoi(value);
      else if (name == "min_time")
        flags.min_time = std::stod(value);
      else if (name == "payloads")
        flags.payloads = value;
      else if (name == "python")
        flags.python = value;
      else if (name == "cpython")
        flags.cpython = std::stoi(value) != 0;
      else
        usage(program, arg);
    } catch (const std::logic_error&) {  // stoi/stod: not a number
      usage(program, arg);
    }
  }
  if (flags.repeat < 1 || flags.min_time <= 0) usage(program, "--repeat/--min_time");
  return flags;
}

bool selected(const CodecFlags& flags, std::string_view workload) {
  if (flags.benchmarks.empty()) return true;
  for (const auto& b : flags.benchmarks) {
    if (b == workload) return true;
  }
  return false;
}

CPythonTimes time_cpython(const CodecFlags& flags, const std::vector<std::string>& mode_args,
                          const std::vector<std::filesystem::path>& files) {
  std::vector<std::string> argv = {
      flags.python, std::filesystem::path(PICKLEJAR_BENCH_SCRIPTS) / "time_cpython.py"};
  argv.insert(argv.end(), mode_args.begin(), mode_args.end());
  argv.push_back(fmt::format("--repeat={}", flags.repeat));
  argv.push_back(fmt::format("--min-time={}", flags.min_time));
  for (const auto& file : files) argv.push_back(file);
  CPythonTimes times;
  std::stringstream out(run_capture(argv));
  for (std::string line; std::getline(out, line);) {
    std::stringstream fields(line);
    std::string tag, file;
    std::getline(fields, tag, '\t');
    if (tag == "python") std::getline(fields, times.version);
    if (tag != "cpython") continue;
    Timing t;
    std::getline(fields, file, '\t');
    fields >> t.seconds >> t.loops;
    times.by_file[file] = t;
  }
  return times;
}

Verdict judge(std::string_view workload, std::size_t bytes, const Timing& ours,
              const std::optional<Timing>& cpython) {
  constexpr double kTargetRatio = 3.0;
  constexpr double kTargetBlobBytesPerS = 2e9;
  Verdict v;
  if (cpython) {
    v.met = cpython->seconds / ours.seconds >= kTargetRatio;
    v.text = v.met ? "ok" : fmt::format("below {}x", kTargetRatio);
  }
  if (workload == "blob_1mb") {
    const bool fast = static_cast<double>(bytes) / ours.seconds >= kTargetBlobBytesPerS;
    v.text += fmt::format("{}{} 2 GB/s", v.text.empty() ? "" : ", ", fast ? ">=" : "below");
    v.met = v.met && fast;
  }
  return v;
}

std::string micros(double seconds) { return fmt::format("{:.2f} us", seconds * 1e6); }

}  // namespace picklejar::bench
