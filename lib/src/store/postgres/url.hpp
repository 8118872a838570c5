#pragma once
// Naming a store on a PostgreSQL server (internal; docs/FORMAT-POSTGRES.md "Naming a store:
// the URL"): a libpq connection URL with one more query parameter, store=NAME, which is taken
// out; the rest goes to libpq unchanged. People see the URL without its password.

#include <filesystem>
#include <string>
#include <string_view>

namespace picklejar::store {

struct StoreUrl {
  std::string conninfo;  // the URL without its store parameter, for PQconnectdb
  std::string store;     // the store's name: 1-255 bytes of UTF-8
  std::string shown;     // postgresql://user@host:port/dbname?store=NAME: no password
  std::string password;  // the URL's password, percent-decoded (to keep out of messages)
};

// Whether `path` names a store rather than a file: it starts with postgresql:// or
// postgres:// (a file of such a name is written as a path: ./postgresql:x).
bool is_store_url(const std::filesystem::path& path);

// Parses a store URL. StoreError naming the URL without its password when `store` is
// missing, repeated, empty, longer than 255 bytes or not UTF-8.
StoreUrl parse_store_url(std::string_view url);

// Parses a URL naming a database rather than one store, for what acts on all its stores
// (`store` stays empty). StoreError naming the URL without its password, "<doing> '<URL>':
// ...", when it is not a postgresql:// URL or has a store parameter.
StoreUrl parse_database_url(std::string_view url, std::string_view doing);

// `url` as people see it: without its password or libpq parameters, with its store when it
// names one (postgresql://user@host:port/dbname?store=NAME). Never throws.
std::string shown_url(std::string_view url);

// `text` percent-encoded for a URL: every byte but letters, digits and "-._~".
std::string url_quote(std::string_view text);

}  // namespace picklejar::store
