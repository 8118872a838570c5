#pragma once
// session_bench's report: one table of every contender on every workload, then the issue's
// targets, each with its measured ratio and whether it was met.

#include <map>
#include <string>

namespace picklejar::bench {

// "contender/workload" -> seconds for the workload (increments per second for transact_*,
// 1 or 0 for transact_*_exact). Contenders: picklejar, raw, sqlitedict, diskcache, sqlite3.
using Results = std::map<std::string, double>;

struct TableShape {
  int keys = 0;
  int single = 0;
  int processes = 0;
  int increments = 0;
  int repeat = 0;
};

// Prints the table and the targets. `notes` holds text lines ("python/versions").
void print_table(const Results& results, const std::map<std::string, std::string>& notes,
                 const TableShape& shape);

}  // namespace picklejar::bench
