#include "session_bench_table.hpp"

#include <fmt/format.h>

#include <cmath>
#include <optional>
#include <string_view>
#include <vector>

namespace picklejar::bench {
namespace {

struct Row {
  std::string workload;  // the results' name after "contender/"
  std::string label;
  std::string unit;
  double scale = 1;   // seconds (or increments/s) -> shown unit
  bool rate = false;  // increments per second: higher is better
};

std::vector<Row> rows(const TableShape& s) {
  const double keys = s.keys;
  const double single = s.single;
  return {
      {"batch_save", fmt::format("batch save, {} new keys, 1 txn", s.keys), "ms", 1e3},
      {"random_gets", fmt::format("{} random gets", s.keys), "us/get", 1e6 / keys},
      {"random_gets_again", fmt::format("{} random gets, again", s.keys), "us/get", 1e6 / keys},
      {"open_load", fmt::format("open + load, {} keys", s.keys), "ms", 1e3},
      {"open_read", fmt::format("open + read all {} values", s.keys), "ms", 1e3},
      {"single_durable", fmt::format("{} single-key saves, durable", s.single), "us/save",
       1e6 / single},
      {"single_fast", fmt::format("{} single-key saves, fast", s.single), "us/save", 1e6 / single},
      {"transact_1key", fmt::format("{}-process transact, 1 key", s.processes), "k incr/s", 1e-3,
       true},
      {"transact_10k", fmt::format("{}-process transact, {} keys", s.processes, s.keys), "k incr/s",
       1e-3, true},
  };
}

std::optional<double> find(const Results& r, const std::string& contender, const Row& row) {
  const auto it = r.find(contender + "/" + row.workload);
  if (it == r.end()) return std::nullopt;
  return it->second;
}

std::string number(std::optional<double> value, const Row& row) {
  if (!value) return "-";
  const double shown = *value * row.scale;
  return shown >= 100 ? fmt::format("{:.0f}", shown) : fmt::format("{:.3g}", shown);
}

// How many times slower picklejar is than `other` (time ratio; below 1: faster).
std::optional<double> slowdown(const Results& r, const std::string& other, const Row& row) {
  const auto ours = find(r, "picklejar", row);
  const auto theirs = find(r, other, row);
  if (!ours || !theirs || *ours <= 0 || *theirs <= 0) return std::nullopt;
  return row.rate ? *theirs / *ours : *ours / *theirs;
}

std::string ratio(std::optional<double> value) {
  return value ? fmt::format("{:.2f}x", *value) : "-";
}

// picklejar's speed-up over `other`: its time over ours.
std::string speedup(const Results& r, const std::string& other, const Row& row) {
  const auto slower = slowdown(r, other, row);
  return slower ? fmt::format("{:.1f}x", 1 / *slower) : "-";
}

void print_rows(const Results& r, const TableShape& shape) {
  fmt::print("{:<36} {:>9} {:>10} {:>10} {:>7} {:>10} {:>7} {:>10} {:>7} {:>10}\n", "workload",
             "unit", "picklejar", "raw SQLite", "pj/raw", "sqlitedict", "faster", "diskcache",
             "faster", "py sqlite3");
  for (const Row& row : rows(shape)) {
    fmt::print("{:<36} {:>9} {:>10} {:>10} {:>7} {:>10} {:>7} {:>10} {:>7} {:>10}\n", row.label,
               row.unit, number(find(r, "picklejar", row), row), number(find(r, "raw", row), row),
               ratio(slowdown(r, "raw", row)), number(find(r, "sqlitedict", row), row),
               speedup(r, "sqlitedict", row), number(find(r, "diskcache", row), row),
               speedup(r, "diskcache", row), number(find(r, "sqlite3", row), row));
  }
}

struct Target {
  std::string what;
  std::optional<double> measured;
  bool met = false;
  std::string shown;
};

Target at_most(const std::string& what, std::optional<double> value, double limit) {
  return {what, value, value && *value <= limit, ratio(value)};
}

Target at_least_faster(const std::string& what, std::optional<double> slower, double factor) {
  const std::optional<double> faster = slower ? std::optional<double>(1 / *slower) : std::nullopt;
  return {what, faster, faster && *faster >= factor,
          faster ? fmt::format("{:.1f}x", *faster) : "-"};
}

std::vector<Target> targets(const Results& r, const TableShape& shape) {
  const std::vector<Row> all = rows(shape);
  const auto row = [&](std::string_view name) {
    for (const Row& x : all)
      if (x.workload == name) return x;
    return all.front();
  };
  std::vector<Target> out;
  out.push_back(
      at_most("batch save within 1.5x of raw SQLite", slowdown(r, "raw", row("batch_save")), 1.5));
  out.push_back(at_most("random gets within 1.5x of raw SQLite",
                        slowdown(r, "raw", row("random_gets")), 1.5));
  for (const char* other : {"sqlitedict", "diskcache"}) {
    for (const char* workload : {"batch_save", "random_gets", "random_gets_again", "open_read"})
      out.push_back(at_least_faster(fmt::format("{} >= 10x faster than {}", workload, other),
                                    slowdown(r, other, row(workload)), 10));
  }
  out.push_back(at_most("single-key saves, durable, no slower than raw SQLite",
                        slowdown(r, "raw", row("single_durable")), 1.0));
  out.push_back(at_most("single-key saves, fast, no slower than raw SQLite",
                        slowdown(r, "raw", row("single_fast")), 1.0));
  const auto one = find(r, "picklejar", row("transact_1key"));
  const auto big = find(r, "picklejar", row("transact_10k"));
  out.push_back({"transact, 1 key, fast: >= 30k increments/s", one, one && *one >= 30'000,
                 one ? fmt::format("{:.1f}k/s", *one / 1000) : "-"});
  const std::optional<double> share =
      one && big ? std::optional<double>(*big / *one) : std::nullopt;
  out.push_back({fmt::format("transact, {} keys, within 2x of 1 key", shape.keys), share,
                 share && *share >= 0.5, share ? fmt::format("{:.2f} of it", *share) : "-"});
  bool exact = true;
  std::string counted;
  for (const auto& [name, value] : r) {
    if (!name.ends_with("_exact")) continue;
    exact = exact && value == 1;
    counted += fmt::format("{}{}{}", counted.empty() ? "" : " ", name.substr(0, name.find('/')),
                           value == 1 ? "" : "(LOST)");
  }
  out.push_back({"zero lost updates (final counts exact)", std::nullopt, exact && !counted.empty(),
                 exact ? "all exact" : "NOT exact"});
  return out;
}

}  // namespace

void print_table(const Results& r, const std::map<std::string, std::string>& notes,
                 const TableShape& shape) {
  fmt::print("picklejar session benchmark: best of {} runs; {} processes x {} increments\n",
             shape.repeat, shape.processes, shape.increments);
  for (const auto& [name, text] : notes) fmt::print("{}: {}\n", name, text);
  fmt::print(
      "pj/raw: picklejar's time over raw SQLite's (below 1: faster); faster: how many "
      "times faster picklejar is\n\n");
  print_rows(r, shape);
  fmt::print("\ntargets (issue 4, section 9):\n");
  int missed = 0;
  for (const Target& t : targets(r, shape)) {
    fmt::print("  {:<7} {:<56} {}\n", t.met ? "met" : "MISSED", t.what, t.shown);
    missed += t.met ? 0 : 1;
  }
  fmt::print("{}\n", missed == 0 ? "all targets met" : fmt::format("{} targets missed", missed));
}

}  // namespace picklejar::bench
