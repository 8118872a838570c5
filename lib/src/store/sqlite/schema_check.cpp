#include "schema_check.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <optional>
#include <set>
#include <utility>

#include <picklejar/error.hpp>

#include "../../value/utf8.hpp"

namespace picklejar::store {
namespace {

// File formats 1 and 2 (docs/FORMAT.md "Schema" holds the same statements; tests compare the
// two). Format 2 changed the meta rows and digests, not the schema.
constexpr SchemaObject kFormat1[] = {
    {"table", "meta", "meta", R"sql(CREATE TABLE meta (
  name TEXT PRIMARY KEY NOT NULL,
  value
) WITHOUT ROWID)sql"},
    {"table", "entries", "entries", R"sql(CREATE TABLE entries (
  key TEXT PRIMARY KEY NOT NULL CHECK (typeof(key) = 'text'),
  pickle BLOB NOT NULL CHECK (typeof(pickle) = 'blob'),
  protocol INTEGER NOT NULL CHECK (typeof(protocol) = 'integer'),
  digest BLOB NOT NULL CHECK (typeof(digest) = 'blob' AND length(digest) = 32),
  revision INTEGER NOT NULL CHECK (typeof(revision) = 'integer' AND revision >= 1),
  modified_us INTEGER NOT NULL
))sql"},
    {"index", "sqlite_autoindex_entries_1", "entries", ""},  // entries' PRIMARY KEY
    {"index", "entries_revision", "entries", "CREATE INDEX entries_revision ON entries (revision)"},
    {"table", "tombstones", "tombstones", R"sql(CREATE TABLE tombstones (
  key TEXT PRIMARY KEY NOT NULL,
  revision INTEGER NOT NULL
) WITHOUT ROWID)sql"},
    {"index", "tombstones_revision", "tombstones",
     "CREATE INDEX tombstones_revision ON tombstones (revision)"},
};

struct FormatSchema {
  std::int64_t version;
  std::span<const SchemaObject> objects;
};
constexpr FormatSchema kFormats[] = {{1, kFormat1}, {2, kFormat1}};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }
bool is_tight(char c) { return c == '(' || c == ')' || c == ','; }
char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// SQLite compares identifiers ignoring ASCII case.
bool same_name(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](char x, char y) { return ascii_lower(x) == ascii_lower(y); });
}

bool starts_with_keywords(std::string_view sql, std::string_view prefix) {
  return sql.size() >= prefix.size() && same_name(sql.substr(0, prefix.size()), prefix);
}

// One row of sqlite_schema.
struct Row {
  std::string type, name, table;
  std::optional<std::string> sql;  // normalized; empty for SQLite's own indexes
};

std::vector<Row> read_schema(Db& db) {
  std::vector<Row> rows;
  auto q = db.query("SELECT type, name, tbl_name, sql FROM sqlite_master");
  while (q->step()) {
    Row row{std::string(q->column_text(0)), std::string(q->column_text(1)),
            std::string(q->column_text(2)), std::nullopt};
    if (!q->column_is_null(3)) row.sql = normalize_sql(q->column_text(3));
    rows.push_back(std::move(row));
  }
  return rows;
}

bool is_utf8(const Row& row) {
  return !detail::find_invalid_utf8(row.type) && !detail::find_invalid_utf8(row.name) &&
         !detail::find_invalid_utf8(row.table);
}

// How bad a problem is: what may run or cost is named first (in FormatError's message too).
enum class Severity { hostile, foreign, missing };

// The problems found so far, one per object, most severe first.
class Problems {
 public:
  void add(Severity severity, std::string_view type, std::string_view name, std::string_view table,
           std::string_view why) {
    if (!reported_.emplace(std::string(type), std::string(name)).second) return;
    const bool on_table = type != "table" && type != "view" && !table.empty();
    lines_.emplace_back(severity,
                        fmt::format("{} '{}'{}: {}", type, name,
                                    on_table ? fmt::format(" on table '{}'", table) : "", why));
  }
  bool has(std::string_view type, std::string_view name) const {
    return reported_.contains({std::string(type), std::string(name)});
  }
  bool has_name(std::string_view name) const {
    return std::ranges::any_of(reported_,
                               [&](const auto& seen) { return same_name(seen.second, name); });
  }
  std::vector<std::string> take() {
    std::ranges::stable_sort(lines_, {}, &std::pair<Severity, std::string>::first);
    std::vector<std::string> out;
    for (auto& [severity, line] : lines_) out.push_back(std::move(line));
    return out;
  }

 private:
  std::set<std::pair<std::string, std::string>> reported_;
  std::vector<std::pair<Severity, std::string>> lines_;
};

// What no format ever holds, judged from the row alone; empty when the row may stay.
std::string_view forbidden_kind(const Row& row) {
  const std::string_view sql = row.sql ? std::string_view(*row.sql) : std::string_view();
  if (row.type == "trigger") return "triggers are never part of a session file";
  if (row.type == "view") return "views are never part of a session file";
  if (row.type == "table") {
    if (starts_with_keywords(sql, "CREATE TABLE ")) return {};
    if (starts_with_keywords(sql, "CREATE VIRTUAL TABLE "))
      return "virtual tables are never part of a session file";
    return "its SQL is not a CREATE TABLE statement";
  }
  if (row.type == "index") {
    if (!row.sql) {
      return row.name.starts_with("sqlite_autoindex_") ? std::string_view()
                                                       : "an index without SQL";
    }
    if (starts_with_keywords(sql, "CREATE INDEX ") ||
        starts_with_keywords(sql, "CREATE UNIQUE INDEX "))
      return {};
    return "its SQL is not a CREATE INDEX statement";
  }
  return "an unknown kind of schema object";
}

const SchemaObject* find_object(std::span<const SchemaObject> objects, std::string_view name) {
  for (const SchemaObject& object : objects)
    if (same_name(object.name, name)) return &object;
  return nullptr;
}

bool matches(const Row& row, const SchemaObject& object) {
  const bool sql_matches =
      object.sql.empty() ? !row.sql.has_value() : row.sql == normalize_sql(object.sql);
  return row.type == object.type && row.name == object.name && row.table == object.table &&
         sql_matches;
}

// Generated columns of a table, and its indexes: over expressions or partial anywhere, and
// on a table of the format only the format's own.
void check_table(Db& db, const Row& table, std::span<const SchemaObject> objects, Problems& out) {
  {
    auto q = db.query("SELECT name, hidden FROM pragma_table_xinfo(?1)");
    q->bind_text(1, table.name);
    while (q->step()) {
      const std::int64_t hidden = q->column_int(1);
      if (hidden == 2 || hidden == 3) {
        out.add(Severity::hostile, "table", table.name, "",
                fmt::format("column '{}' is a generated column, which no session file has",
                            q->column_text(0)));
        break;
      }
    }
  }
  const bool ours = find_object(objects, table.name) != nullptr;
  struct Index {
    std::string name;
    bool partial;
    bool created;  // by CREATE INDEX, not by the table's own PRIMARY KEY or UNIQUE
  };
  std::vector<Index> indexes;
  {
    auto q = db.query("SELECT name, partial, origin FROM pragma_index_list(?1)");
    q->bind_text(1, table.name);
    while (q->step())
      indexes.push_back(
          {std::string(q->column_text(0)), q->column_int(1) != 0, q->column_text(2) == "c"});
  }
  for (const auto& [index, partial, created] : indexes) {
    const SchemaObject* known = find_object(objects, index);
    if (ours && created && (known == nullptr || known->table != table.name))
      out.add(Severity::foreign, "index", index, table.name,
              "no index but the format's may be on its tables");
    if (partial)
      out.add(Severity::hostile, "index", index, table.name,
              "a partial index (WHERE), which no session "
              "file has");
    auto q = db.query("SELECT count(*) FROM pragma_index_xinfo(?1) WHERE key AND cid = -2");
    q->bind_text(1, index);
    if (q->step() && q->column_int(0) != 0)
      out.add(Severity::hostile, "index", index, table.name,
              "it indexes an expression, which no session file does");
  }
}

}  // namespace

std::span<const SchemaObject> format_objects(std::int64_t version) noexcept {
  for (const FormatSchema& format : kFormats)
    if (format.version == version) return format.objects;
  return {};
}

std::vector<std::string> schema_problems(Db& db, std::int64_t version) {
  const std::span<const SchemaObject> objects = format_objects(version);
  const std::vector<Row> rows = read_schema(db);
  Problems out;
  std::vector<bool> found(objects.size(), false);
  for (const Row& row : rows) {
    if (!is_utf8(row)) {  // Python's reader could not even name it
      out.add(Severity::hostile, row.type, row.name, row.table, "its name is not UTF-8");
      continue;
    }
    if (const std::string_view why = forbidden_kind(row); !why.empty()) {
      out.add(Severity::hostile, row.type, row.name, row.table, why);
      continue;
    }
    const SchemaObject* known = find_object(objects, row.name);
    if (known != nullptr) {
      found[static_cast<std::size_t>(known - objects.data())] = true;
      if (!matches(row, *known))
        out.add(Severity::foreign, row.type, row.name, row.table,
                "it differs from its definition in docs/FORMAT.md (or has a format object's name)");
    }
  }
  for (const Row& row : rows)
    if (row.type == "table" && is_utf8(row) && !out.has("table", row.name))
      check_table(db, row, objects, out);
  for (std::size_t i = 0; i < objects.size(); ++i)
    if (!found[i] && !out.has_name(objects[i].name))  // a view in its place says enough
      out.add(Severity::missing, objects[i].type, objects[i].name, objects[i].table, "missing");
  return out.take();
}

void check_schema(Db& db, std::int64_t version) {
  const std::vector<std::string> problems = schema_problems(db, version);
  if (problems.empty()) return;
  const std::string more =
      problems.size() == 1 ? "" : fmt::format(" (and {} more)", problems.size() - 1);
  throw FormatError(db.path(), std::nullopt,
                    fmt::format("cannot open '{}': its schema is not a session file's: {}{}",
                                db.path(), problems.front(), more));
}

std::string normalize_sql(std::string_view sql) {
  std::string out;
  out.reserve(sql.size());
  char quote = 0;  // the closing character of the quoted text we are in
  bool space = false;
  for (const char c : sql) {
    if (quote != 0) {
      out.push_back(c);
      if (c == quote) quote = 0;
      continue;
    }
    if (is_space(c)) {
      space = true;
      continue;
    }
    if (space && !out.empty() && !is_tight(out.back()) && !is_tight(c)) out.push_back(' ');
    space = false;
    out.push_back(c);
    if (c == '\'' || c == '"' || c == '`') quote = c;
    if (c == '[') quote = ']';
  }
  return out;
}

}  // namespace picklejar::store
