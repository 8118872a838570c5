#pragma once
// docs/FORMAT-POSTGRES.md's statements, word for word under the names of its ```sql blocks
// (internal). tests/test_postgres_sql.cpp checks every one against the page.

namespace picklejar::store::sql {

// create_tables
inline constexpr const char* kCreateTables =
    "CREATE SCHEMA IF NOT EXISTS picklejar;\n"
    "CREATE TABLE picklejar.layout (\n"
    "  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),\n"
    "  version integer NOT NULL CHECK (version >= 1),\n"
    "  min_reader_version integer NOT NULL CHECK (min_reader_version >= 1)\n"
    ");\n"
    "INSERT INTO picklejar.layout (version, min_reader_version) VALUES (1, 1);\n"
    "CREATE TABLE picklejar.store (\n"
    "  store_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
    "  name text NOT NULL UNIQUE CHECK (octet_length(name) BETWEEN 1 AND 255),\n"
    "  file_id bytea NOT NULL CHECK (octet_length(file_id) = 16),\n"
    "  format_version integer NOT NULL CHECK (format_version >= 1),\n"
    "  min_reader_version integer NOT NULL CHECK (min_reader_version >= 1),\n"
    "  app_schema_version bigint NOT NULL CHECK (app_schema_version >= 0),\n"
    "  default_protocol smallint NOT NULL CHECK (default_protocol BETWEEN 0 AND 5),\n"
    "  revision bigint NOT NULL CHECK (revision BETWEEN 0 AND 9223372036854775806),\n"
    "  purged_revision bigint NOT NULL CHECK (purged_revision BETWEEN 0 AND revision),\n"
    "  created_us bigint NOT NULL,\n"
    "  modified_us bigint NOT NULL,\n"
    "  created_by text NOT NULL,\n"
    "  writer_name text NOT NULL,\n"
    "  writer_version text NOT NULL,\n"
    "  writer_app text NOT NULL,\n"
    "  integrity_scheme text NOT NULL,\n"
    "  key_id text\n"
    ");\n"
    "CREATE TABLE picklejar.entry (\n"
    "  store_id bigint NOT NULL REFERENCES picklejar.store ON DELETE CASCADE,\n"
    "  key bytea NOT NULL CHECK (octet_length(key) <= 2048),\n"
    "  pickle bytea NOT NULL,\n"
    "  protocol smallint NOT NULL CHECK (protocol BETWEEN 0 AND 5),\n"
    "  digest bytea NOT NULL CHECK (octet_length(digest) = 32),\n"
    "  revision bigint NOT NULL CHECK (revision >= 1),\n"
    "  modified_us bigint NOT NULL,\n"
    "  PRIMARY KEY (store_id, key)\n"
    ");\n"
    "CREATE INDEX entry_revision ON picklejar.entry (store_id, revision);\n"
    "CREATE TABLE picklejar.tombstone (\n"
    "  store_id bigint NOT NULL REFERENCES picklejar.store ON DELETE CASCADE,\n"
    "  key bytea NOT NULL CHECK (octet_length(key) <= 2048),\n"
    "  revision bigint NOT NULL CHECK (revision >= 1),\n"
    "  PRIMARY KEY (store_id, key)\n"
    ");\n"
    "CREATE INDEX tombstone_revision ON picklejar.tombstone (store_id, revision);";

// layout_exists
inline constexpr const char* kLayoutExists =
    "SELECT EXISTS (SELECT FROM pg_catalog.pg_tables\n"
    "               WHERE schemaname = 'picklejar' AND tablename = 'layout')";

// read_layout
inline constexpr const char* kReadLayout =
    "SELECT version, min_reader_version FROM picklejar.layout";

// begin_write
inline constexpr const char* kBeginWrite = "BEGIN ISOLATION LEVEL READ COMMITTED";

// layout_lock
inline constexpr const char* kLayoutLock = "SELECT pg_advisory_xact_lock(1347043666, 0)";

// connection_settings
inline constexpr const char* kConnectionSettings =
    "SELECT set_config('idle_in_transaction_session_timeout', $1, false)";

// create_store
inline constexpr const char* kCreateStore =
    "INSERT INTO picklejar.store (name, file_id, format_version, min_reader_version,\n"
    "  app_schema_version, default_protocol, revision, purged_revision, created_us, modified_us,\n"
    "  created_by, writer_name, writer_version, writer_app, integrity_scheme, key_id)\n"
    "VALUES ($1, $2, 2, 2, $3, $4, 0, 0, $5, $5, $6, $7, $8, $9, $10, $11)\n"
    "ON CONFLICT (name) DO NOTHING\n"
    "RETURNING store_id";

// read_store
inline constexpr const char* kReadStore =
    "SELECT store_id, file_id, format_version, min_reader_version, app_schema_version,\n"
    "  default_protocol, revision, purged_revision, created_us, modified_us, created_by,\n"
    "  writer_name, writer_version, writer_app, integrity_scheme, key_id\n"
    "FROM picklejar.store WHERE name = $1";

// list_stores
inline constexpr const char* kListStores =
    "SELECT name, format_version, revision, modified_us, integrity_scheme\n"
    "FROM picklejar.store ORDER BY convert_to(name, 'UTF8')";

// delete_store
inline constexpr const char* kDeleteStore =
    "DELETE FROM picklejar.store WHERE name = $1 RETURNING store_id";

// begin_read
inline constexpr const char* kBeginRead = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

// entries_since
inline constexpr const char* kEntriesSince =
    "SELECT key, pickle, protocol, digest, revision, modified_us\n"
    "FROM picklejar.entry WHERE store_id = $1 AND revision > $2";

// tombstones_since
inline constexpr const char* kTombstonesSince =
    "SELECT key, revision FROM picklejar.tombstone WHERE store_id = $1 AND revision > $2";

// all_keys
inline constexpr const char* kAllKeys = "SELECT key FROM picklejar.entry WHERE store_id = $1";

// store_revision
inline constexpr const char* kStoreRevision =
    "SELECT revision FROM picklejar.store WHERE store_id = $1";

// store_sizes
inline constexpr const char* kStoreSizes =
    "SELECT count(*), coalesce(sum(octet_length(pickle)), 0) FROM picklejar.entry\n"
    "WHERE store_id = $1";

// write_settings
inline constexpr const char* kWriteSettings =
    "SELECT set_config('lock_timeout', $1, true), set_config('synchronous_commit', $2, true)";

// lock_store
inline constexpr const char* kLockStore =
    "SELECT store_id, file_id, format_version, min_reader_version, app_schema_version,\n"
    "  default_protocol, revision, purged_revision, created_us, modified_us, created_by,\n"
    "  writer_name, writer_version, writer_app, integrity_scheme, key_id\n"
    "FROM picklejar.store WHERE name = $1 FOR UPDATE";

// put_entries
inline constexpr const char* kPutEntries =
    "INSERT INTO picklejar.entry (store_id, key, pickle, protocol, digest, revision, modified_us)\n"
    "SELECT $1::bigint, key, pickle, protocol, digest, $6::bigint, $7::bigint\n"
    "FROM unnest($2::bytea[], $3::bytea[], $4::smallint[], $5::bytea[])\n"
    "  AS t (key, pickle, protocol, digest)\n"
    "ON CONFLICT (store_id, key) DO UPDATE SET pickle = EXCLUDED.pickle,\n"
    "  protocol = EXCLUDED.protocol, digest = EXCLUDED.digest, revision = EXCLUDED.revision,\n"
    "  modified_us = EXCLUDED.modified_us";

// drop_tombstones
inline constexpr const char* kDropTombstones =
    "DELETE FROM picklejar.tombstone WHERE store_id = $1 AND key = ANY ($2::bytea[])";

// erase_entries
inline constexpr const char* kEraseEntries =
    "WITH erased AS (\n"
    "  DELETE FROM picklejar.entry WHERE store_id = $1 AND key = ANY ($2::bytea[]) RETURNING key\n"
    ")\n"
    "INSERT INTO picklejar.tombstone (store_id, key, revision)\n"
    "SELECT $1, key, $3::bigint FROM erased\n"
    "ON CONFLICT (store_id, key) DO UPDATE SET revision = EXCLUDED.revision";

// purge_tombstones
inline constexpr const char* kPurgeTombstones =
    "DELETE FROM picklejar.tombstone WHERE store_id = $1 AND revision <= $2";

// update_store
inline constexpr const char* kUpdateStore =
    "UPDATE picklejar.store SET revision = $2, purged_revision = $3, modified_us = $4,\n"
    "  writer_name = $5, writer_version = $6, writer_app = $7, app_schema_version = $8,\n"
    "  default_protocol = $9, integrity_scheme = $10, key_id = $11, format_version = $12,\n"
    "  min_reader_version = $13\n"
    "WHERE store_id = $1";

// set_file_id
inline constexpr const char* kSetFileId =
    "UPDATE picklejar.store SET file_id = $2 WHERE store_id = $1";

// notify
inline constexpr const char* kNotify = "SELECT pg_notify('picklejar', $1)";

// listen
inline constexpr const char* kListen = "LISTEN picklejar";

// Every statement above under its name on the page, for the test that compares them.
struct Named {
  const char* name;
  const char* text;
};
inline constexpr Named kAll[] = {
    {"create_tables", kCreateTables},
    {"layout_exists", kLayoutExists},
    {"read_layout", kReadLayout},
    {"begin_write", kBeginWrite},
    {"layout_lock", kLayoutLock},
    {"connection_settings", kConnectionSettings},
    {"create_store", kCreateStore},
    {"read_store", kReadStore},
    {"list_stores", kListStores},
    {"delete_store", kDeleteStore},
    {"begin_read", kBeginRead},
    {"entries_since", kEntriesSince},
    {"tombstones_since", kTombstonesSince},
    {"all_keys", kAllKeys},
    {"store_revision", kStoreRevision},
    {"store_sizes", kStoreSizes},
    {"write_settings", kWriteSettings},
    {"lock_store", kLockStore},
    {"put_entries", kPutEntries},
    {"drop_tombstones", kDropTombstones},
    {"erase_entries", kEraseEntries},
    {"purge_tombstones", kPurgeTombstones},
    {"update_store", kUpdateStore},
    {"set_file_id", kSetFileId},
    {"notify", kNotify},
    {"listen", kListen},
};

}  // namespace picklejar::store::sql
