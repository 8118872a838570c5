#include "format.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include <chrono>
#include <iterator>
#include <limits>

#include <picklejar/error.hpp>

#include "schema_check.hpp"

namespace picklejar::store {
namespace {

[[noreturn]] void not_picklejar(const Db& db, std::string_view why) {
  throw FormatError(db.path(), std::nullopt,
                    fmt::format("not a picklejar file '{}': {}", db.path(), why));
}

bool is_damage(int rc) {
  const int primary = rc & 0xff;
  return primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT;
}

std::int64_t pragma_int(Db& db, const char* sql) {
  auto q = db.query(sql);
  if (!q->step()) db.fail(SQLITE_ERROR, "no result from a pragma on");
  return q->column_int(0);
}

// SQLite reports most truncations as corruption when page 1 is read; a file cut inside its
// last page still reads, so compare the size page 1 declares with the file's. With a
// non-empty WAL the file may legitimately lag behind, so the check is skipped.
void check_not_truncated(Db& db) {
  const std::int64_t pages = pragma_int(db, "PRAGMA page_count");
  const std::int64_t page_size = pragma_int(db, "PRAGMA page_size");
  struct stat file {};
  struct stat wal {};
  if (::stat(db.file().c_str(), &file) != 0) return;
  // SQLite keeps the WAL next to the file a symlink points to: ask it where.
  const char* main_file = sqlite3_db_filename(db.handle(), "main");
  const char* wal_path = main_file ? sqlite3_filename_wal(main_file) : nullptr;
  const std::string fallback = db.file().string() + "-wal";
  if (::stat(wal_path && *wal_path ? wal_path : fallback.c_str(), &wal) == 0 && wal.st_size > 0)
    return;
  if (file.st_size < pages * page_size)
    not_picklejar(db, fmt::format("truncated: page 1 declares {} pages of {} bytes, the file "
                                  "has {} bytes",
                                  pages, page_size, static_cast<std::int64_t>(file.st_size)));
}

constexpr std::int64_t kInt64Min = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();

// The meta rows this library reads (docs/FORMAT.md "Meta rows"), in the order they are
// checked, each an INTEGER (within [min, max]: a writer adds 1 to the revision, protocols
// are 0-5, times become nanosecond time points) or a TEXT member of Meta. Then key_id (TEXT
// or NULL) and file_id (TEXT, 32 lowercase hex digits; from format 2 on).
struct MetaField {
  std::string_view name;
  std::int64_t Meta::*integer = nullptr;
  std::string Meta::*text = nullptr;
  std::int64_t min = kInt64Min;
  std::int64_t max = kInt64Max;
};
constexpr MetaField kMetaFields[] = {
    {"format_version", &Meta::format_version, nullptr, 1},
    {"min_reader_version", &Meta::min_reader_version, nullptr, 1},
    {"app_schema_version", &Meta::app_schema_version},
    {"default_protocol", &Meta::default_protocol, nullptr, 0, 5},
    {"revision", &Meta::revision, nullptr, 0, kMaxRevision},
    {"purged_revision", &Meta::purged_revision, nullptr, 0, kMaxRevision},
    {"created_us", &Meta::created_us, nullptr, -kMaxTimeUs, kMaxTimeUs},
    {"modified_us", &Meta::modified_us, nullptr, -kMaxTimeUs, kMaxTimeUs},
    {"created_by", nullptr, &Meta::created_by},
    {"writer_name", nullptr, &Meta::writer_name},
    {"writer_version", nullptr, &Meta::writer_version},
    {"writer_app", nullptr, &Meta::writer_app},
    {"integrity_scheme", nullptr, &Meta::integrity_scheme},
    {"key_id"},
    {"file_id"},
};
constexpr std::size_t kFileIdField = std::size(kMetaFields) - 1;

// Which fields a scan of the meta table found, and which of those had the wrong type or an
// integer out of range (one bit per kMetaFields index).
struct MetaScan {
  std::uint32_t present = 0;
  std::uint32_t wrong_type = 0;
  std::uint32_t out_of_range = 0;
  std::uint32_t malformed = 0;  // text that does not spell what the row holds
};

bool set_field(Meta& meta, std::size_t field, const Statement& row, MetaScan& scan) {
  const MetaField& f = kMetaFields[field];
  const int type = row.column_type(1);
  if (f.integer) {
    if (type != SQLITE_INTEGER) return false;  // never converted: no text is parsed
    meta.*f.integer = row.column_int(1);
    if (meta.*f.integer < f.min || meta.*f.integer > f.max) scan.out_of_range |= 1u << field;
    return true;
  }
  if (f.text) {
    if (type != SQLITE_TEXT) return false;
    meta.*f.text = row.column_text(1);
    return true;
  }
  if (field == kFileIdField) {
    if (type != SQLITE_TEXT) return false;
    meta.file_id = parse_file_id(row.column_text(1));
    if (!meta.file_id) scan.malformed |= 1u << field;
    return true;
  }
  if (type == SQLITE_TEXT) meta.key_id = std::string(row.column_text(1));
  return type == SQLITE_TEXT || type == SQLITE_NULL;
}

// Reads the meta table into `meta` in one pass, without copying rows it does not know.
MetaScan scan_meta(Db& db, Meta& meta) {
  MetaScan scan;
  meta.key_id.reset();
  meta.file_id.reset();
  auto q = db.query("SELECT name, value FROM meta");
  while (q->step()) {
    const std::string_view name = q->column_text(0);
    for (std::size_t i = 0; i < std::size(kMetaFields); ++i) {
      if (kMetaFields[i].name != name) continue;
      scan.present |= 1u << i;
      if (!set_field(meta, i, *q, scan)) scan.wrong_type |= 1u << i;
      break;
    }
  }
  return scan;
}

void require_field(const Db& db, const MetaScan& scan, std::size_t field) {
  const std::string_view name = kMetaFields[field].name;
  if ((scan.present & (1u << field)) == 0)
    not_picklejar(db, fmt::format("meta row '{}' is missing", name));
  if ((scan.wrong_type & (1u << field)) != 0)
    not_picklejar(db, fmt::format("meta row '{}' has the wrong type", name));
  if ((scan.out_of_range & (1u << field)) != 0)
    not_picklejar(db, fmt::format("meta row '{}' is out of range (allowed: {} to {})", name,
                                  kMetaFields[field].min, kMetaFields[field].max));
  if ((scan.malformed & (1u << field)) != 0)
    not_picklejar(db, fmt::format("meta row '{}' is not 32 lowercase hex digits", name));
}

// The tables must have the columns this library reads; preparing the queries checks that.
void check_tables(Db& db) {
  db.query("SELECT key, pickle, protocol, digest, revision, modified_us FROM entries LIMIT 0");
  db.query("SELECT key, revision FROM tombstones LIMIT 0");
}

bool wal_has_frames(const std::filesystem::path& file) {
  struct stat st {};
  std::filesystem::path wal = file;
  wal += "-wal";
  return ::stat(wal.c_str(), &st) == 0 && st.st_size > 0;
}

[[noreturn]] void refuse_application_id(const Db& db, std::int64_t app_id) {
  not_picklejar(db, fmt::format("an SQLite database with application_id 0x{:08x} (picklejar "
                                "files have 0x{:08x}, \"PJAR\")",
                                static_cast<std::uint32_t>(app_id),
                                static_cast<std::uint32_t>(kApplicationId)));
}

Inspection inspect_in_transaction(Db& db) {
  Inspection found;
  // Only a 0-byte file is empty: SQLite shows a file shorter than its header as 0 pages too,
  // and inside a write transaction it shows an empty file as 1 page (the page 1 it would
  // write at the commit).
  struct stat st {};
  const bool zero_bytes =
      ::stat(db.file().c_str(), &st) == 0 && st.st_size == 0 && !wal_has_frames(db.file());
  if (zero_bytes) {
    found.kind = Inspection::Kind::empty;
    return found;
  }
  if (pragma_int(db, "PRAGMA page_count") == 0)
    not_picklejar(db, fmt::format("{} bytes that are not an SQLite database",
                                  static_cast<std::int64_t>(st.st_size)));
  const std::int64_t app_id = pragma_int(db, "PRAGMA application_id");
  if (app_id != kApplicationId) refuse_application_id(db, app_id);
  check_not_truncated(db);
  found.kind = Inspection::Kind::picklejar;
  found.format_version = pragma_int(db, "PRAGMA user_version");
  if (found.format_version < 1)
    not_picklejar(db, fmt::format("file format version {} was never written by picklejar",
                                  found.format_version));
  // Before any table is read: nothing the file defines may run or cost more than reading it.
  check_schema(db, found.format_version);
  if (found.format_version > kFormatVersion) {
    // Every format keeps the meta table and these two rows. Whether the rest can be read is
    // what min_reader_version says.
    Meta newer;
    const MetaScan scan = scan_meta(db, newer);
    require_field(db, scan, 0);  // format_version
    require_field(db, scan, 1);  // min_reader_version
    found.meta.format_version = newer.format_version;
    found.meta.min_reader_version = newer.min_reader_version;
    if (found.meta.min_reader_version > kFormatVersion) return found;
  }
  found.meta = read_meta(db);
  check_tables(db);
  if (found.meta.format_version != found.format_version)
    not_picklejar(db, fmt::format("PRAGMA user_version is {} but meta format_version is {}",
                                  found.format_version, found.meta.format_version));
  return found;
}

}  // namespace

Inspection look_at(const FileName& name, const DbLimits& limits) {
  refuse_symlink(name);
  struct stat st {};
  if (::stat(name.file.c_str(), &st) != 0) {
    if (errno == ENOENT) return Inspection{};
    throw StoreError(name.shown, std::nullopt,
                     fmt::format("cannot open '{}': {}", name.shown, std::strerror(errno)));
  }
  if (!S_ISREG(st.st_mode))
    throw StoreError(name.shown, std::nullopt,
                     fmt::format("cannot open '{}': not a regular file", name.shown));
  Inspection found;
  if (st.st_size == 0) {
    found.kind = Inspection::Kind::empty;
    return found;
  }
  found.kind = Inspection::Kind::picklejar;  // for inspect() to decide
  const auto db = Db::open(name, Db::Access::page_one, limits);
  try {
    Transaction txn(*db, Transaction::Kind::read);
    if (pragma_int(*db, "PRAGMA page_count") == 0)
      not_picklejar(*db, fmt::format("{} bytes that are not an SQLite database",
                                     static_cast<std::int64_t>(st.st_size)));
    const std::int64_t app_id = pragma_int(*db, "PRAGMA application_id");
    // A WAL with frames may hold a newer page 1 (a file created in WAL mode, not checkpointed
    // yet): then inspect() reads it through the WAL.
    if (app_id != kApplicationId && !wal_has_frames(name.file)) refuse_application_id(*db, app_id);
    txn.commit();
  } catch (const SqliteError& e) {
    // The file alone may be mid-checkpoint (a writer killed while copying WAL frames back
    // leaves pages of two states in it) while its WAL is whole: inspect() reads through it.
    if (is_damage(e.code()) && !wal_has_frames(name.file))
      not_picklejar(*db, sqlite3_errstr(e.code()));
    if (!is_damage(e.code())) throw;
  }
  return found;
}

Inspection inspect(Db& db) {
  Transaction txn(db, Transaction::Kind::read);
  Inspection found = inspect_current(db);
  txn.commit();
  return found;
}

Inspection inspect_current(Db& db) {
  try {
    return inspect_in_transaction(db);
  } catch (const SqliteError& e) {
    if (is_damage(e.code())) not_picklejar(db, sqlite3_errstr(e.code()));
    if ((e.code() & 0xff) == SQLITE_ERROR)  // a missing table or column
      not_picklejar(db, fmt::format("damaged or foreign schema ({})", e.what()));
    throw;
  }
}

Meta read_meta(Db& db) {
  Meta meta;
  const MetaScan scan = scan_meta(db, meta);
  for (std::size_t i = 0; i < std::size(kMetaFields); ++i)
    if (i != kFileIdField) require_field(db, scan, i);
  // Format 1 has no file id (a row of that name means nothing there).
  if (meta.format_version >= kFileIdFormat) {
    require_field(db, scan, kFileIdField);
  } else {
    meta.file_id.reset();
  }
  if (meta.purged_revision > meta.revision)
    not_picklejar(db, fmt::format("meta row 'purged_revision' ({}) is above 'revision' ({})",
                                  meta.purged_revision, meta.revision));
  return meta;
}

std::int64_t read_revision(Db& db) {
  auto q = db.query("SELECT value FROM meta WHERE name = 'revision'");
  if (!q->step()) not_picklejar(db, "meta row 'revision' is missing");
  if (q->column_type(0) != SQLITE_INTEGER)
    not_picklejar(db, "meta row 'revision' has the wrong type");
  const std::int64_t revision = q->column_int(0);
  if (revision < 0 || revision > kMaxRevision)
    not_picklejar(
        db, fmt::format("meta row 'revision' is out of range (allowed: 0 to {})", kMaxRevision));
  return revision;
}

void write_meta(Db& db, std::string_view name, std::int64_t value) {
  db.query("INSERT OR REPLACE INTO meta (name, value) VALUES (?1, ?2)")
      ->bind_text(1, name)
      .bind(2, value)
      .run();
}

void write_meta(Db& db, std::string_view name, std::string_view value) {
  db.query("INSERT OR REPLACE INTO meta (name, value) VALUES (?1, ?2)")
      ->bind_text(1, name)
      .bind_text(2, value)
      .run();
}

void create_schema(Db& db, const Meta& meta) {
  db.exec(fmt::format("PRAGMA application_id = {}; PRAGMA user_version = {};", kApplicationId,
                      meta.format_version)
              .c_str());
  for (const SchemaObject& object : format_objects(meta.format_version))
    if (!object.sql.empty()) db.exec(std::string(object.sql).c_str());
  write_meta(db, "format_version", meta.format_version);
  write_meta(db, "min_reader_version", meta.min_reader_version);
  write_meta(db, "app_schema_version", meta.app_schema_version);
  write_meta(db, "default_protocol", meta.default_protocol);
  write_meta(db, "revision", meta.revision);
  write_meta(db, "purged_revision", meta.purged_revision);
  write_meta(db, "created_us", meta.created_us);
  write_meta(db, "modified_us", meta.modified_us);
  write_meta(db, "created_by", meta.created_by);
  write_meta(db, "writer_name", meta.writer_name);
  write_meta(db, "writer_version", meta.writer_version);
  write_meta(db, "writer_app", meta.writer_app);
  write_meta(db, "integrity_scheme", meta.integrity_scheme);
  if (meta.key_id) {
    write_meta(db, "key_id", *meta.key_id);
  } else {
    db.query("INSERT OR REPLACE INTO meta (name, value) VALUES ('key_id', NULL)")->run();
  }
  if (meta.file_id) write_meta(db, "file_id", file_id_hex(*meta.file_id));
}

}  // namespace picklejar::store
