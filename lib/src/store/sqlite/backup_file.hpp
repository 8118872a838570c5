#pragma once
// Writing a backup of a session file (internal): a consistent, compacted copy made by
// SQLite's VACUUM INTO under a temporary name next to the target, synced, checked, given the
// source's permission bits and renamed into place — so the target name never holds half a
// backup. session_backup.cpp decides when and where.

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>

#include <picklejar/session.hpp>

#include "../integrity.hpp"
#include "format.hpp"
#include "sqlite.hpp"

namespace picklejar::store {

// Copies what `db` (a connection to `source`, outside any transaction, whose schema was
// checked) reads now into `out` and checks the copy: SQLite's integrity check, the open-time format
// check, and every entry's digest with `signer`'s key under the copy's own rule and file id
// (keys that do not verify are listed, not refused).
// `db` may be a read-only connection. Throws FormatError / SqliteError when the copy fails a check
// (then nothing is left behind), SqliteError or StoreError when it cannot be written.
// `before_publishing`, when given, runs after the checks and before the rename; what it throws
// leaves nothing behind either.
BackupInfo write_backup(Db& db, const std::filesystem::path& source,
                        const std::filesystem::path& out, const Signer& signer,
                        const DbLimits& limits,
                        const std::function<void()>& before_publishing = {});

// The meta rows of the session file `file`, read through a read-only connection; throws what
// inspect() throws (FormatError for anything but a session file of a format this library
// reads), StoreError when there is no file.
Meta read_file_meta(const std::filesystem::path& file, const DbLimits& limits);

}  // namespace picklejar::store
