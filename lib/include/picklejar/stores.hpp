#pragma once
// The stores of a PostgreSQL database as a whole (docs/FORMAT-POSTGRES.md "Listing and deleting
// stores"): list them, look one up, delete one. Python: picklejar.list_stores,
// picklejar.delete_store. A store itself is opened with Session (session.hpp), by the same URL.
//
//   for (const picklejar::StoreInfo& store : picklejar::list_stores("postgresql://db.example/app"))
//     std::printf("%s at revision %lld\n", store.name.c_str(), (long long)store.revision);
//   picklejar::delete_store("postgresql://db.example/app?store=editor");
//
// Each call opens a connection of its own (libpq's configuration: the URL, PG* variables,
// ~/.pgpass) and closes it; none creates the picklejar tables. Errors (error.hpp) name the
// URL without its password: ServerError (with the server's SQLSTATE) when the server cannot
// be reached or refuses, FormatError when the database's picklejar layout is too new,
// StoreError for a URL that does not name what the call needs, LockTimeout.
//
// Thread safety: the functions share nothing; call them from any thread.

#include <picklejar/config.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace picklejar {

// One store of a database, as list_stores() and find_store() found it.
struct StoreInfo {
  std::string name;                 // what ?store=NAME names
  std::int64_t format_version = 0;  // the store's format version (the file format's)
  std::int64_t revision = 0;        // its global revision (0 until the first save)
  // When the last save happened (the writer's clock); the store's creation before one.
  std::chrono::system_clock::time_point modified;
  std::string integrity_scheme;  // "sha256" or "hmac-sha256"
};

// The stores of the database `url` names (a postgresql:// URL without ?store=), by name in
// code point order. Empty when the database has no picklejar tables (nothing is created).
// StoreError when `url` is not a postgresql:// URL or names a store; FormatError when the
// database's layout is newer than this picklejar reads.
PICKLEJAR_EXPORT std::vector<StoreInfo> list_stores(std::string_view url);

// The store `url` names (postgresql://...?store=NAME), as list_stores() would list it; empty
// when the database has no such store (or no picklejar tables: nothing is created). StoreError
// when `url` does not name a store.
PICKLEJAR_EXPORT std::optional<StoreInfo> find_store(std::string_view url);

// Deletes the store `url` names (postgresql://...?store=NAME) with all its entries, in one
// transaction that waits for the store's lock like a save — sessions in save() or transact()
// on it finish first — up to `lock_timeout` (LockTimeout naming the store). Sessions still
// open on it fail their next load or save with StoreError ("was deleted"). Returns whether
// the store existed; StoreError when it did not, unless `missing_ok`. FormatError when the
// database's picklejar layout is newer than this picklejar's.
PICKLEJAR_EXPORT bool delete_store(
    std::string_view url, std::chrono::milliseconds lock_timeout = std::chrono::milliseconds(5000),
    bool missing_ok = false);

// Whether `path` names a store on a server rather than a session file: it starts with
// postgresql:// or postgres:// (a file of such a name is written as a path: ./postgresql:x).
PICKLEJAR_EXPORT bool is_store_url(std::string_view path);

// `url` as picklejar shows it to people: without its password or libpq parameters, with its
// store when it names one ("postgresql://user@host:5432/app?store=editor"). Never throws.
PICKLEJAR_EXPORT std::string url_without_password(std::string_view url);

}  // namespace picklejar
