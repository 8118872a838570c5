// Opening a store on a PostgreSQL server (docs/FORMAT-POSTGRES.md "Creating and upgrading the
// tables", "Opening a store"): the tables checked (created under the advisory lock when
// missing), the store's row found or created, and checked as a file's meta table is.

#include <fmt/format.h>

#include <algorithm>

#include <picklejar/error.hpp>

#include "layout.hpp"
#include "postgres_backend.hpp"
#include "sql.hpp"

namespace picklejar::store {
namespace {

// The columns of read_store and lock_store, in order.
namespace col {
enum : int {
  store_id,
  file_id,
  format_version,
  min_reader_version,
  app_schema_version,
  default_protocol,
  revision,
  purged_revision,
  created_us,
  modified_us,
  created_by,
  writer_name,
  writer_version,
  writer_app,
  integrity_scheme,
  key_id,
};
}  // namespace col

bool lowercase_hex(const std::string& text) {
  return text.find_first_not_of("0123456789abcdef") == std::string::npos;
}

}  // namespace

void PostgresBackend::check_layout(bool read_only) {
  const auto exists = [this] { return conn_->exec(sql::kLayoutExists).integer(0, 0) != 0; };
  if (!exists()) {
    if (read_only)
      throw StoreError(name(), std::nullopt,
                       fmt::format("cannot open '{}': the database holds no picklejar stores "
                                   "(no schema picklejar)",
                                   name()));
    conn_->exec_plain(sql::kBeginWrite);
    try {
      conn_->exec(sql::kWriteSettings,
                  Params()
                      .text(fmt::format("{}ms", std::max<std::int64_t>(lock_timeout_.count(), 1)))
                      .text("on"));
      conn_->exec(sql::kLayoutLock);
      if (!exists()) conn_->exec_plain(sql::kCreateTables);  // no other client did meanwhile
      conn_->exec_plain("COMMIT");
    } catch (...) {
      conn_->rollback_quietly();
      throw;
    }
  }
  const PgResult layout = conn_->exec(sql::kReadLayout);
  const std::int64_t version = layout.rows() > 0 ? layout.integer(0, 0) : 0;
  const std::int64_t min_reader = layout.rows() > 0 ? layout.integer(0, 1) : 0;
  if (version == kLayoutVersion ||
      (version > kLayoutVersion && min_reader <= kLayoutVersion && read_only))
    return;
  throw FormatError(
      name(), std::nullopt,
      fmt::format("cannot open '{}': the database's picklejar layout {} is {} "
                  "this picklejar's ({}){}",
                  name(), version, version < kLayoutVersion ? "older than" : "newer than",
                  kLayoutVersion,
                  version < kLayoutVersion ? ""
                  : min_reader <= kLayoutVersion
                      ? "; it may be opened read_only"
                      : fmt::format("; reading it needs layout {} or later", min_reader)));
}

Meta PostgresBackend::meta_of(const PgResult& row) {
  if (row.rows() == 0)
    throw StoreError(name(), std::nullopt, fmt::format("the store '{}' was deleted", name()));
  if (store_id_ != 0 && row.integer(0, col::store_id) != store_id_)
    throw StoreError(name(), std::nullopt,
                     fmt::format("the store '{}' was deleted and created again while open: "
                                 "open it again",
                                 name()));
  Meta m;
  m.format_version = row.integer(0, col::format_version);
  m.min_reader_version = row.integer(0, col::min_reader_version);
  m.app_schema_version = row.integer(0, col::app_schema_version);
  m.default_protocol = row.integer(0, col::default_protocol);
  m.revision = row.integer(0, col::revision);
  m.purged_revision = row.integer(0, col::purged_revision);
  m.created_us = row.integer(0, col::created_us);
  m.modified_us = row.integer(0, col::modified_us);
  m.created_by = row.text(0, col::created_by);
  m.writer_name = row.text(0, col::writer_name);
  m.writer_version = row.text(0, col::writer_version);
  m.writer_app = row.text(0, col::writer_app);
  m.integrity_scheme = row.text(0, col::integrity_scheme);
  if (!row.is_null(0, col::key_id)) m.key_id = row.text(0, col::key_id);
  const std::string_view id = row.bytes(0, col::file_id);
  if (id.size() == kFileIdSize) {
    m.file_id.emplace();
    std::copy(id.begin(), id.end(), m.file_id->begin());
  }
  const auto bad = [this](const std::string& what) {
    throw FormatError(name(), std::nullopt,
                      fmt::format("malformed store row in '{}': {}", name(), what));
  };
  if (m.format_version < 1 || m.min_reader_version < 1) bad("a format version below 1");
  if (!m.file_id) bad(fmt::format("a file_id of {} bytes, not {}", id.size(), kFileIdSize));
  if (m.app_schema_version < 0) bad("a negative app_schema_version");
  if (m.default_protocol < 0 || m.default_protocol > 5) bad("default_protocol outside 0-5");
  if (m.revision < 0 || m.revision > kMaxRevision) bad("revision out of range");
  if (m.purged_revision < 0 || m.purged_revision > m.revision) bad("purged_revision out of range");
  for (const std::int64_t t : {m.created_us, m.modified_us})
    if (t < -kMaxTimeUs || t > kMaxTimeUs) bad("a time out of range");
  const bool sha = m.integrity_scheme == "sha256" && !m.key_id;
  const bool hmac = m.integrity_scheme == "hmac-sha256" && m.key_id && m.key_id->size() == 16 &&
                    lowercase_hex(*m.key_id);
  if (!sha && !hmac && (m.integrity_scheme == "sha256" || m.integrity_scheme == "hmac-sha256"))
    bad(fmt::format("its key_id does not go with its integrity scheme '{}'", m.integrity_scheme));
  store_id_ = row.integer(0, col::store_id);
  return m;
}

std::optional<Meta> PostgresBackend::find_store(const Meta* fresh) {
  PgResult row = conn_->exec(sql::kReadStore, Params().text(store_));
  if (row.rows() == 0 && fresh != nullptr) {
    const StoreFileId& id = fresh->file_id.value();  // new_store_meta() made it
    Params p;
    p.text(store_)
        .bytes(std::string_view(reinterpret_cast<const char*>(id.data()), id.size()))
        .integer(fresh->app_schema_version)
        .integer(fresh->default_protocol)
        .integer(fresh->created_us)
        .text(fresh->created_by)
        .text(fresh->writer_name)
        .text(fresh->writer_version)
        .text(fresh->writer_app)
        .text(fresh->integrity_scheme);
    if (fresh->key_id) {
      p.text(*fresh->key_id);
    } else {
      p.null();
    }
    conn_->exec(sql::kCreateStore, p);  // no row returned: another client created it first
    row = conn_->exec(sql::kReadStore, Params().text(store_));
  }
  if (row.rows() == 0) return std::nullopt;
  return meta_of(row);
}

// docs/FORMAT-POSTGRES.md "App schema migrations and format upgrades of a store": one write
// transaction under the row lock, as a save. Format 1 -> 2 binds digests to the store's
// file_id: each entry that verifies under format 1's rule gets its format-2 digest and the
// upgrade's revision; one that does not keeps its digest (it keeps failing its check).
// SHA-256 stores change only the row.
void PostgresBackend::upgrade(const OpenRequest& request) {
  const auto txn = begin(TxnKind::write);
  const Meta before = *row_;  // as locked: another client may have upgraded it meanwhile
  OpenPlan now;               // decided again: refused if it became newer than this library
  check_format_version(request, before.format_version, before.min_reader_version, now);
  if (!now.upgrade) return;  // rolled back: nothing written
  if (before.format_version != 1)
    throw FormatError(name(), std::nullopt,
                      fmt::format("cannot open '{}': no upgrade from store format {}", name(),
                                  before.format_version));
  Meta after = before;
  after.format_version = kFormatVersion;
  after.min_reader_version = kMinReaderVersion;
  after.revision = next_revision(name(), before.revision);
  after.modified_us = now_us();
  after.writer_name = std::string(kWriterName);
  after.writer_version = std::string(library_version());
  after.writer_app = request.options.app_name;
  const Signer& key = request.signer;
  if (key.scheme() == IntegrityScheme::hmac_sha256) {
    const Signer old_rule = key.for_file(std::nullopt);
    const Signer new_rule = key.for_file(signing_file_id(after));
    for (auto& [name, entry] : read_entries_since(0)) {
      if (!old_rule.verify(name, entry->pickle, entry->digest.view())) continue;
      const Digest digest = new_rule.digest(name, entry->pickle);
      entry->digest.assign(
          std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
      put_entry(name, *entry, after.revision, after.modified_us);
    }
  }
  after.purged_revision = purge_tombstones(after.revision, before.purged_revision);
  write_meta(before, after);
  txn->commit();
}

std::pair<std::unique_ptr<PostgresBackend>, OpenPlan> PostgresBackend::open(
    const OpenRequest& request, const StoreUrl& url) {
  if (request.options.keep_backups > 0)
    throw StoreError(url.shown, std::nullopt,
                     fmt::format("cannot open '{}' with keep_backups: a store on a server is "
                                 "backed up by the server's tools (pg_dump)",
                                 url.shown));
  auto backend = std::make_unique<PostgresBackend>(request, url);
  PostgresBackend& b = *backend;
  const bool read_only = request.options.mode == OpenMode::read_only;
  b.check_layout(read_only);
  const Meta fresh = new_store_meta(request);
  const bool create = request.options.mode == OpenMode::create;
  const std::optional<Meta> meta = b.find_store(create ? &fresh : nullptr);
  if (!meta)
    throw StoreError(b.name(), std::nullopt,
                     fmt::format("cannot open '{}': no such store", b.name()));
  // The checks name the store as connected.
  const OpenRequest named{request.path, b.name(), request.options, request.signer};
  OpenPlan plan;
  check_format_version(named, meta->format_version, meta->min_reader_version, plan);
  check_integrity_key(named, *meta);
  check_app_schema(named, *meta, plan);
  if (plan.upgrade) b.upgrade(named);
  return {std::move(backend), plan};
}

}  // namespace picklejar::store
