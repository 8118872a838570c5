// numpy_bench: a 100 MB float64 numpy array through picklejar::NdArray against numpy's own
// pickle.loads / pickle.dumps, in the same run (bench/numpy_bench.py times numpy's side).
//
//   numpy_bench [--mb=100] [--repeat=5] [--min_time=0.2] [--python=/usr/bin/python3]
//
// Decoding is loads(const Buffer&) of numpy's pickle plus from_value<NdArray> (the result
// destroyed inside the loop, as dropping pickle.loads' result does). The pickle is placed in
// memory two ways: as a program would get it (a malloc'd copy: numpy's layouts then put the
// float64 payload at an offset that is not a multiple of 8, and NdArray copies it to be
// aligned), and with the payload on a 64-byte boundary (nothing is copied). Encoding is
// to_value of an NdArray over the items plus dumps. "copies" counts picklejar's array-sized
// copies, from where the items end up; "numpy alloc" is numpy's peak allocation under
// tracemalloc in array sizes (1 for loads: the bytes or bytearray it copies the payload into).

#include <fmt/format.h>

#include <cstdlib>
#include <cstring>
#include <exception>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <picklejar/ndarray.hpp>
#include <picklejar/pickle.hpp>

#include "harness.hpp"

namespace fs = std::filesystem;
using picklejar::Buffer;
using picklejar::NdArray;
using picklejar::bench::Timing;

namespace {

struct Flags {
  int mb = 100;
  int repeat = 5;
  double min_time = 0.2;
  std::string python = "/usr/bin/python3";
};

Flags parse(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto eq = arg.find('=');
    const std::string name = arg.substr(0, eq), value = eq == arg.npos ? "" : arg.substr(eq + 1);
    if (name == "--mb")
      f.mb = std::stoi(value);
    else if (name == "--repeat")
      f.repeat = std::stoi(value);
    else if (name == "--min_time")
      f.min_time = std::stod(value);
    else if (name == "--python")
      f.python = value;
    else {
      fmt::print(stderr, "usage: numpy_bench [--mb=N] [--repeat=N] [--min_time=S] [--python=P]\n");
      std::exit(2);
    }
  }
  return f;
}

// numpy's side: name -> (seconds per call, peak bytes allocated).
struct NumpyRow {
  double seconds = 0;
  double allocated = 0;
};

std::map<std::string, NumpyRow> run_numpy(const Flags& flags, const fs::path& dir,
                                          std::string& version) {
  const std::string out = picklejar::bench::run_capture(
      {flags.python, fs::path(PICKLEJAR_NUMPY_BENCH_SCRIPT), dir.string(),
       "--mb=" + std::to_string(flags.mb), "--repeat=" + std::to_string(flags.repeat),
       "--min-time=" + std::to_string(flags.min_time)});
  std::map<std::string, NumpyRow> rows;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string kind, name;
    std::getline(fields, kind, '\t');
    if (kind == "numpy") {
      std::getline(fields, version);
    } else if (kind == "row") {
      std::getline(fields, name, '\t');
      NumpyRow row;
      long loops = 0;
      fields >> row.seconds >> loops >> row.allocated;
      rows[name] = row;
    }
  }
  return rows;
}

// `bytes` in fresh memory whose byte `payload_offset` lands on a 64-byte boundary
// (`misalign` bytes past one), shared read-only as the pickle's Buffer.
Buffer placed(const std::string& bytes, std::size_t payload_offset, std::size_t misalign) {
  auto storage = std::shared_ptr<std::byte[]>(new std::byte[bytes.size() + 128]);
  const auto base = reinterpret_cast<std::uintptr_t>(storage.get());
  const std::size_t start = (64 - (base + payload_offset) % 64 + misalign) % 64;
  std::memcpy(storage.get() + start, bytes.data(), bytes.size());
  const std::byte* first = storage.get() + start;
  return Buffer(std::shared_ptr<const void>(storage, first), {first, bytes.size()});
}

struct Row {
  std::string name;
  std::string what;
  std::size_t bytes;  // the array's size
  Timing ours;
  double copied = 0;  // array-sized copies picklejar made
  NumpyRow numpy;
};

double copies(double bytes, std::size_t array) { return bytes / static_cast<double>(array); }

std::string duration(double seconds) {
  return seconds >= 1e-3 ? fmt::format("{:.2f} ms", seconds * 1e3)
                         : fmt::format("{:.2f} us", seconds * 1e6);
}

// One decode, and how many array-sized copies it made: the decoder's (a payload that does
// not point into the input) and NdArray's (one that does not share).
double decode_copies(const Buffer& input, const picklejar::DecodeOptions& options,
                     std::span<const std::byte> source) {
  const picklejar::Value v = picklejar::loads(input, options);
  const NdArray a = picklejar::from_value<NdArray>(v);
  const picklejar::Value data =
      v.object_args().size() == 4 ? v.object_args()[0] : v.object_state()[4];
  const auto* p = data.as_bytes().data();
  const bool decoder_copied = p < source.data() || p >= source.data() + source.size();
  return (decoder_copied ? 1.0 : 0.0) + (a.shares_memory() ? 0.0 : 1.0);
}

Row decode_row(std::string name, std::string what, const Buffer& input, const Flags& flags,
               std::size_t array_bytes, std::span<const Buffer> buffers = {},
               std::span<const std::byte> source = {}) {
  picklejar::DecodeOptions options;
  options.buffers = buffers;
  options.limits.max_input_bytes = options.limits.max_allocation_bytes = std::size_t{4} << 30;
  Row row{std::move(name), std::move(what), array_bytes, {}, 0, {}};
  row.copied = decode_copies(input, options, source.empty() ? input.bytes() : source);
  row.ours = picklejar::bench::best_per_call(
      [&] { NdArray a = picklejar::from_value<NdArray>(picklejar::loads(input, options)); },
      flags.repeat, flags.min_time);
  return row;
}

Row encode_row(std::string name, std::string what, const NdArray& a, int protocol,
               const Flags& flags) {
  picklejar::EncodeOptions options;
  options.protocol = protocol;
  Row row{std::move(name), std::move(what), a.nbytes(), {}, 0, {}};
  const std::string out = picklejar::dumps(picklejar::to_value(a), options);
  row.copied = 1;  // the items into the output, nothing before: to_value shares them
  row.ours = picklejar::bench::best_per_call(
      [&] { std::string p = picklejar::dumps(picklejar::to_value(a), options); }, flags.repeat,
      flags.min_time);
  return row;
}

int run(const Flags& flags) {
  picklejar::bench::ScratchDir scratch;
  std::string version;
  auto numpy = run_numpy(flags, scratch.path(), version);
  const auto file = [&](const char* name) {
    return picklejar::bench::read_file(scratch.path() / name);
  };
  const std::string p5 = file("array.p5.pkl"), p4 = file("array.p4.pkl");
  const std::string oob = file("array.oob.pkl"), raw = file("array.oob.buf");
  const std::size_t n = raw.size();
  const std::size_t at5 = p5.find(raw.substr(0, 64)), at4 = p4.find(raw.substr(0, 64));
  const Buffer items = placed(raw, 0, 0);

  std::vector<Row> rows;
  const Buffer p5_copy = Buffer::copy_of(p5), p4_copy = Buffer::copy_of(p4);
  rows.push_back(decode_row("loads_p5", "p5 in band, as read", p5_copy, flags, n));
  rows.push_back(decode_row("loads_p5", "p5 in band, aligned", placed(p5, at5, 0), flags, n));
  // Protocol 4 writes a payload under 4 GiB as BINBYTES (CPython uses BINBYTES8 only past it).
  rows.push_back(decode_row("loads_p4", "p4 BINBYTES, as read", p4_copy, flags, n));
  rows.push_back(decode_row("loads_p4", "p4 BINBYTES, aligned", placed(p4, at4, 0), flags, n));
  rows.push_back(decode_row("loads_oob", "p5 out of band", Buffer::copy_of(oob), flags, n,
                            std::span(&items, 1), items.bytes()));
  const NdArray array = NdArray::from_buffer(picklejar::DType::of<double>(), {n / 8}, items);
  rows.push_back(encode_row("dumps_p5", "dumps p5 in band", array, 5, flags));
  rows.push_back(encode_row("dumps_p4", "dumps p4", array, 4, flags));

  fmt::print("numpy:      {} ({})\n", version, flags.python);
  fmt::print("Array:      {} float64 items, {:.1f} MB; payload at offset {} (p5), {} (p4)\n", n / 8,
             n / 1e6, at5, at4);
  fmt::print("Method:     best of {} repeats, each >= {} s; result destroyed inside the loop\n",
             flags.repeat, flags.min_time);
#ifndef NDEBUG
  fmt::print("WARNING:    assertions are enabled; build with -Dbuildtype=release to benchmark\n");
#endif
  fmt::print("{:<24} {:>10} {:>10} {:>9} {:>10} {:>7} {:>7}  {}\n", "operation", "picklejar",
             "numpy", "numpy/us", "GB/s", "copies", "numpy", "target");
  fmt::print("{:<24} {:>10} {:>10} {:>9} {:>10} {:>7} {:>7}\n", "", "", "", "", "", "", "alloc");
  int missed = 0;
  for (Row& row : rows) {
    row.numpy = numpy.at(row.name);
    const double ratio = row.numpy.seconds / row.ours.seconds;
    const bool decode = row.name.starts_with("loads");
    const bool met = decode ? ratio >= 1.0 : row.ours.seconds <= 1.2 * row.numpy.seconds;
    missed += met ? 0 : 1;
    fmt::print("{:<24} {:>10} {:>10} {:>8.2f}x {:>10.2f} {:>7.0f} {:>7.1f}  {} {}\n", row.what,
               duration(row.ours.seconds), duration(row.numpy.seconds), ratio,
               static_cast<double>(row.bytes) / row.ours.seconds / 1e9, row.copied,
               copies(row.numpy.allocated, row.bytes), decode ? ">= numpy" : "<= 1.2x numpy",
               met ? "met" : "MISSED");
  }
  fmt::print("{}\n",
             missed == 0 ? "all targets met" : fmt::format("{} rows miss a target", missed));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse(argc, argv));
  } catch (const std::exception& e) {
    fmt::print(stderr, "numpy_bench: {}\n", e.what());
    return 1;
  }
}
