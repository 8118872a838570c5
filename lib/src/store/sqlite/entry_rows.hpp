#pragma once
// Rows of the entries and tombstones tables as a session reads them: every column's type (and
// the range the session relies on) is checked before it is converted, so a wrong-typed
// column is a FormatError naming the key and the file, never a value SQLite made up by
// converting (an INTEGER "pickle" turned into its digits, a NULL key into "").

#include <string>
#include <string_view>

#include "../entry.hpp"
#include "sqlite.hpp"

namespace picklejar::store {

// Column `column` of `row` as a key: TEXT. `table` and `path` name where it was read.
std::string_view row_key(const Statement& row, int column, std::string_view table,
                         const std::string& path);

// An entries row selected as "key, pickle, protocol, digest, revision, modified_us", whose
// key (column 0) is `key`.
EntryPtr read_entry(const Statement& row, std::string_view key, const std::string& path);

}  // namespace picklejar::store
