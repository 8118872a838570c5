// Session::copy_from (`picklejar copy`): a whole store copied between session files and
// stores on the private PostgreSQL server, each entry's pickle, protocol and digest byte for
// byte, in one transaction on the destination that a bad source leaves untouched.

#include <doctest/doctest.h>

#include <string>

#include <picklejar/session.hpp>

#include "session_support.hpp"
#include "store_places.hpp"

using picklejar::Session;
using picklejar::SessionOptions;
using picklejar::test::fast;
using picklejar::test::FilePlace;
using picklejar::test::PostgresPlace;
using picklejar::test::RawDb;
using picklejar::test::RawPg;

namespace {

template <class From, class To>
struct Route {
  From from;
  To to;
};
using FileToFile = Route<FilePlace, FilePlace>;
using FileToServer = Route<FilePlace, PostgresPlace>;
using ServerToFile = Route<PostgresPlace, FilePlace>;
using ServerToServer = Route<PostgresPlace, PostgresPlace>;

// Every entry as the storage holds it, read past the library: "key:protocol:DIGEST:PICKLE,..."
// in key order (hex digits), the same text for a file and a store holding the same rows.
std::string rows(const FilePlace&, const std::string& name) {
  return RawDb(name).text(
      "SELECT coalesce(group_concat(r, ','), '') FROM (SELECT key || ':' || protocol || ':' || "
      "hex(digest) || ':' || hex(pickle) AS r FROM entries ORDER BY key)");
}
std::string rows(const PostgresPlace&, const std::string& name) {
  return RawPg().text(
      "SELECT coalesce(string_agg(convert_from(key, 'UTF8') || ':' || protocol || ':' || "
      "upper(encode(digest, 'hex')) || ':' || upper(encode(pickle, 'hex')), ',' ORDER BY key), "
      "'') FROM picklejar.entry WHERE store_id = (SELECT store_id FROM picklejar.store WHERE "
      "name = $1)",
      picklejar::test::store_of(name));
}

// The store's file id as the storage holds it, read past the library (32 hex digits).
std::string stored_file_id(const FilePlace&, const std::string& name) {
  return RawDb(name).text("SELECT value FROM meta WHERE name = 'file_id'");
}
std::string stored_file_id(const PostgresPlace&, const std::string& name) {
  return RawPg().text("SELECT encode(file_id, 'hex') FROM picklejar.store WHERE name = $1",
                      picklejar::test::store_of(name));
}

// Flips the last byte of `key`'s stored pickle, leaving its digest.
void tamper(const FilePlace&, const std::string& name, const std::string& key) {
  RawDb db(name);
  std::string pickle = db.blob("SELECT pickle FROM entries WHERE key = '" + key + "'");
  pickle.back() = static_cast<char>(pickle.back() ^ 1);
  db.exec_with_blob("UPDATE entries SET pickle = ?1 WHERE key = '" + key + "'", pickle);
}
void tamper(const PostgresPlace&, const std::string& name, const std::string& key) {
  RawPg().text(
      "UPDATE picklejar.entry SET pickle = set_byte(pickle, length(pickle) - 1, "
      "get_byte(pickle, length(pickle) - 1) # 1) WHERE key = convert_to($2, 'UTF8') AND "
      "store_id = (SELECT store_id FROM picklejar.store WHERE name = $1)",
      picklejar::test::store_of(name), key);
}

SessionOptions keyed(const std::string& key,
                     picklejar::OpenMode mode = picklejar::OpenMode::create) {
  SessionOptions options = fast(mode);
  options.integrity_key = key;
  return options;
}

// A source with entries of several protocols, app schema version 7 and default protocol 2.
void fill(const std::string& name, const SessionOptions& options) {
  Session s(name, options);
  s.set("counter", 41);
  s.set("window", picklejar::Value::dict({{"x", 10}, {"title", "caf\xc3\xa9"}}));
  s.set("\xc3\xa9t\xc3\xa9 \xf0\x9f\x8e\x89", std::string(5000, 'z'));
  s.save();
  s.set_app_schema_version(7);
  s.convert_protocol(2);
  SessionOptions five = options;
  five.protocol = 5;
  Session later(name, five);
  later.set("later", std::vector<int>{1, 2, 3});
  later.save();
}

}  // namespace

TEST_CASE_TEMPLATE("copy_from copies every entry byte for byte, with its versions", R, FileToFile,
                   FileToServer, ServerToFile, ServerToServer) {
  R route;
  const std::string from = route.from.name("copy-source");
  const std::string to = route.to.name("copy-destination");
  fill(from, keyed("k1"));
  const Session source(from, keyed("k1", picklejar::OpenMode::read_only));
  Session destination(to, keyed("k1"));
  destination.copy_from(source);
  CHECK(rows(route.to, to) == rows(route.from, from));
  CHECK(rows(route.to, to).find("later:5:") != std::string::npos);  // protocols kept
  CHECK(rows(route.to, to).find("counter:2:") != std::string::npos);
  const picklejar::SessionFileInfo info = Session(to, keyed("k1")).file_info();
  CHECK(info.app_schema_version == 7);
  CHECK(info.default_protocol == 2);
  CHECK(info.integrity_scheme == "hmac-sha256");
  CHECK(info.key_id == source.file_info().key_id);
  CHECK(info.revision == 1);  // one transaction
  const Session reader(to, keyed("k1", picklejar::OpenMode::read_only));
  CHECK(reader.get<int>("counter") == 41);
  CHECK(reader.get<std::vector<int>>("later") == std::vector<int>{1, 2, 3});
}

TEST_CASE_TEMPLATE("copy_from refuses a destination with entries unless it replaces them", R,
                   FileToServer, ServerToFile) {
  R route;
  const std::string from = route.from.name("copy-source");
  const std::string to = route.to.name("copy-destination");
  fill(from, fast());
  const Session source(from, fast(picklejar::OpenMode::read_only));
  Session destination(to, fast());
  destination.set("mine", 1);
  destination.set("counter", 0);
  destination.save();
  const std::string before = rows(route.to, to);
  CHECK_THROWS_WITH_AS(destination.copy_from(source),
                       doctest::Contains("it holds 2 entries (copying with replace"),
                       picklejar::StoreError);
  CHECK(rows(route.to, to) == before);
  destination.copy_from(source, true);
  CHECK(rows(route.to, to) == rows(route.from, from));
  CHECK_FALSE(Session(to, fast()).contains("mine"));
  destination.copy_from(source, true);  // nothing to change: no new revision
  CHECK(destination.file_info().revision == 2);
}

TEST_CASE_TEMPLATE("a tampered source entry stops the copy; the destination stays as it was", R,
                   FileToServer, ServerToFile, ServerToServer) {
  R route;
  const std::string from = route.from.name("copy-tampered");
  const std::string to = route.to.name("copy-destination");
  fill(from, keyed("k1"));
  tamper(route.from, from, "window");
  const Session source(from, keyed("k1", picklejar::OpenMode::read_only));
  Session destination(to, keyed("k1"));
  destination.set("mine", 1);
  destination.save();
  const std::string before = rows(route.to, to);
  CHECK_THROWS_WITH_AS(destination.copy_from(source, true),
                       doctest::Contains("integrity check failed for key 'window'"),
                       picklejar::IntegrityError);
  CHECK(rows(route.to, to) == before);
  CHECK(destination.keys() == std::vector<std::string>{"mine"});
  CHECK_FALSE(destination.has_unsaved_changes());
}

TEST_CASE_TEMPLATE("copy_from needs the same integrity key on both sides", R, FileToServer,
                   ServerToFile) {
  R route;
  const std::string from = route.from.name("copy-keyed");
  fill(from, keyed("k1"));
  const Session source(from, keyed("k1", picklejar::OpenMode::read_only));
  const std::string unkeyed = route.to.name("copy-unkeyed");
  Session plain(unkeyed, fast());
  CHECK_THROWS_WITH_AS(plain.copy_from(source), doctest::Contains("rekey one of them first"),
                       picklejar::IntegrityError);
  const std::string other = route.to.name("copy-other-key");
  Session other_key(other, keyed("k2"));
  CHECK_THROWS_AS(other_key.copy_from(source), picklejar::IntegrityError);
  CHECK(rows(route.to, unkeyed).empty());
  CHECK(rows(route.to, other).empty());
}

TEST_CASE("copy_from refuses unsaved changes, itself and a read-only destination") {
  FilePlace place;
  const std::string name = place.name("copy-self");
  Session a(name, fast());
  CHECK_THROWS_WITH_AS(a.copy_from(a), doctest::Contains("into itself"), picklejar::StoreError);
  Session b(place.name("copy-other"), fast());
  b.set("x", 1);
  CHECK_THROWS_WITH_AS(a.copy_from(b), doctest::Contains("with unsaved changes"),
                       picklejar::StoreError);
  CHECK_THROWS_WITH_AS(b.copy_from(a), doctest::Contains("with unsaved changes"),
                       picklejar::StoreError);
  b.save();
  Session read_only(name, fast(picklejar::OpenMode::read_only));
  CHECK_THROWS_WITH_AS(read_only.copy_from(b), doctest::Contains("read-only"),
                       picklejar::StoreError);
}

TEST_CASE_TEMPLATE("copy_from carries the file id: file -> store -> file, digests unchanged", R,
                   FileToServer, ServerToFile, ServerToServer, FileToFile) {
  R there;  // from: the source; to: the middle
  R back;   // to: where the copy comes back
  const std::string from = there.from.name("id-source");
  const std::string middle = there.to.name("id-middle");
  const std::string end = back.from.name("id-end");
  fill(from, keyed("k1"));
  const Session source(from, keyed("k1", picklejar::OpenMode::read_only));
  const std::string id = source.file_info().file_id;
  REQUIRE(id.size() == 32);
  CHECK(stored_file_id(there.from, from) == id);
  {
    Session destination(middle, keyed("k1"));
    Session watcher(middle, keyed("k1", picklejar::OpenMode::read_only));
    CHECK(destination.file_info().file_id != id);
    destination.copy_from(source);
    CHECK(destination.file_info().file_id == id);
    CHECK(stored_file_id(there.to, middle) == id);
    CHECK(rows(there.to, middle) == rows(there.from, from));
    destination.set("after", 1);  // signed for the id it took
    destination.save();
    // Another session open on the destination signs for the old id: it must open it again.
    CHECK_THROWS_WITH_AS(watcher.load(), doctest::Contains("file id changed while open"),
                         picklejar::IntegrityError);
    const Session fresh(middle, keyed("k1", picklejar::OpenMode::read_only));
    CHECK(fresh.get<int>("after") == 1);
    CHECK(fresh.get<int>("counter") == 41);
  }
  const Session middle_session(middle, keyed("k1", picklejar::OpenMode::read_only));
  Session last(end, keyed("k1"));
  last.copy_from(middle_session);
  CHECK(last.file_info().file_id == id);
  CHECK(stored_file_id(back.from, end) == id);
  CHECK(rows(back.from, end) == rows(there.to, middle));
  CHECK(Session(end, keyed("k1", picklejar::OpenMode::read_only)).get<int>("after") == 1);
}
