// Integrity: every entry is verified (SHA-256, or HMAC-SHA256 with a key) before it is
// decoded, lazily, and decoded by the safe decoder; a file written without the key, with
// another key, or a key given for a file written without one, is refused at open.

#include <doctest/doctest.h>

#include <string>

#include <picklejar/session.hpp>

#include "session_support.hpp"
#include "store/integrity.hpp"

using picklejar::IntegrityError;
using picklejar::Session;
using picklejar::SessionOptions;
using picklejar::Value;
using picklejar::test::RawDb;
using picklejar::test::ScratchDir;
using picklejar::test::snapshot;

namespace {

SessionOptions with_key(std::optional<std::string> key) {
  SessionOptions options;
  options.durability = picklejar::Durability::fast;
  options.integrity_key = std::move(key);
  return options;
}

void fill(const std::filesystem::path& file, const SessionOptions& options) {
  Session s(file, options);
  s.set("good", Value::list({1, 2}));
  s.set("bad", Value("a value that will be damaged"));
  s.set("other", 3);
  s.save();
}

// The IntegrityError find(key) throws (FAILs when none).
IntegrityError integrity_error(const Session& s, const std::string& key) {
  try {
    (void)s.find(key);
  } catch (const IntegrityError& e) {
    return e;
  }
  FAIL("no IntegrityError for " << key);
  return IntegrityError("", std::nullopt, "");
}

std::string sha256(const std::string& data) {
  const auto digest = picklejar::store::sha256(data);
  return std::string(reinterpret_cast<const char*>(digest.data()), digest.size());
}

}  // namespace

TEST_CASE("Session integrity: a damaged pickle is found when accessed, not before") {
  ScratchDir dir;
  const auto file = dir / "a.pj";
  fill(file, with_key(std::nullopt));
  {
    RawDb raw(file);
    std::string pickle = raw.blob("SELECT pickle FROM entries WHERE key = 'bad'");
    pickle[pickle.size() / 2] ^= 0x20;  // one flipped bit, the pickle still well-formed
    raw.exec_with_blob("UPDATE entries SET pickle = ?1 WHERE key = 'bad'", pickle);
  }
  Session s(file, with_key(std::nullopt));  // opens: entries are verified lazily
  CHECK(s.size() == 3);
  CHECK(s.contains("bad"));
  CHECK(s.get("good") == Value::list({1, 2}));
  const IntegrityError e = integrity_error(s, "bad");
  CHECK(e.key() == std::optional<std::string>("bad"));
  CHECK(e.path() == file.string());
  const std::string what = e.what();
  CHECK(what.find("'bad'") != std::string::npos);
  CHECK(what.find(file.string()) != std::string::npos);
  CHECK(what.find("SHA-256") != std::string::npos);
  CHECK_THROWS_AS(s.get("bad"), IntegrityError);  // every access reports it
  CHECK_THROWS_AS(s.get<std::string>("bad"), IntegrityError);
  bool reached = false;
  CHECK_THROWS_AS(
      [&] {
        for (const auto& [key, value] : s) reached = reached || key == "bad";
      }(),
      IntegrityError);
  CHECK(s.get<int>("other") == 3);
  // Replacing the damaged entry repairs the file.
  s.set("bad", Value("repaired"));
  s.save();
  Session again(file, with_key(std::nullopt));
  CHECK(again.get("bad") == Value("repaired"));
}

TEST_CASE("Session integrity: a damaged or missing digest is an IntegrityError") {
  ScratchDir dir;
  const auto file = dir / "a.pj";
  fill(file, with_key(std::nullopt));
  {
    RawDb raw(file);
    std::string digest = raw.blob("SELECT digest FROM entries WHERE key = 'bad'");
    digest[31] ^= 1;
    raw.exec_with_blob("UPDATE entries SET digest = ?1 WHERE key = 'bad'", digest);
  }
  Session s(file, with_key(std::nullopt));
  CHECK(integrity_error(s, "bad").key() == std::optional<std::string>("bad"));
  CHECK(s.get("good") == Value::list({1, 2}));
}

TEST_CASE("Session integrity: a pickle with a valid digest that does not decode") {
  ScratchDir dir;
  const auto file = dir / "a.pj";
  fill(file, with_key(std::nullopt));
  {
    RawDb raw(file);
    const std::string broken = "\x80\x04\x95";  // truncated inside a FRAME
    raw.exec_with_blob("UPDATE entries SET pickle = ?1 WHERE key = 'bad'", broken);
    raw.exec_with_blob("UPDATE entries SET digest = ?1 WHERE key = 'bad'", sha256(broken));
  }
  Session s(file, with_key(std::nullopt));
  try {
    (void)s.get("bad");
    FAIL("decoded a broken pickle");
  } catch (const picklejar::DecodeError& e) {
    CHECK(e.code() == picklejar::DecodeErrc::truncated);
    const std::string what = e.what();
    CHECK(what.find("key 'bad'") != std::string::npos);
    CHECK(what.find(file.string()) != std::string::npos);
  }
  CHECK(s.get<int>("other") == 3);
}

TEST_CASE("Session integrity: pickles are decoded by the safe decoder") {
  ScratchDir dir;
  const auto file = dir / "a.pj";
  fill(file, with_key(std::nullopt));
  // The pickle of os.system("touch pwned"): what an attacker would plant.
  const std::string evil = picklejar::dumps(
      Value::object(Value::global("posix", "system"), Value::tuple({Value("touch pwned")})));
  {
    RawDb raw(file);
    raw.exec_with_blob("UPDATE entries SET pickle = ?1 WHERE key = 'bad'", evil);
    raw.exec_with_blob("UPDATE entries SET digest = ?1 WHERE key = 'bad'", sha256(evil));
  }
  {
    Session s(file, with_key(std::nullopt));
    const Value v = s.get("bad");  // an inert recipe: nothing runs
    CHECK(v.is_object());
    CHECK(v.object_callable().global_name() == "system");
  }
  SessionOptions strict = with_key(std::nullopt);
  strict.decode.globals = picklejar::GlobalPolicy::allowlist;
  Session s(file, strict);
  CHECK_THROWS_WITH_AS(s.get("bad"), doctest::Contains("key 'bad'"), picklejar::ForbiddenError);
  CHECK(s.get<int>("other") == 3);
  CHECK_FALSE(std::filesystem::exists("pwned"));
}

TEST_CASE("Session integrity: with a key, entries are HMACs bound to their names") {
  ScratchDir dir;
  const auto file = dir / "a.pj";
  const std::string key = "correct horse battery staple";
  fill(file, with_key(key));
  {
    RawDb raw(file);
    CHECK(raw.text("SELECT value FROM meta WHERE name = 'integrity_scheme'") == "hmac-sha256");
    CHECK(raw.text("SELECT value FROM meta WHERE name = 'key_id'") ==
          picklejar::store::key_id(key));
  }
  CHECK(picklejar::store::key_id(key).size() == 16);
  CHECK(picklejar::test::read_file(file).find(key) == std::string::npos);  // never stored
  {
    Session s(file, with_key(key));
    CHECK(s.file_info().integrity_scheme == "hmac-sha256");
    CHECK(s.file_info().key_id == picklejar::store::key_id(key));
    CHECK(s.get("good") == Value::list({1, 2}));
  }
  SUBCASE("an entry moved to another key") {
    {
      RawDb raw(file);
      raw.exec("DELETE FROM entries WHERE key = 'other'");
      raw.exec("UPDATE entries SET key = 'other' WHERE key = 'good'");
    }
    Session s(file, with_key(key));
    const IntegrityError e = integrity_error(s, "other");
    CHECK(e.key() == std::optional<std::string>("other"));
    CHECK(std::string(e.what()).find("moved from another key") != std::string::npos);
  }
  SUBCASE("a pickle replaced along with a recomputed SHA-256") {
    {
      RawDb raw(file);
      const std::string pickle = picklejar::dumps(Value("forged"));
      raw.exec_with_blob("UPDATE entries SET pickle = ?1 WHERE key = 'good'", pickle);
      raw.exec_with_blob("UPDATE entries SET digest = ?1 WHERE key = 'good'", sha256(pickle));
    }
    Session s(file, with_key(key));
    CHECK(integrity_error(s, "good").key() == std::optional<std::string>("good"));
  }
}

TEST_CASE("Session integrity: without the key, a moved entry still verifies (documented)") {
  ScratchDir dir;
  const auto file = dir / "a.pj";
  fill(file, with_key(std::nullopt));
  {
    RawDb raw(file);
    raw.exec("DELETE FROM entries WHERE key = 'other'");
    raw.exec("UPDATE entries SET key = 'other' WHERE key = 'good'");
  }
  Session s(file, with_key(std::nullopt));
  CHECK(s.get("other") == Value::list({1, 2}));
}

TEST_CASE("Session integrity: the file's key must be the session's key") {
  ScratchDir dir;
  const auto keyed = dir / "keyed.pj";
  const auto plain = dir / "plain.pj";
  fill(keyed, with_key("the key"));
  fill(plain, with_key(std::nullopt));
  const auto refused = [](const std::filesystem::path& file, std::optional<std::string> key,
                          const std::string& expect) {
    const auto before = snapshot(file);
    try {
      Session s(file, with_key(std::move(key)));
      FAIL("opened with the wrong key");
    } catch (const IntegrityError& e) {
      CHECK(e.path() == file.string());
      CHECK_FALSE(e.key().has_value());
      CHECK_MESSAGE(std::string(e.what()).find(expect) != std::string::npos, e.what());
    }
    CHECK(snapshot(file) == before);
  };
  const std::string id = picklejar::store::key_id("the key");
  refused(keyed, std::nullopt, "written with an integrity key (key id " + id + ")");
  refused(keyed, "another key",
          "another integrity key (key id " + id + ", the given key's is " +
              picklejar::store::key_id("another key") + ")");
  refused(plain, "the key", "written without an integrity key");
  Session ok(keyed, with_key("the key"));
  CHECK(ok.size() == 3);
}

TEST_CASE("Session integrity: digest and key id algorithms") {
  // SHA-256 of "abc" (FIPS 180-2 test vector).
  CHECK(picklejar::test::py_bytes(sha256("abc")) ==
        picklejar::test::py_bytes(std::string("\xba\x78\x16\xbf\x8f\x01\xcf\xea\x41\x41\x40\xde"
                                              "\x5d\xae\x22\x23\xb0\x03\x61\xa3\x96\x17\x7a\x9c"
                                              "\xb4\x10\xff\x61\xf2\x00\x15\xad",
                                              32)));
  const picklejar::store::Signer plain(std::nullopt);
  const picklejar::store::Signer keyed(std::string_view("k"));
  CHECK(plain.scheme() == picklejar::store::IntegrityScheme::sha256);
  CHECK(keyed.scheme() == picklejar::store::IntegrityScheme::hmac_sha256);
  const auto d = keyed.digest("name", "pickle");
  const std::string stored(reinterpret_cast<const char*>(d.data()), d.size());
  CHECK(keyed.verify("name", "pickle", stored));
  CHECK_FALSE(keyed.verify("nam", "epickle", stored));  // the length prefix tells them apart
  CHECK_FALSE(keyed.verify("name", "pickle", stored.substr(0, 31)));
  CHECK_FALSE(plain.verify("name", "pickle", stored));
  CHECK(plain.verify("anything", "pickle", sha256("pickle")));
}
