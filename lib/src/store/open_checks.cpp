// The checks of a store's meta that every backend makes when opening it, before any entry is
// read (docs/FORMAT.md "Opening a file", "Versions", "Integrity").

#include <fmt/format.h>

#include "backend.hpp"
#include "migrations.hpp"

namespace picklejar::store {

void check_format_version(const OpenRequest& request, std::int64_t version,
                          std::int64_t min_reader_version, OpenPlan& plan) {
  const std::string& path = request.name;
  const bool read_only = request.options.mode == OpenMode::read_only;
  if (version > kFormatVersion) {
    const bool readable = kFormatVersion >= min_reader_version;
    if (readable && read_only) return;
    throw FormatError(path, std::nullopt,
                      fmt::format("cannot open '{}': its file format version {} is newer than "
                                  "this picklejar's ({}); {}",
                                  path, version, kFormatVersion,
                                  readable ? "it may be opened read_only"
                                           : fmt::format("reading it needs format version {} "
                                                         "or later",
                                                         min_reader_version)));
  }
  if (version < kFormatVersion) {
    if (read_only)
      throw FormatError(path, std::nullopt,
                        fmt::format("cannot open '{}' read_only: its file format version {} "
                                    "must first be upgraded to {} (open it read_write)",
                                    path, version, kFormatVersion));
    plan.upgrade = true;
  }
}

void check_integrity_key(const OpenRequest& request, const Meta& meta) {
  const std::string& path = request.name;
  const auto scheme = parse_scheme(meta.integrity_scheme);
  if (!scheme)
    throw FormatError(path, std::nullopt,
                      fmt::format("cannot open '{}': unknown integrity scheme '{}'", path,
                                  meta.integrity_scheme));
  const Signer& signer = request.signer;
  const bool have_key = signer.scheme() == IntegrityScheme::hmac_sha256;
  std::string why;
  if (*scheme == IntegrityScheme::hmac_sha256 && !have_key) {
    why = fmt::format("it was written with an integrity key (key id {}) and none was given",
                      meta.key_id.value_or("?"));
  } else if (*scheme == IntegrityScheme::sha256 && have_key) {
    why = "it was written without an integrity key, so nothing in it can be verified with one";
  } else if (have_key && meta.key_id != signer.key_id()) {
    why = fmt::format(
        "it was written with another integrity key (key id {}, the given key's "
        "is {})",
        meta.key_id.value_or("?"), signer.key_id());
  }
  if (!why.empty())
    throw IntegrityError(path, std::nullopt, fmt::format("cannot open '{}': {}", path, why));
}

void check_app_schema(const OpenRequest& request, const Meta& meta, OpenPlan& plan) {
  const SessionOptions& options = request.options;
  if (!options.schema_version) return;
  const std::string& path = request.name;
  const bool read_only = options.mode == OpenMode::read_only;
  const std::int64_t file = meta.app_schema_version;
  const std::int64_t app = *options.schema_version;
  if (file > app && !read_only)
    throw FormatError(path, std::nullopt,
                      fmt::format("cannot open '{}': its app schema version {} is newer than "
                                  "this program's ({}); it may be opened read_only",
                                  path, file, app));
  if (file < app) {
    if (read_only)
      throw FormatError(path, std::nullopt,
                        fmt::format("cannot open '{}' read_only: its app schema version {} "
                                    "must first be migrated to {} (open it read_write)",
                                    path, file, app));
    migration_path(options.migrations, file, app, path);  // throws if none
    plan.migrate = true;
  }
}

Meta new_store_meta(const OpenRequest& request) {
  const SessionOptions& options = request.options;
  Meta meta;
  meta.app_schema_version = options.schema_version.value_or(0);
  meta.default_protocol = options.protocol.value_or(4);
  meta.created_us = meta.modified_us = now_us();
  meta.created_by = fmt::format("{} {}", kWriterName, library_version());
  meta.writer_name = std::string(kWriterName);
  meta.writer_version = std::string(library_version());
  meta.writer_app = options.app_name;
  meta.integrity_scheme = std::string(scheme_name(request.signer.scheme()));
  if (!request.signer.key_id().empty()) meta.key_id = request.signer.key_id();
  meta.file_id = new_file_id();
  return meta;
}

}  // namespace picklejar::store
