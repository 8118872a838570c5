// Opening a session: look at the file with reads only and without a lock, decide what opening
// it takes (create, upgrade, migrate, or refuse), then do that: a creation or an upgrade in one
// write transaction that looks again first (another process may have done it meanwhile), the
// first load before anything else changes the file, and only then the journal mode.

#include <fmt/format.h>

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <system_error>

#include <picklejar/session.hpp>

#include "file_lock.hpp"
#include "file_name.hpp"
#include "filesystem.hpp"
#include "migrations.hpp"
#include "schema_check.hpp"
#include "session_impl.hpp"

namespace picklejar {
namespace {

using store::Db;
using store::Inspection;

void validate_options(const SessionOptions& options) {
  if (options.protocol && (*options.protocol < 0 || *options.protocol > 5))
    throw ValueError(
        fmt::format("SessionOptions::protocol must be 0-5, not {}", *options.protocol));
  if (options.lock_timeout.count() < 0)
    throw ValueError("SessionOptions::lock_timeout must not be negative");
  if (options.file_mode &&
      ((*options.file_mode & ~0777u) != 0 || (*options.file_mode & 0600u) != 0600))
    throw ValueError(
        fmt::format("SessionOptions::file_mode must be 0600-0777 with owner read and "
                    "write, not 0{:o}",
                    *options.file_mode));
  if (!options.migrations.empty() && !options.schema_version)
    throw ValueError("SessionOptions::migrations need a schema_version to migrate to");
  std::set<std::int64_t> froms;
  for (const Migration& m : options.migrations) {
    if (m.to <= m.from || !m.apply)
      throw ValueError(
          fmt::format("migration {} -> {} must go up and have a function", m.from, m.to));
    if (!froms.insert(m.from).second)
      throw ValueError(fmt::format("two migrations start at schema version {}", m.from));
  }
}

bool file_exists(const store::FileName& name) {
  struct stat st {};
  if (::lstat(name.file.c_str(), &st) == 0) return true;
  if (errno == ENOENT || errno == ENOTDIR) return false;
  throw StoreError(name.shown, std::nullopt,
                   fmt::format("cannot open '{}': {}", name.shown, std::strerror(errno)));
}

// What the file holds, read without a lock: store::look_at() first (nothing may appear next to
// a file that is not ours), then a read-only connection. SQLite's crash recovery (a hot
// journal, a WAL without its index) needs write access; a writable session then reads through
// a read-write connection instead, which still writes nothing of its own.
Inspection inspect_file(const store::SessionState& s) {
  const store::DbLimits limits = store::db_limits(s.options);
  const Inspection first = store::look_at(s.file, limits);
  if (first.kind != Inspection::Kind::picklejar) return first;
  try {
    return store::inspect(*Db::open(s.file, Db::Access::read_only, limits));
  } catch (const SqliteError& e) {
    const int code = e.code();
    const bool needs_recovery = code == SQLITE_READONLY_ROLLBACK ||
                                code == SQLITE_READONLY_RECOVERY ||
                                code == SQLITE_READONLY_CANTINIT || code == SQLITE_CANTOPEN;
    if (!needs_recovery || s.read_only) throw;
  }
  return store::inspect(*Db::open(s.file, Db::Access::read_write, limits));
}

void check_integrity_key(const store::SessionState& s, const store::Meta& meta) {
  const auto scheme = store::parse_scheme(meta.integrity_scheme);
  if (!scheme)
    throw FormatError(s.path_text, std::nullopt,
                      fmt::format("cannot open '{}': unknown integrity scheme '{}'", s.path_text,
                                  meta.integrity_scheme));
  const bool have_key = s.signer.scheme() == store::IntegrityScheme::hmac_sha256;
  std::string why;
  if (*scheme == store::IntegrityScheme::hmac_sha256 && !have_key) {
    why = fmt::format("it was written with an integrity key (key id {}) and none was given",
                      meta.key_id.value_or("?"));
  } else if (*scheme == store::IntegrityScheme::sha256 && have_key) {
    why = "it was written without an integrity key, so nothing in it can be verified with one";
  } else if (have_key && meta.key_id != s.signer.key_id()) {
    why = fmt::format(
        "it was written with another integrity key (key id {}, the given key's "
        "is {})",
        meta.key_id.value_or("?"), s.signer.key_id());
  }
  if (!why.empty())
    throw IntegrityError(s.path_text, std::nullopt,
                         fmt::format("cannot open '{}': {}", s.path_text, why));
}

struct Plan {
  bool create = false;
  bool upgrade = false;  // an older file format
  bool migrate = false;  // an older app schema
  bool writes() const { return create || upgrade || migrate; }
};

void check_format_version(const store::SessionState& s, const Inspection& found, Plan& plan) {
  const std::int64_t version = found.format_version;
  const std::string& path = s.path_text;
  if (version > store::kFormatVersion) {
    const bool readable = store::kFormatVersion >= found.meta.min_reader_version;
    if (readable && s.read_only) return;
    throw FormatError(
        path, std::nullopt,
        fmt::format("cannot open '{}': its file format version {} is newer than this "
                    "picklejar's ({}); {}",
                    path, version, store::kFormatVersion,
                    readable ? "it may be opened read_only"
                             : fmt::format("reading it needs format version {} or later",
                                           found.meta.min_reader_version)));
  }
  if (version < store::kFormatVersion) {
    if (s.read_only)
      throw FormatError(path, std::nullopt,
                        fmt::format("cannot open '{}' read_only: its file format version {} "
                                    "must first be upgraded to {} (open it read_write)",
                                    path, version, store::kFormatVersion));
    plan.upgrade = true;
  }
}

void check_app_schema(const store::SessionState& s, const store::Meta& meta, Plan& plan) {
  if (!s.options.schema_version) return;
  const std::int64_t file = meta.app_schema_version;
  const std::int64_t app = *s.options.schema_version;
  if (file > app && !s.read_only)
    throw FormatError(s.path_text, std::nullopt,
                      fmt::format("cannot open '{}': its app schema version {} is newer than "
                                  "this program's ({}); it may be opened read_only",
                                  s.path_text, file, app));
  if (file < app) {
    if (s.read_only)
      throw FormatError(s.path_text, std::nullopt,
                        fmt::format("cannot open '{}' read_only: its app schema version {} "
                                    "must first be migrated to {} (open it read_write)",
                                    s.path_text, file, app));
    store::migration_path(s.options.migrations, file, app, s.path_text);  // throws if none
    plan.migrate = true;
  }
}

Plan decide(const store::SessionState& s, const Inspection& found) {
  Plan plan;
  const OpenMode mode = s.options.mode;
  switch (found.kind) {
    case Inspection::Kind::missing:
      if (mode != OpenMode::create)
        throw StoreError(s.path_text, std::nullopt,
                         fmt::format("cannot open '{}': no such file", s.path_text));
      plan.create = true;
      return plan;
    case Inspection::Kind::empty:
      if (mode != OpenMode::create)
        throw FormatError(s.path_text, std::nullopt,
                          fmt::format("not a picklejar file '{}': it is empty (OpenMode::create "
                                      "makes an empty file a new session)",
                                      s.path_text));
      plan.create = true;
      return plan;
    case Inspection::Kind::picklejar:
      break;
  }
  check_format_version(s, found, plan);
  check_integrity_key(s, found.meta);
  check_app_schema(s, found.meta, plan);
  return plan;
}

bool use_rollback_journal(const store::SessionState& s) {
  switch (s.options.filesystem) {
    case FilesystemCheck::local:
      return false;
    case FilesystemCheck::network:
      return true;
    case FilesystemCheck::detect:
      break;
  }
  const auto type = store::filesystem_type(s.file.file);
  return type && store::is_network_filesystem(*type);
}

std::string pragma_text(Db& db, const char* sql) {
  auto q = db.query(sql);
  if (!q->step()) db.fail(SQLITE_ERROR, "no result from a pragma on");
  return std::string(q->column_text(0));
}

void open_connection(store::SessionState& s, Db::Access access) {
  s.db = Db::open(s.file, access, store::db_limits(s.options));
  if (s.read_only) s.db->exec("PRAGMA query_only = 1");
}

// After the first load (a file refused there is left as it was): WAL, or the rollback journal
// on a network file system, and the durability's synchronous setting.
void set_journal(store::SessionState& s) {
  if (!s.read_only && use_rollback_journal(s)) {
    s.db->exec("PRAGMA journal_mode = DELETE; PRAGMA synchronous = FULL");
  } else if (!s.read_only) {
    s.db->exec("PRAGMA journal_mode = WAL");
    s.db->exec(s.options.durability == Durability::durable ? "PRAGMA synchronous = FULL"
                                                           : "PRAGMA synchronous = NORMAL");
  }
  s.journal_mode = pragma_text(*s.db, "PRAGMA journal_mode");
  static constexpr const char* kSynchronous[] = {"off", "normal", "full", "extra"};
  const std::string level = pragma_text(*s.db, "PRAGMA synchronous");
  s.synchronous = level.size() == 1 && level[0] >= '0' && level[0] <= '3'
                      ? kSynchronous[level[0] - '0']
                      : level;
}

store::Meta new_file_meta(store::SessionState& s) {
  store::Meta meta;
  meta.app_schema_version = s.options.schema_version.value_or(0);
  meta.default_protocol = s.options.protocol.value_or(4);
  meta.created_us = meta.modified_us = store::now_us();
  meta.created_by = fmt::format("{} {}", store::kWriterName, store::library_version());
  meta.writer_name = std::string(store::kWriterName);
  meta.writer_version = std::string(store::library_version());
  meta.writer_app = s.options.app_name;
  meta.integrity_scheme = std::string(store::scheme_name(s.signer.scheme()));
  if (!s.signer.key_id().empty()) meta.key_id = s.signer.key_id();
  return meta;
}

// Under the writers' lock, in one write transaction: looks at the file again (another process
// may have created or upgraded it since the first look) and creates or upgrades it as it now
// needs. A file that must be refused now is left as it was (the transaction rolls back).
Plan create_or_upgrade(store::SessionState& s) {
  store::Transaction txn(*s.db, store::Transaction::Kind::write);
  const Inspection found = store::inspect_current(*s.db);
  const Plan plan = decide(s, found);
  if (plan.create) store::create_schema(*s.db, new_file_meta(s));
  if (plan.upgrade)
    store::upgrade_format(*s.db, found.format_version, store::kFormatVersion,
                          store::format_steps());
  txn.commit();
  s.file_format = plan.create || plan.upgrade ? store::kFormatVersion : found.format_version;
  return plan;
}

// Inspects and decides without a lock. Readers take none, so a first look may fall in the
// middle of another process's creation (an empty file): a refusal is confirmed by a second
// look after any writer holding the lock file is done.
std::pair<Inspection, Plan> look_and_decide(const store::SessionState& s) {
  try {
    Inspection found = inspect_file(s);
    const Plan plan = decide(s, found);
    return {std::move(found), plan};
  } catch (const FormatError&) {
    s.wait_for_writers();
  }
  Inspection found = inspect_file(s);
  const Plan plan = decide(s, found);
  return {std::move(found), plan};
}

}  // namespace

Session::Session(const std::filesystem::path& path, const SessionOptions& options) {
  validate_options(options);
  impl_ = std::make_unique<store::SessionState>(path, options);
  store::SessionState& s = *impl_;
  if (options.mode != OpenMode::create && !file_exists(s.file))
    throw StoreError(s.path_text, std::nullopt,
                     fmt::format("cannot open '{}': no such file", s.path_text));
  auto [found, plan] = look_and_decide(s);
  s.file_format = found.format_version;
  const bool backup =
      found.kind == Inspection::Kind::picklejar && options.keep_backups > 0 && !s.read_only;
  if (plan.create || plan.upgrade) {
    const store::FileLock held = s.writer_lock();
    if (plan.create) store::create_database_file(s.file, s.new_file_mode);
    open_connection(s, plan.create ? Db::Access::create : Db::Access::read_write);
    if (backup) s.automatic_backup(found.meta);
    plan = create_or_upgrade(s);
  } else {
    open_connection(s, s.read_only ? Db::Access::read_only : Db::Access::read_write);
    if (backup) s.automatic_backup(found.meta);
  }
  {  // the first load before anything else changes the file: one refused here stays as it was
    store::Transaction txn(*s.db, store::Transaction::Kind::read);
    s.refresh(store::Transaction::Kind::read);
    txn.commit();
  }
  set_journal(s);
  s.start_feed();  // it watches what the journal mode says
  if (plan.migrate) {
    const store::FileLock held = s.writer_lock();
    s.migrate(*this);
  }
  store::Transaction txn(*s.db, store::Transaction::Kind::read);
  s.refresh(store::Transaction::Kind::read);
  s.begin_looking();
  txn.commit();
}

std::vector<std::string> Session::schema_problems(const std::filesystem::path& path,
                                                  const SessionOptions& options) {
  validate_options(options);
  const store::FileName name = store::resolve_file_name(path, options.follow_symlinks);
  if (!file_exists(name))
    throw StoreError(name.shown, std::nullopt,
                     fmt::format("cannot open '{}': no such file", name.shown));
  store::refuse_symlink(name);
  const auto db = Db::open(name, Db::Access::read_only, store::db_limits(options));
  store::Transaction txn(*db, store::Transaction::Kind::read);
  auto version = db->query("PRAGMA user_version");
  if (!version->step()) db->fail(SQLITE_ERROR, "no result from a pragma on");
  return store::schema_problems(*db, version->column_int(0));
}

}  // namespace picklejar
