#pragma once
// The document `picklejar export` writes and `picklejar import` reads (docs/CLI.md, "Export
// documents"): one JSON object whose "entries" member maps every session key to the tagged
// JSON of its value (docs/JSON.md), one entry per line:
//
//   {"picklejar_export":1,"format_version":1,"app_schema_version":0,"default_protocol":4,
//   "revision":7,"entries":{
//   "counter":41,
//   "window":{"x":10,"size":{"$tuple":[640,480]}}
//   }}
//
// Each value is a document of its own for the tagged form ($id/$ref numbering starts anew),
// so the envelope is read here, by a small scanner that finds each value's text without
// parsing it, and each value is then read by from_json(). Keys are plain JSON strings: a key
// starting with '$' is not escaped, since the envelope is not tagged JSON.

#include <picklejar/json.hpp>
#include <picklejar/session.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace picklejar::cli {

// Part of the export format: the value of "picklejar_export" this program writes and reads.
inline constexpr int kExportVersion = 1;

// The text before the first entry: the envelope's opening with the file's facts.
std::string export_header(const SessionFileInfo& info);
// One entry's line (without its separator): "key":value.
std::string export_entry_prefix(std::string_view key, bool ensure_ascii);
// What separates entries and what ends the document.
inline constexpr std::string_view kExportSeparator = ",\n";
inline constexpr std::string_view kExportFooter = "\n}}\n";

// Where one entry is in the document.
struct ExportEntry {
  std::string key;
  std::size_t value_offset = 0;  // byte offset of its value's text
  std::size_t value_size = 0;
};

// What an export document says of the file it came from, which a restore brings back.
struct ExportFacts {
  std::optional<std::int64_t> app_schema_version;  // absent from the document: empty
  std::optional<int> default_protocol;
};

// Finds the entries of an export document, in document order, and its facts when `facts` is
// given. Throws JsonError (with a position for malformed JSON; naming the member for a
// document that is not an export: no or another "picklejar_export", no "entries" object, a
// key given twice, an app_schema_version that is not an integer, a default_protocol that is
// not 0-5, ...).
std::vector<ExportEntry> split_export(std::string_view text, ExportFacts* facts = nullptr);

// The value of `entry`. Throws JsonError placed in the whole document: syntax errors with
// their line and column in `text`, errors of the tagged form with the pointer
// /entries/<key>/...
Value read_export_value(std::string_view text, const ExportEntry& entry);

}  // namespace picklejar::cli
