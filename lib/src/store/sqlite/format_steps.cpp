#include "format_steps.hpp"

#include <fmt/format.h>

#include <picklejar/error.hpp>

#include "format.hpp"

namespace picklejar::store {

std::span<const FormatStep> format_steps() noexcept { return {}; }

void upgrade_format(Db& db, std::int64_t from, std::int64_t to, std::span<const FormatStep> steps) {
  std::int64_t version = from;
  while (version < to) {
    const FormatStep* next = nullptr;
    for (const FormatStep& step : steps)
      if (step.from == version && step.to <= to) next = &step;
    if (next == nullptr)
      throw FormatError(db.path(), std::nullopt,
                        fmt::format("cannot open '{}': no upgrade from file format version {} "
                                    "to {}",
                                    db.path(), version, to));
    next->apply(db);
    version = next->to;
  }
  db.exec(fmt::format("PRAGMA user_version = {}", to).c_str());
  write_meta(db, "format_version", to);
  write_meta(db, "revision", read_revision(db) + 1);
}

}  // namespace picklejar::store
