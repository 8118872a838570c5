// The stores of a database as a whole (picklejar/stores.hpp): list_stores, find_store and
// delete_store against the private PostgreSQL server, each in a database of its own; the
// URL shown without its password.

#include <doctest/doctest.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include <picklejar/session.hpp>
#include <picklejar/stores.hpp>

#include "session_support.hpp"
#include "store_places.hpp"

using picklejar::Session;
using picklejar::test::fast;
using picklejar::test::PostgresPlace;
using picklejar::test::RawPg;

namespace {

// An empty database of the test's own (no picklejar tables), dropped at the end.
class FreshDatabase {
 public:
  FreshDatabase() : name_(fmt::format("pj_stores_{}_{}", ::getpid(), ++count_)) {
    RawPg().text("CREATE DATABASE " + name_);  // a name of our own, not data
  }
  ~FreshDatabase() { RawPg().text("DROP DATABASE " + name_ + " WITH (FORCE)"); }
  FreshDatabase(const FreshDatabase&) = delete;
  FreshDatabase& operator=(const FreshDatabase&) = delete;
  // Over TCP to the database; naming `store` when given.
  std::string url(const std::string& store = "") const {
    const std::string server = PostgresPlace::server();
    const std::string base = server.substr(0, server.rfind('/') + 1) + name_;
    return store.empty() ? base : base + "?store=" + store;
  }
  int tables() const {
    return std::stoi(
        RawPg(url()).text("SELECT count(*) FROM pg_tables WHERE schemaname = 'picklejar'"));
  }

 private:
  static inline int count_ = 0;
  std::string name_;
};

std::vector<std::string> names(const std::vector<picklejar::StoreInfo>& stores) {
  std::vector<std::string> out;
  for (const auto& store : stores) out.push_back(store.name);
  return out;
}

}  // namespace

TEST_CASE("list_stores: every store by name in code point order, with its row") {
  FreshDatabase db;
  for (const std::string name : {"b", "a", "Z", "ab", "%C3%A9"})
    Session(db.url(name), fast()).close();
  picklejar::SessionOptions keyed = fast();
  keyed.integrity_key = "k";
  Session a(db.url("a%20b"), keyed);
  a.set("x", 1);
  a.save();
  a.set("y", 2);
  a.save();
  const auto stores = picklejar::list_stores(db.url());
  CHECK(names(stores) == std::vector<std::string>{"Z", "a", "a b", "ab", "b", "\xc3\xa9"});
  const picklejar::StoreInfo& keyed_store = stores[2];
  CHECK(keyed_store.revision == 2);
  CHECK(keyed_store.format_version == 2);
  CHECK(keyed_store.integrity_scheme == "hmac-sha256");
  CHECK(keyed_store.modified == a.file_info().modified);
  CHECK(stores[0].revision == 0);
  CHECK(stores[0].integrity_scheme == "sha256");
}

TEST_CASE("list_stores and find_store never create the tables of an empty database") {
  FreshDatabase db;
  CHECK(picklejar::list_stores(db.url()).empty());
  CHECK_FALSE(picklejar::find_store(db.url("x")));
  CHECK_FALSE(picklejar::delete_store(db.url("x"), std::chrono::milliseconds(1000), true));
  CHECK(db.tables() == 0);
}

TEST_CASE("find_store: the store's row, or nothing") {
  FreshDatabase db;
  Session s(db.url("there"), fast());
  s.set("x", 1);
  s.save();
  const auto found = picklejar::find_store(db.url("there"));
  REQUIRE(found);
  CHECK(found->name == "there");
  CHECK(found->revision == 1);
  CHECK(found->modified == s.file_info().modified);
  CHECK_FALSE(picklejar::find_store(db.url("elsewhere")));
}

TEST_CASE("delete_store: the store and its entries go; sessions on it are told") {
  FreshDatabase db;
  Session s(db.url("doomed"), fast());
  s.set("x", 1);
  s.save();
  Session(db.url("kept"), fast()).close();
  CHECK(picklejar::delete_store(db.url("doomed")));
  CHECK(names(picklejar::list_stores(db.url())) == std::vector<std::string>{"kept"});
  CHECK(RawPg(db.url()).text("SELECT count(*) FROM picklejar.entry") == "0");
  CHECK_THROWS_WITH_AS(s.load(), doctest::Contains("was deleted"), picklejar::StoreError);
  CHECK_THROWS_WITH_AS(picklejar::delete_store(db.url("doomed")),
                       doctest::Contains("cannot delete 'postgresql://"), picklejar::StoreError);
  CHECK_THROWS_WITH_AS(picklejar::delete_store(db.url("doomed")),
                       doctest::Contains("?store=doomed': no such store"), picklejar::StoreError);
  CHECK_FALSE(picklejar::delete_store(db.url("doomed"), std::chrono::milliseconds(5000), true));
}

TEST_CASE("delete_store waits for the store's lock, then times out naming the store") {
  FreshDatabase db;
  Session(db.url("busy"), fast()).close();
  RawPg holder(db.url());
  holder.text("BEGIN");
  holder.text("SELECT 1 FROM picklejar.store WHERE name = 'busy' FOR UPDATE");
  CHECK_THROWS_WITH_AS(picklejar::delete_store(db.url("busy"), std::chrono::milliseconds(200)),
                       doctest::Contains("?store=busy"), picklejar::LockTimeout);
  holder.text("ROLLBACK");
  CHECK(picklejar::delete_store(db.url("busy"), std::chrono::milliseconds(200)));
}

TEST_CASE("the stores' functions refuse URLs that do not name what they need") {
  CHECK_THROWS_WITH_AS(picklejar::list_stores(PostgresPlace::server() + "?store=x"),
                       doctest::Contains("names a database, without ?store=NAME"),
                       picklejar::StoreError);
  CHECK_THROWS_WITH_AS(picklejar::list_stores("state.pj"),
                       doctest::Contains("not a postgresql:// URL"), picklejar::StoreError);
  CHECK_THROWS_WITH_AS(picklejar::delete_store(PostgresPlace::server()),
                       doctest::Contains("store=NAME exactly once"), picklejar::StoreError);
  CHECK_THROWS_AS(picklejar::find_store("state.pj"), picklejar::StoreError);
}

TEST_CASE("URLs are shown without their password, in errors too") {
  CHECK(picklejar::url_without_password("postgresql://ann:s3cr%40t@db.example:6543/app?store=ed"
                                        "%20it&sslmode=require&password=other") ==
        "postgresql://ann@db.example:6543/app?store=ed%20it");
  CHECK(picklejar::url_without_password("postgres://ann:pw@/app") == "postgresql://ann@/app");
  CHECK(picklejar::url_without_password("postgresql://ann:pw@h/app?store=") ==
        "postgresql://ann@h/app");
  CHECK(picklejar::is_store_url("postgres://h/app?store=x"));
  CHECK(picklejar::is_store_url("postgresql:///app"));
  CHECK_FALSE(picklejar::is_store_url("./postgresql://x"));
  const std::string server = PostgresPlace::server();  // postgresql://127.0.0.1:PORT/DB
  const std::string wrong = "postgresql://picklejar:Wr0ngSecret@" + server.substr(13);
  for (const auto& call :
       {+[](const std::string& url) { picklejar::list_stores(url); },
        +[](const std::string& url) { picklejar::find_store(url + "?store=x"); },
        +[](const std::string& url) { picklejar::delete_store(url + "?store=x"); }}) {
    try {
      call(wrong);
      FAIL("a wrong password was accepted");
    } catch (const picklejar::ServerError& e) {
      CHECK(std::string(e.what()).find("Wr0ngSecret") == std::string::npos);
      CHECK(std::string(e.what()).find("postgresql://picklejar@127.0.0.1:") != std::string::npos);
      CHECK(e.path().find("Wr0ngSecret") == std::string::npos);
    }
  }
}
