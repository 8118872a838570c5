#pragma once
// The session file's layout (internal; docs/FORMAT.md is the contract): identification
// pragmas, the three tables, the meta rows, and the read-only inspection that decides whether
// a file may be opened at all.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "file_name.hpp"
#include "sqlite.hpp"

namespace picklejar::store {

// Part of the on-disk format; never change.
inline constexpr std::int32_t kApplicationId = 0x504A4152;  // "PJAR", PRAGMA application_id
// The file format this library reads and writes (PRAGMA user_version, meta format_version).
inline constexpr std::int64_t kFormatVersion = 1;
// What files written by this library record as min_reader_version.
inline constexpr std::int64_t kMinReaderVersion = 1;
// A save at revision R deletes tombstones of revisions <= R - kTombstoneRetention.
inline constexpr std::int64_t kTombstoneRetention = 10'000;
inline constexpr std::string_view kWriterName = "picklejar-cpp";
// The largest revision a file may hold: a writer adds 1 to it.
inline constexpr std::int64_t kMaxRevision = INT64_MAX - 1;
// Times must fit a signed 64-bit count of nanoseconds (1677-09-22 to 2262-04-11), what
// std::chrono::system_clock::time_point holds.
inline constexpr std::int64_t kMaxTimeUs = INT64_MAX / 1000;
std::string_view library_version() noexcept;

// The meta table's rows (docs/FORMAT.md "Meta rows").
struct Meta {
  std::int64_t format_version = kFormatVersion;
  std::int64_t min_reader_version = kMinReaderVersion;
  std::int64_t app_schema_version = 0;
  std::int64_t default_protocol = 4;
  std::int64_t revision = 0;
  std::int64_t purged_revision = 0;
  std::int64_t created_us = 0;
  std::int64_t modified_us = 0;
  std::string created_by;
  std::string writer_name;
  std::string writer_version;
  std::string writer_app;
  std::string integrity_scheme;
  std::optional<std::string> key_id;
};

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
// (unless a non-empty -wal may hold a newer page 1): FormatError naming the file. Kind
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

// The revision a write transaction writes after `revision`: FormatError naming the file when
// `revision` is kMaxRevision already (the counter is spent; no writer may leave the range).
std::int64_t next_revision(const Db& db, std::int64_t revision);

// Microseconds since the Unix epoch, the unit of every time in the file.
std::int64_t now_us();

}  // namespace picklejar::store
