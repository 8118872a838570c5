#include "entry_rows.hpp"

#include <fmt/format.h>

#include <picklejar/error.hpp>

#include "format.hpp"

namespace picklejar::store {
namespace {

std::string_view type_name(int type) {
  switch (type) {
    case SQLITE_INTEGER:
      return "INTEGER";
    case SQLITE_FLOAT:
      return "REAL";
    case SQLITE_TEXT:
      return "TEXT";
    case SQLITE_BLOB:
      return "BLOB";
    default:
      return "NULL";
  }
}

// A value that is not TEXT, shown as SQL would write it (a BLOB's first 16 bytes).
std::string describe(const Statement& row, int column) {
  switch (row.column_type(column)) {
    case SQLITE_INTEGER:
      return fmt::format("the INTEGER {}", row.column_int(column));
    case SQLITE_BLOB: {
      const std::string_view blob = row.column_blob(column);
      std::string hex;
      for (const char c : blob.substr(0, 16))
        hex += fmt::format("{:02x}", static_cast<unsigned char>(c));
      return fmt::format("the BLOB x'{}'{}", hex, blob.size() > 16 ? "..." : "");
    }
    default:
      return fmt::format("a {}", type_name(row.column_type(column)));
  }
}

[[noreturn]] void malformed(const std::string& path, std::string_view key, std::string_view why) {
  throw FormatError(path, std::string(key),
                    fmt::format("malformed entry '{}' in '{}': {}", key, path, why));
}

void require_type(const Statement& row, int column, int type, std::string_view name,
                  std::string_view key, const std::string& path) {
  if (row.column_type(column) != type)
    malformed(path, key,
              fmt::format("its {} is {}, not {}", name, type_name(row.column_type(column)),
                          type_name(type)));
}

}  // namespace

std::string_view row_key(const Statement& row, int column, std::string_view table,
                         const std::string& path) {
  if (row.column_type(column) != SQLITE_TEXT)
    throw FormatError(path, std::nullopt,
                      fmt::format("malformed row in table '{}' of '{}': its key is {}, not TEXT",
                                  table, path, describe(row, column)));
  return row.column_text(column);
}

EntryPtr read_entry(const Statement& row, std::string_view key, const std::string& path) {
  // Types first: converting a wrong-typed column would make up a value (or allocate one).
  require_type(row, 1, SQLITE_BLOB, "pickle", key, path);
  require_type(row, 2, SQLITE_INTEGER, "protocol", key, path);
  require_type(row, 3, SQLITE_BLOB, "digest", key, path);
  require_type(row, 4, SQLITE_INTEGER, "revision", key, path);
  require_type(row, 5, SQLITE_INTEGER, "modified_us", key, path);
  const std::int64_t protocol = row.column_int(2);
  if (protocol < 0 || protocol > 5)
    malformed(path, key, fmt::format("its protocol {} is not 0-5", protocol));
  const std::int64_t revision = row.column_int(4);
  if (revision < 1 || revision > kMaxRevision)
    malformed(path, key,
              fmt::format("its revision {} is out of range (1 to {})", revision, kMaxRevision));
  const std::int64_t modified_us = row.column_int(5);
  if (modified_us < -kMaxTimeUs || modified_us > kMaxTimeUs)
    malformed(path, key,
              fmt::format("its modified_us {} is out of range ({} to {})", modified_us, -kMaxTimeUs,
                          kMaxTimeUs));
  auto entry = std::make_shared<Entry>();
  entry->pickle = std::string(row.column_blob(1));
  entry->protocol = static_cast<int>(protocol);
  entry->digest.assign(row.column_blob(3));
  entry->revision = revision;
  entry->modified_us = modified_us;
  return entry;
}

}  // namespace picklejar::store
