#pragma once
// Upgrades of the file format (internal). docs/FORMAT.md "Versions" is the contract.

#include <cstdint>
#include <span>

#include "sqlite.hpp"

namespace picklejar::store {

// One file format upgrade: rewrites a file at format `from` into format `to`.
struct FormatStep {
  std::int64_t from;
  std::int64_t to;
  void (*apply)(Db& db);
};

// The upgrades this library knows, oldest first. Format 1 is the first format, so there are
// none yet; the machinery is tested with steps of its own.
std::span<const FormatStep> format_steps() noexcept;

// Inside the caller's write transaction: applies the chain of `steps` from `from` to `to`,
// then records `to` (PRAGMA user_version, meta format_version) and bumps the revision, as
// every change to a file does. FormatError naming the file when no chain leads there.
void upgrade_format(Db& db, std::int64_t from, std::int64_t to, std::span<const FormatStep> steps);

}  // namespace picklejar::store
