// session_bench: picklejar::Session against the physical limit (the same work through
// SQLite's C API: bench/session_bench_raw.hpp) and against Python's sqlitedict, diskcache
// and sqlite3 module (bench/session_bench_py.py), all in one run, printed as one table.
//
//   session_bench [--keys=10000] [--single=1000] [--processes=4] [--increments=5000]
//                 [--repeat=3] [--python=/usr/bin/python3 | --python=none]
//                 [--workloads=batch,gets,open,single,transact]
//
// Workloads, on the same values for everyone (session_values(): user-record dicts of
// 250-350 bytes pickled, handed to Python as pickles):
//   batch save    --keys new keys saved in one transaction (picklejar: set() each, save())
//   random gets   every key once in random order from a freshly opened store, decoded
//                 and digest-checked (picklejar: get() decodes lazily, on first access)
//   ... again     the same, a second time: picklejar's session now holds the decoded
//                 values; the others read and decode from SQLite as the first time
//   open + load   open a --keys-key store and bring it into memory (picklejar and raw: the
//                 pickles, undecoded; sqlitedict and diskcache have no such step, so theirs
//                 is open + read every value into a dict)
//   open + read   open and decode every value (every contender; raw SQLite in one scan of the
//                 table, its fastest way, rather than a lookup per key)
//   single saves  --single new keys, one transaction each, durable and fast
//   transact      --processes processes incrementing one counter --increments times each
//                 in fast durability (picklejar: transact(); raw: BEGIN IMMEDIATE
//                 read-modify-write; diskcache: incr(); Python's sqlite3: BEGIN IMMEDIATE
//                 on a plain table), in a store of 1 key and of --keys keys; the final
//                 count must be exact.
// Durability is equal everywhere: "durable" is WAL + synchronous=FULL (picklejar's default),
// "fast" WAL + synchronous=NORMAL; only single saves and transact use fast. Times (and
// increment rates) are the best of --repeat runs; picklejar and raw SQLite take turns, one
// round of every workload each, so both see the same machine load. Build with -Dbuildtype=release
// (scripts/bench-session does).

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <map>
#include <memory>
#include <numeric>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <picklejar/session.hpp>

#include "harness.hpp"
#include "session_bench_config.hpp"
#include "session_bench_raw.hpp"
#include "session_bench_support.hpp"
#include "session_bench_table.hpp"

namespace fs = std::filesystem;
using picklejar::Durability;
using picklejar::Session;
using picklejar::SessionOptions;
using picklejar::Value;
using picklejar::bench::best_of;
using picklejar::bench::RawStore;
using picklejar::bench::Results;
using picklejar::bench::session_key;

namespace {

// The workload groups, in the order they run (--workloads picks some).
constexpr std::string_view kWorkloads[] = {"batch", "gets", "open", "single", "transact"};

struct Flags {
  std::vector<std::string> workloads{std::begin(kWorkloads), std::end(kWorkloads)};
  bool wants(std::string_view w) const {
    return std::find(workloads.begin(), workloads.end(), w) != workloads.end();
  }
  int keys = 10000;
  int single = 1000;
  int processes = 4;
  int increments = 5000;
  int repeat = 3;
  std::string python = PICKLEJAR_SESSION_BENCH_PYTHON;
};

struct Data {
  std::vector<Value> values;
  std::vector<std::pair<std::string, Value>> items;  // (session_key(i), values[i])
  std::vector<int> order;                            // a random permutation of the keys
};

SessionOptions options(Durability durability) {
  SessionOptions o;
  o.durability = durability;
  o.lock_timeout = std::chrono::minutes(10);
  return o;
}

// A scratch file name, unused so far.
fs::path fresh(const fs::path& dir, std::string_view name) {
  static int count = 0;
  return dir / fmt::format("{}-{}.pj", name, ++count);
}

// A new, empty session file: the schema every contender but Python's uses.
fs::path new_file(const fs::path& dir, std::string_view name) {
  fs::path file = fresh(dir, name);
  Session create(file, options(Durability::durable));
  return file;
}

void fill(const fs::path& file, const Data& data, std::size_t count) {
  Session s(file, options(Durability::durable));
  for (std::size_t i = 0; i < count; ++i) s.set(data.items[i].first, data.items[i].second);
  s.save();
}

void remove_files(const fs::path& file) {
  for (const char* suffix : {"", "-wal", "-shm", ".lock"}) fs::remove(fs::path(file) += suffix);
}

// ---- picklejar ----------------------------------------------------------------------------

std::unique_ptr<Session> new_session(const fs::path& dir, Durability d) {
  return std::make_unique<Session>(new_file(dir, "pj"), options(d));
}

void drop(std::unique_ptr<Session>& s) {
  const fs::path file = s->path();
  s.reset();
  remove_files(file);
}

void time_picklejar_reads(const Flags& flags, const Data& data, const fs::path& dir, Results& r);
void time_picklejar_single(const Flags& flags, const Data& data, const fs::path& dir, Results& r);

void time_picklejar(const Flags& flags, const Data& data, const fs::path& dir, Results& r) {
  if (flags.wants("batch")) {
    r["picklejar/batch_save"] = best_of(
        flags.repeat, [&] { return new_session(dir, Durability::durable); },
        [&](std::unique_ptr<Session>& s) {
          for (const auto& [key, value] : data.items) s->set(key, value);
          s->save();
        },
        drop);
  }
  if (flags.wants("gets") || flags.wants("open")) time_picklejar_reads(flags, data, dir, r);
  if (flags.wants("single")) time_picklejar_single(flags, data, dir, r);
}

void time_picklejar_reads(const Flags& flags, const Data& data, const fs::path& dir, Results& r) {
  const int repeat = flags.repeat;
  const fs::path store = new_file(dir, "pj-store");
  fill(store, data, data.items.size());
  const auto open = [&] { return std::make_unique<Session>(store, options(Durability::durable)); };
  const auto gets = [&](std::unique_ptr<Session>& s) {
    for (const int i : data.order) (void)s->get(data.items[static_cast<std::size_t>(i)].first);
  };
  if (flags.wants("gets")) {
    r["picklejar/random_gets"] = best_of(repeat, open, gets, [](auto&) {});
    const auto open_and_read = [&] {
      auto s = open();
      gets(s);
      return s;
    };
    r["picklejar/random_gets_again"] = best_of(repeat, open_and_read, gets, [](auto&) {});
  }
  if (!flags.wants("open")) return;
  r["picklejar/open_load"] = best_of(
      repeat, [] { return std::unique_ptr<Session>(); },
      [&](std::unique_ptr<Session>& s) {
        s = std::make_unique<Session>(store, options(Durability::durable));
      },
      [](auto&) {});
  r["picklejar/open_read"] = best_of(
      repeat, [] { return std::unique_ptr<Session>(); },
      [&](std::unique_ptr<Session>& s) {
        s = std::make_unique<Session>(store, options(Durability::durable));
        for (const auto& [key, value] : *s) (void)value;
      },
      [](auto&) {});
}

void time_picklejar_single(const Flags& flags, const Data& data, const fs::path& dir, Results& r) {
  for (const Durability d : {Durability::durable, Durability::fast}) {
    r[d == Durability::durable ? "picklejar/single_durable" : "picklejar/single_fast"] = best_of(
        flags.repeat, [&] { return new_session(dir, d); },
        [&](std::unique_ptr<Session>& s) {
          for (int i = 0; i < flags.single; ++i) {
            const auto& [key, value] = data.items[static_cast<std::size_t>(i)];
            s->set(key, value);
            s->save();
          }
        },
        drop);
  }
}

// Keeps the best increments per second of the repeats under `name`, and under name + "_exact"
// whether every repeat's final count was exact.
void record_transact(Results& r, const std::string& name, double rate, bool exact) {
  const auto [best, first] = r.try_emplace(name, rate);
  if (!first) best->second = std::max(best->second, rate);
  const auto [all_exact, first_exact] = r.try_emplace(name + "_exact", exact ? 1 : 0);
  if (!first_exact && !exact) all_exact->second = 0;
}

// Increments per second of `processes` picklejar processes, and whether the count is exact.
void transact_picklejar(const Flags& flags, const fs::path& file, const std::string& label,
                        Results& r) {
  const double seconds = picklejar::bench::run_together(flags.processes, [&](const auto& t) {
    Session s(file, options(Durability::fast));
    t.ready();
    for (int i = 0; i < flags.increments; ++i)
      s.transact([](Session& x) { x.set("count", x.get_or<std::int64_t>("count", 0) + 1); });
    t.finished();
  });
  const std::int64_t total = std::int64_t{flags.processes} * flags.increments;
  const std::int64_t count = Session(file, options(Durability::fast)).get<std::int64_t>("count");
  record_transact(r, "picklejar/transact_" + label, static_cast<double>(total) / seconds,
                  count == total);
}

// ---- raw SQLite ---------------------------------------------------------------------------

void time_raw_reads(const Flags& flags, const Data& data, const fs::path& dir, Results& r);

void time_raw(const Flags& flags, const Data& data, const fs::path& dir, Results& r) {
  const int repeat = flags.repeat;
  const auto new_store = [&](bool durable) {
    return std::make_unique<RawStore>(new_file(dir, "raw"), durable);
  };
  const auto none = [](auto&) {};
  if (flags.wants("batch")) {
    r["raw/batch_save"] = best_of(
        repeat, [&] { return new_store(true); },
        [&](std::unique_ptr<RawStore>& s) { s->save_batch(data.items); }, none);
  }
  if (flags.wants("gets") || flags.wants("open")) time_raw_reads(flags, data, dir, r);
  if (!flags.wants("single")) return;
  for (const bool durable : {true, false}) {
    r[durable ? "raw/single_durable" : "raw/single_fast"] = best_of(
        repeat, [&] { return new_store(durable); },
        [&](std::unique_ptr<RawStore>& s) {
          for (int i = 0; i < flags.single; ++i) {
            const auto& [key, value] = data.items[static_cast<std::size_t>(i)];
            s->save_one(key, value);
          }
        },
        none);
  }
}

void time_raw_reads(const Flags& flags, const Data& data, const fs::path& dir, Results& r) {
  const int repeat = flags.repeat;
  const auto none = [](auto&) {};
  const fs::path store = new_file(dir, "raw-store");
  fill(store, data, data.items.size());
  const auto open = [&] { return std::make_unique<RawStore>(store, true); };
  const auto gets = [&](std::unique_ptr<RawStore>& s) {
    for (const int i : data.order) (void)s->get(data.items[static_cast<std::size_t>(i)].first);
  };
  if (flags.wants("gets")) {
    r["raw/random_gets"] = best_of(repeat, open, gets, none);
    const auto open_and_read = [&] {
      auto s = open();
      gets(s);
      return s;
    };
    r["raw/random_gets_again"] = best_of(repeat, open_and_read, gets, none);
  }
  if (!flags.wants("open")) return;
  r["raw/open_load"] = best_of(
      repeat, [] { return std::unique_ptr<RawStore>(); },
      [&](std::unique_ptr<RawStore>& s) {
        s = std::make_unique<RawStore>(store, true);
        (void)s->load_all();
      },
      none);
  r["raw/open_read"] = best_of(
      repeat, [] { return std::unique_ptr<RawStore>(); },
      [&](std::unique_ptr<RawStore>& s) {
        s = std::make_unique<RawStore>(store, true);
        (void)s->read_all();
      },
      none);
}

void transact_raw(const Flags& flags, const fs::path& file, const std::string& label, Results& r) {
  const double seconds = picklejar::bench::run_together(flags.processes, [&](const auto& t) {
    RawStore s(file, false);
    t.ready();
    for (int i = 0; i < flags.increments; ++i) s.increment("count");
    t.finished();
  });
  const std::int64_t total = std::int64_t{flags.processes} * flags.increments;
  const std::int64_t count = Session(file, options(Durability::fast)).get<std::int64_t>("count");
  record_transact(r, "raw/transact_" + label, static_cast<double>(total) / seconds, count == total);
}

void time_transact(const Flags& flags, const Data& data, const fs::path& dir, Results& r) {
  for (const bool big : {false, true}) {
    const std::string label = big ? "10k" : "1key";
    const std::size_t extra = big ? data.items.size() : 0;
    for (int repeat = 0; repeat < flags.repeat; ++repeat) {  // alternating, on fresh files
      const fs::path ours = new_file(dir, "pj-count");
      fill(ours, data, extra);
      transact_picklejar(flags, ours, label, r);
      const fs::path theirs = new_file(dir, "raw-count");
      fill(theirs, data, extra);
      transact_raw(flags, theirs, label, r);
    }
  }
}

// Runs picklejar's and raw SQLite's workloads --repeat times, alternating rounds, and keeps
// each workload's best: other load on the machine then weighs on both alike, where timing
// all of one contender before the other made the ratio follow the load's swings.
void time_native(const Flags& flags, const Data& data, const fs::path& dir, Results& r) {
  Flags once = flags;
  once.repeat = 1;
  for (int round = 0; round < flags.repeat; ++round) {
    Results times;
    time_picklejar(once, data, dir, times);
    time_raw(once, data, dir, times);
    for (const auto& [name, seconds] : times) {
      const auto [best, first] = r.try_emplace(name, seconds);
      if (!first) best->second = std::min(best->second, seconds);
    }
  }
}

// ---- Python -------------------------------------------------------------------------------

// Runs session_bench_py.py; its "name value" lines go into `r` (and text ones into `notes`).
void time_python(const Flags& flags, const Data& data, const fs::path& dir, Results& r,
                 std::map<std::string, std::string>& notes) {
  const fs::path values = dir / "values.bin";
  picklejar::bench::write_values(values, data.values);
  const fs::path scratch = dir / "python";
  fs::create_directories(scratch);
  const std::string out = picklejar::bench::run_capture(
      {flags.python, PICKLEJAR_SESSION_BENCH_DRIVER, values.string(), scratch.string(),
       fmt::format("--repeat={}", flags.repeat), fmt::format("--single={}", flags.single),
       fmt::format("--processes={}", flags.processes),
       fmt::format("--increments={}", flags.increments),
       fmt::format("--workloads={}", fmt::join(flags.workloads, ","))});
  std::istringstream lines(out);
  for (std::string name, value; lines >> name && std::getline(lines >> std::ws, value);) {
    char* end = nullptr;
    const double number = std::strtod(value.c_str(), &end);
    if (end != value.c_str() && *end == '\0') {
      r[name] = number;
    } else {
      notes[name] = value;
    }
  }
}

// ---- main ---------------------------------------------------------------------------------

std::vector<std::string> split(const std::string& list) {
  std::vector<std::string> out;
  std::istringstream in(list);
  for (std::string item; std::getline(in, item, ',');) out.push_back(item);
  return out;
}

bool known_workloads(const std::string& list) {
  const std::vector<std::string> names = split(list);
  return !names.empty() && std::all_of(names.begin(), names.end(), [](const std::string& n) {
    return std::find(std::begin(kWorkloads), std::end(kWorkloads), n) != std::end(kWorkloads);
  });
}

std::optional<Flags> parse(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const auto eq = arg.find('=');
    const std::string_view name = arg.substr(0, eq);
    const std::string value(eq == std::string_view::npos ? "" : arg.substr(eq + 1));
    int* number = name == "--keys"         ? &flags.keys
                  : name == "--single"     ? &flags.single
                  : name == "--processes"  ? &flags.processes
                  : name == "--increments" ? &flags.increments
                  : name == "--repeat"     ? &flags.repeat
                                           : nullptr;
    if (number != nullptr && !value.empty()) {
      *number = std::atoi(value.c_str());
      if (*number > 0) continue;
    } else if (name == "--python" && !value.empty()) {
      flags.python = value;
      continue;
    } else if (name == "--workloads" && known_workloads(value)) {
      flags.workloads = split(value);
      continue;
    }
    fmt::print(stderr,
               "usage: session_bench [--keys=N] [--single=N] [--processes=N] [--increments=N] "
               "[--repeat=N] [--python=PATH|none] [--workloads={}]\n",
               fmt::join(kWorkloads, ","));
    return std::nullopt;
  }
  flags.single = std::min(flags.single, flags.keys);
  return flags;
}

// The first line of `file` that starts with `prefix`, after its "name: " part if any; "?"
// when there is none (another OS).
std::string machine_line(const char* file, std::string_view prefix) {
  try {
    std::istringstream lines(picklejar::bench::read_file(file));
    for (std::string line; std::getline(lines, line);) {
      if (!line.starts_with(prefix)) continue;
      const auto colon = line.find(": ");
      return prefix.empty() || colon == std::string::npos ? line : line.substr(colon + 2);
    }
  } catch (const std::exception&) {
  }
  return "?";
}

Data make_data(const Flags& flags) {
  Data data;
  data.values = picklejar::bench::session_values(flags.keys);
  for (int i = 0; i < flags.keys; ++i)
    data.items.emplace_back(session_key(i), data.values[static_cast<std::size_t>(i)]);
  data.order.resize(static_cast<std::size_t>(flags.keys));
  std::iota(data.order.begin(), data.order.end(), 0);
  std::shuffle(data.order.begin(), data.order.end(), std::mt19937(20261126));
  return data;
}

int run(const Flags& flags) {
  const Data data = make_data(flags);
  picklejar::bench::ScratchDir scratch;
  Results r;
  std::map<std::string, std::string> notes;
  notes["machine/cpu"] = machine_line("/proc/cpuinfo", "model name");
  notes["machine/load average at start"] = machine_line("/proc/loadavg", "");
  if (flags.python != "none") time_python(flags, data, scratch.path(), r, notes);
  time_native(flags, data, scratch.path(), r);
  if (flags.wants("transact")) time_transact(flags, data, scratch.path(), r);
  picklejar::bench::print_table(
      r, notes,
      picklejar::bench::TableShape{flags.keys, flags.single, flags.processes, flags.increments,
                                   flags.repeat});
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::optional<Flags> flags = parse(argc, argv);
  if (!flags) return 2;
  try {
    return run(*flags);
  } catch (const std::exception& e) {
    fmt::print(stderr, "session_bench: {}\n", e.what());
    return 1;
  }
}
