#pragma once
// What a session file's schema may hold (docs/FORMAT.md "Schema" and "Hardening"): the
// objects of its format version, exactly, plus tables the format does not know; never a
// trigger, a view, a virtual table, a generated column or an index over an expression. The
// check reads only sqlite_schema and the schema PRAGMAs, so nothing a hostile file defines
// runs before it has passed.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sqlite.hpp"

namespace picklejar::store {

// One object of a file format's schema, as sqlite_schema lists it.
struct SchemaObject {
  std::string_view type;  // "table" or "index"
  std::string_view name;
  std::string_view table;  // the table an index belongs to; a table's own name
  std::string_view sql;    // the CREATE statement; empty for an index SQLite makes itself
};

// The objects of file format `version`, in the order a new file creates them; empty for a
// version this library does not know. A new format version adds its list here.
std::span<const SchemaObject> format_objects(std::int64_t version) noexcept;

// Every object of `db`'s schema the format does not allow, and every object of the format
// the schema lacks: one line each, "<type> '<name>'[ on table '<table>']: <why>". Exact for a
// format version format_objects() knows; for a newer one only the rules every format keeps
// (no triggers, views, virtual tables, generated columns, indexed expressions). Runs inside
// the caller's transaction.
std::vector<std::string> schema_problems(Db& db, std::int64_t version);

// Throws FormatError naming the file and the first problem schema_problems() finds.
void check_schema(Db& db, std::int64_t version);

// The form in which SQL texts are compared (docs/FORMAT.md "Hardening"): outside quotes
// ('...', "...", `...`, [...]), each run of whitespace becomes one space, and whitespace
// next to '(', ')' or ',' and at either end is dropped. Nothing else changes.
std::string normalize_sql(std::string_view sql);

}  // namespace picklejar::store
