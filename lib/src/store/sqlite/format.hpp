#pragma once
// The session file's layout (internal; docs/FORMAT.md is the contract): identification
// pragmas, the three tables, the meta rows, and the read-only inspection that decides whether
// a file may be opened at all.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "../meta.hpp"
#include "file_name.hpp"
#include "sqlite.hpp"

namespace picklejar::store {

// What a path holds, found by reading only.
struct Inspection {
  enum class Kind { missing, empty, picklejar };
  Kind kind = Kind::missing;
  // For picklejar files: the format version. When it is newer than kFormatVersion and
  // needs a newer reader (min_reader_version), only those two rows of `meta` are read.
  std::int64_t format_version = 0;
  Meta meta;
};

// What `name` holds, found before any connection that could change anything opens it:
// missing; empty (0 bytes, and only then); or, read through an immutable connection (no
// locks, no -wal or -shm made), not an SQLite database or another application's database
// (unless a non-empty -wal may hold a newer page 1, or the file is damaged only on its own:
// mid-checkpoint, its WAL whole): FormatError naming the file. Kind
// picklejar means "inspect() decides". StoreError for a symbolic link (unless followed) or a
// file that is not a regular file, and when stat() fails.
Inspection look_at(const FileName& name, const DbLimits& limits);

// Reads what `db` holds (page 1, the schema, the meta table, the tables' columns) inside a
// read transaction. Throws FormatError naming the file for anything that is not a picklejar
// file (another database, random bytes, a truncated or damaged file, a schema that is not the
// format's, a malformed meta table); SqliteError for other SQLite failures (I/O, busy).
Inspection inspect(Db& db);
// The same inside the caller's transaction (a write transaction deciding what to create or
// upgrade).
Inspection inspect_current(Db& db);

// Inside a write transaction on an empty database: sets the pragmas, creates the tables and
// indexes of meta.format_version (schema_check.hpp lists them) and writes `meta`.
void create_schema(Db& db, const Meta& meta);

// Reads every meta row, checking the documented type and range of each. Throws FormatError.
Meta read_meta(Db& db);
// The meta revision alone, checked the same way.
std::int64_t read_revision(Db& db);
void write_meta(Db& db, std::string_view name, std::int64_t value);
void write_meta(Db& db, std::string_view name, std::string_view value);

}  // namespace picklejar::store
