// The envelope of `picklejar export` documents (lib/cli/export_document): what the writer's
// pieces make, the scanner that finds each entry's value, and where errors are reported.

#include <doctest/doctest.h>

#include <picklejar/json.hpp>

#include <string>
#include <utility>
#include <vector>

#include "export_document.hpp"

namespace {

using picklejar::JsonError;
using picklejar::Value;
using picklejar::cli::ExportEntry;
using picklejar::cli::read_export_value;
using picklejar::cli::split_export;

// A document as export writes it, from (key, tagged JSON text) pairs.
std::string document(const std::vector<std::pair<std::string, std::string>>& entries) {
  picklejar::SessionFileInfo info;
  info.format_version = 1;
  info.revision = 7;
  std::string text = picklejar::cli::export_header(info);
  bool first = true;
  for (const auto& [key, json] : entries) {
    if (!first) text += picklejar::cli::kExportSeparator;
    first = false;
    text += picklejar::cli::export_entry_prefix(key, false) + json;
  }
  return text + std::string(picklejar::cli::kExportFooter);
}

// The JsonError `text` raises when split and read.
JsonError error_of(const std::string& text) {
  try {
    for (const ExportEntry& entry : split_export(text)) read_export_value(text, entry);
  } catch (const JsonError& e) {
    return e;
  }
  FAIL("no JsonError for: " << text);
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("export documents: the header names the version and the file's facts") {
  picklejar::SessionFileInfo info;
  info.format_version = 1;
  info.app_schema_version = 3;
  info.default_protocol = 2;
  info.revision = 12;
  CHECK(picklejar::cli::export_header(info) ==
        "{\"picklejar_export\":1,\"format_version\":1,\"app_schema_version\":3,"
        "\"default_protocol\":2,\"revision\":12,\"entries\":{\n");
  CHECK(picklejar::cli::export_entry_prefix("é\n", false) == "\"é\\n\":");
  CHECK(picklejar::cli::export_entry_prefix("é", true) == "\"\\u00e9\":");
}

TEST_CASE("export documents: every entry's key and value come back") {
  const std::vector<std::pair<std::string, std::string>> entries = {
      {"", "null"},
      {"$tuple", R"({"$tuple":[1,2]})"},  // not a tag: keys of the envelope are plain
      {"quote\" and \\ and }]", R"("text with }] and \" inside")"},
      {"é/~", R"({"nested":[[{"a":[]}],{}],"$$dollar":{"$bytes":"eA=="}})"},
      {"number", "-12.5e3"},
      {"big", R"({"$int":"0x10000000000000000"})"},
  };
  const std::string text = document(entries);
  const std::vector<ExportEntry> found = split_export(text);
  REQUIRE(found.size() == entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    CAPTURE(i);
    CHECK(found[i].key == entries[i].first);
    CHECK(text.substr(found[i].value_offset, found[i].value_size) == entries[i].second);
    CHECK(picklejar::to_json(read_export_value(text, found[i])) ==
          picklejar::to_json(picklejar::from_json(entries[i].second)));
  }
}

TEST_CASE("export documents: an empty session, other members, any layout") {
  CHECK(split_export(document({})).empty());
  CHECK(split_export(R"({"picklejar_export":1,"entries":{}})").empty());
  const std::string spaced =
      " {\n \"note\" : [1, {\"x\": \"}\"}, true, null],\t\"entries\" : { \"k\" : [ 1 , 2 ] } ,"
      " \"picklejar_export\" : 1 , \"later\": {}\r\n}\n";
  const std::vector<ExportEntry> found = split_export(spaced);
  REQUIRE(found.size() == 1);
  CHECK(found[0].key == "k");
  CHECK(picklejar::to_json(read_export_value(spaced, found[0])) == "[1,2]");
}

TEST_CASE("export documents: what is not one is refused") {
  SUBCASE("no or another version") {
    CHECK(std::string(error_of(R"({"entries":{}})").what()).find("not a picklejar export") !=
          std::string::npos);
    const JsonError newer = error_of(R"({"picklejar_export":2,"entries":{}})");
    CHECK(newer.pointer() == "/picklejar_export");
    CHECK(newer.reason().find("version 2") != std::string::npos);
    CHECK(error_of(R"({"picklejar_export":"1","entries":{}})").pointer() == "/picklejar_export");
  }
  SUBCASE("no entries, or entries that are not an object") {
    CHECK(error_of(R"({"picklejar_export":1})").reason().find("\"entries\"") != std::string::npos);
    const JsonError list = error_of(R"({"picklejar_export":1,"entries":[]})");
    REQUIRE(list.position());
    CHECK(list.position()->offset == 32);
  }
  SUBCASE("a key or member given twice") {
    const JsonError twice = error_of("{\"picklejar_export\":1,\"entries\":{\n\"a\":1,\n\"a\":2}}");
    REQUIRE(twice.position());
    CHECK(twice.position()->line == 3);
    CHECK(twice.reason().find("key \"a\" is given twice") != std::string::npos);
    CHECK(error_of(R"({"picklejar_export":1,"picklejar_export":1,"entries":{}})")
              .reason()
              .find("given twice") != std::string::npos);
  }
  SUBCASE("malformed JSON around the entries") {
    for (const char* text : {"", "[]", "{", R"({"picklejar_export":1,"entries":{"a":1)",
                             R"({"picklejar_export":1,"entries":{"a" 1}})",
                             R"({"picklejar_export":1,"entries":{"a":1,}})",
                             R"({"picklejar_export":1,"entries":{"a":[1}}})",
                             R"({"picklejar_export":1,"entries":{"a":"open}})",
                             R"({"picklejar_export":1,"entries":{a:1}})",
                             R"({"picklejar_export":1,"entries":{}} trailing)",
                             R"({"picklejar_export":1,"entries":{"\x":1}})"}) {
      CAPTURE(text);
      const JsonError e = error_of(text);
      CHECK(e.position());
    }
  }
}

TEST_CASE("export documents: an entry's errors are placed in the whole document") {
  SUBCASE("a syntax error has the document's line and column") {
    const std::string text = document({{"a", "1"}, {"b", "[1, tru]"}});
    const JsonError e = error_of(text);
    REQUIRE(e.position());
    CHECK(e.position()->line == 3);
    CHECK(text.substr(e.position()->offset - e.position()->column + 1, 4) == "\"b\":");
  }
  SUBCASE("an error of the tagged form has the pointer /entries/<key>/...") {
    const std::string text = document({{"a/b~", R"({"$tuple":7})"}});
    const JsonError e = error_of(text);
    CHECK_FALSE(e.position());
    CHECK(e.pointer().starts_with("/entries/a~1b~0"));
    CHECK(std::string(e.what()).find("/entries/a~1b~0") != std::string::npos);
  }
}
