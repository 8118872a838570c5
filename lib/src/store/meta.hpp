#pragma once
// What every store holds besides its entries (internal): the meta rows of a session file, the
// columns of a PostgreSQL store's row (docs/FORMAT.md "Meta rows", docs/FORMAT-POSTGRES.md
// "Tables"), and the format's constants that every backend shares.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "integrity.hpp"

namespace picklejar::store {

// Part of the on-disk format; never change.
inline constexpr std::int32_t kApplicationId = 0x504A4152;  // "PJAR", PRAGMA application_id
// The file format this library reads and writes (PRAGMA user_version, meta format_version).
inline constexpr std::int64_t kFormatVersion = 2;
// What stores written by this library record as min_reader_version: format 1 readers
// cannot verify format 2's digests.
inline constexpr std::int64_t kMinReaderVersion = 2;
// The first format whose digests are bound to the file's id (docs/FORMAT.md "Integrity").
inline constexpr std::int64_t kFileIdFormat = 2;
// A save at revision R deletes tombstones of revisions <= R - kTombstoneRetention.
inline constexpr std::int64_t kTombstoneRetention = 10'000;
inline constexpr std::string_view kWriterName = "picklejar-cpp";
// The largest revision a store may hold: a writer adds 1 to it.
inline constexpr std::int64_t kMaxRevision = INT64_MAX - 1;
// Times must fit a signed 64-bit count of nanoseconds (1677-09-22 to 2262-04-11), what
// std::chrono::system_clock::time_point holds.
inline constexpr std::int64_t kMaxTimeUs = INT64_MAX / 1000;
std::string_view library_version() noexcept;

// The meta rows (docs/FORMAT.md "Meta rows").
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
  // The file's id: the meta row file_id (format 2 on), a PostgreSQL store's file_id column
  // (every format). Empty in a format-1 file.
  std::optional<StoreFileId> file_id;
};

// The id the digests of a store at `meta` are bound to: its file id from format 2 on, none
// before (format 1 signs with the key itself).
inline std::optional<StoreFileId> signing_file_id(const Meta& meta) {
  return meta.format_version >= kFileIdFormat ? meta.file_id : std::nullopt;
}

// The revision a write transaction writes after `revision`: FormatError naming the store
// `name` when `revision` is kMaxRevision already (the counter is spent; no writer may leave
// the range).
std::int64_t next_revision(const std::string& name, std::int64_t revision);

// Microseconds since the Unix epoch, the unit of every time in a store.
std::int64_t now_us();

}  // namespace picklejar::store
