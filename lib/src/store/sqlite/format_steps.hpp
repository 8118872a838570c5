#pragma once
// Upgrades of the file format (internal). docs/FORMAT.md "Versions" is the contract.

#include <cstdint>
#include <span>

#include "../integrity.hpp"
#include "sqlite.hpp"

namespace picklejar::store {

// One file format upgrade: rewrites a file at format `from` into format `to`, inside the
// caller's write transaction. `key` is the session's signer (any file binding): a step that
// changes how digests are made re-signs entries with it.
struct FormatStep {
  std::int64_t from;
  std::int64_t to;
  void (*apply)(Db& db, const Signer& key);
};

// The upgrades this library knows, oldest first: 1 -> 2 binds digests to a new file id.
std::span<const FormatStep> format_steps() noexcept;

// Inside the caller's write transaction: applies the chain of `steps` from `from` to `to`
// (each with `key`), then records `to` (PRAGMA user_version, meta format_version) and bumps
// the revision and modified_us, as every change to a file does. FormatError naming the file
// when no chain leads there.
void upgrade_format(Db& db, std::int64_t from, std::int64_t to, std::span<const FormatStep> steps,
                    const Signer& key);

}  // namespace picklejar::store
