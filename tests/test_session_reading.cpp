// Typed reads that name the key and the file (EntryCodecError), and get_or(key, fallback,
// on_error), which survives entries another program wrote in a shape the C++ type cannot
// take: a pathlib.Path, a datetime in a zone the tz database lacks, a damaged or undecodable
// pickle. Entries are written by the Python package (python/picklejar) where it matters.

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <tuple>
#include <vector>

#include <picklejar/session.hpp>

#include "python.hpp"
#include "session_support.hpp"
#include "store/integrity.hpp"

using picklejar::EntryCodecError;
using picklejar::Session;
using picklejar::SessionOptions;
using picklejar::Value;
using picklejar::test::fast;
using picklejar::test::RawDb;
using picklejar::test::ScratchDir;

namespace deskapp {
struct Window {
  int x = 100;
  int y = 100;
  std::tuple<int, int> size{800, 600};
  friend bool operator==(const Window&, const Window&) = default;
};
PICKLEJAR_CLASS(Window, "deskapp.state", "WindowGeometry", x, y, size);
}  // namespace deskapp

namespace {

// The EntryCodecError that `read` throws (FAILs when it throws none).
template <class Read>
EntryCodecError entry_error(Read&& read) {
  try {
    read();
  } catch (const EntryCodecError& e) {
    return e;
  }
  FAIL("no EntryCodecError");
  return EntryCodecError("", "", "", "");
}

std::string sha256(const std::string& data) {
  const auto digest = picklejar::store::sha256(data);
  return std::string(reinterpret_cast<const char*>(digest.data()), digest.size());
}

// Writes entries with the Python package, as another program editing the file would:
// a pathlib path, a datetime in Europe/Paris, one in a zone only that Python's tz path has,
// a list, and an int where a str belongs.
void write_with_python(const std::filesystem::path& file) {
  picklejar::test::run_python(R"py(
import datetime, os, pathlib, shutil, tempfile, zoneinfo
import picklejar
tzdir = tempfile.mkdtemp()
os.makedirs(os.path.join(tzdir, "Mars"))
shutil.copy("/usr/share/zoneinfo/Europe/Paris", os.path.join(tzdir, "Mars", "Olympus"))
zoneinfo.reset_tzpath([tzdir, *zoneinfo.TZPATH])
with picklejar.Session(r")py" +
                              file.string() + R"py(") as s:
    s["window"] = pathlib.PurePosixPath("/home/ada")
    s["opened"] = datetime.datetime(2024, 7, 1, 9, 30, tzinfo=zoneinfo.ZoneInfo("Europe/Paris"))
    s["landed"] = datetime.datetime(2024, 7, 1, tzinfo=zoneinfo.ZoneInfo("Mars/Olympus"))
    s["recent"] = ["notes.txt", "plan.md"]
    s["theme"] = 5
    s.save()
shutil.rmtree(tzdir)
)py");
}

}  // namespace

TEST_CASE("Session reading: a typed read that does not fit names the key, the path and the file") {
  ScratchDir dir;
  const auto file = dir / "state.pj";
  Session s(file, fast());
  Value window = picklejar::to_value(deskapp::Window{});
  window.object_state().set(Value("size"), Value::tuple({640, Value("480")}));
  s.set("window", window);
  s.set("name", "main");
  s.set("sizes", Value::list({1, 2, Value::list({})}));

  const std::string in_file = " in '" + file.string() + "'";
  EntryCodecError e = entry_error([&] { (void)s.get<deskapp::Window>("window"); });
  CHECK(std::string(e.what()) == "'window'.size[1]: expected int, got str" + in_file);
  CHECK(e.key() == "window");
  CHECK(e.file() == file.string());
  CHECK(e.path() == "'window'.size[1]");
  CHECK(e.reason() == "expected int, got str");
  CHECK_THROWS_AS((void)s.get<deskapp::Window>("window"), picklejar::CodecError);  // its base

  e = entry_error([&] { (void)s.get_or("window", deskapp::Window{}); });
  CHECK(std::string(e.what()) == "'window'.size[1]: expected int, got str" + in_file);
  e = entry_error([&] { (void)s.get<int>("name"); });
  CHECK(std::string(e.what()) == "'name': expected int, got str" + in_file);
  e = entry_error([&] { (void)s.get_or("sizes", std::vector<int>{}); });
  CHECK(std::string(e.what()) == "'sizes'[2]: expected int, got list" + in_file);
  // A Value accessor failing at the top of a user's codec is named too.
  e = entry_error([&] { (void)s.get<std::tuple<int, int>>("window"); });
  CHECK(e.path() == "'window'");
  CHECK(std::string(e.what()).ends_with(in_file));

  SUBCASE("iteration and untyped reads name key and file for entries that do not decode") {
    s.save();
    const std::string broken = "\x80\x04\x95";  // truncated inside a FRAME
    {
      RawDb raw(file);
      raw.exec_with_blob("UPDATE entries SET pickle = ?1 WHERE key = 'name'", broken);
      raw.exec_with_blob("UPDATE entries SET digest = ?1 WHERE key = 'name'", sha256(broken));
    }
    Session again(file, fast());
    try {
      for (const auto& [key, value] : again) (void)value;
      FAIL("iterated over an entry that does not decode");
    } catch (const picklejar::DecodeError& error) {
      CHECK(std::string(error.what()).find("key 'name' in '" + file.string() + "'") !=
            std::string::npos);
    }
  }
}

TEST_CASE("Session reading: get_or with on_error survives bad entries and says what was wrong") {
  ScratchDir dir;
  const auto file = dir / "state.pj";
  write_with_python(file);
  {
    Session s(file, fast());
    s.set("damaged", "a value whose digest will not match");
    s.set("undecodable", 1);
    s.save();
  }
  {
    RawDb raw(file);
    raw.exec("UPDATE entries SET digest = zeroblob(32) WHERE key = 'damaged'");
    const std::string broken = "\x80\x04K";  // BININT1 without its byte
    raw.exec_with_blob("UPDATE entries SET pickle = ?1 WHERE key = 'undecodable'", broken);
    raw.exec_with_blob("UPDATE entries SET digest = ?1 WHERE key = 'undecodable'", sha256(broken));
  }
  Session s(file, fast());
  std::vector<std::string> errors;
  const auto report = [&errors](const picklejar::Error& e) { errors.emplace_back(e.what()); };
  const std::string in_file = " in '" + file.string() + "'";

  using namespace std::chrono;
  // Good values are read; nothing is reported for them or for a missing key.
  const auto opened = s.get_or("opened", sys_seconds{}, report);
  CHECK(opened == sys_days(year{2024} / 7 / 1) + hours{7} + minutes{30});  // 09:30 CEST
  CHECK(s.get_or("recent", std::vector<std::string>{}, report) ==
        std::vector<std::string>{"notes.txt", "plan.md"});
  CHECK(s.get_or("missing", 7, report) == 7);
  CHECK(errors.empty());

  // Each bad entry: the fallback, and one report naming key and file.
  CHECK(s.get_or("window", deskapp::Window{}, report) == deskapp::Window{});
  CHECK(s.get_or("landed", sys_seconds{}, report) == sys_seconds{});
  CHECK(s.get_or("theme", "light", report) == "light");
  CHECK(s.get_or("damaged", std::string("fallback"), report) == "fallback");
  CHECK(s.get_or("undecodable", 0, report) == 0);
  REQUIRE(errors.size() == 5);
  CHECK(errors[0].starts_with("'window': expected deskapp.state.WindowGeometry"));
  CHECK(errors[0].find("got pathlib.PurePosixPath") != std::string::npos);
  CHECK(errors[0].ends_with(in_file));
  CHECK(errors[1] ==
        "'landed': tzinfo zoneinfo.ZoneInfo('Mars/Olympus'): no such zone in the "
        "time zone database (/usr/share/zoneinfo, /usr/lib/zoneinfo, "
        "/usr/share/lib/zoneinfo, /etc/zoneinfo)" +
            in_file);
  CHECK(errors[2] == "'theme': expected str, got int" + in_file);
  CHECK(errors[3] == "integrity check failed for key 'damaged' in '" + file.string() +
                         "': its SHA-256 does not match its pickle");
  CHECK(errors[4].find("key 'undecodable' in '" + file.string() + "'") != std::string::npos);

  // The entries stay as they are; without on_error a bad entry still throws.
  CHECK_FALSE(s.has_unsaved_changes());
  CHECK_THROWS_AS((void)s.get_or("window", deskapp::Window{}), EntryCodecError);
  CHECK_THROWS_AS((void)s.get_or("damaged", std::string()), picklejar::IntegrityError);
  // Other errors are not a bad entry: they propagate.
  s.close();
  CHECK_THROWS_AS((void)s.get_or("opened", sys_seconds{}, report), picklejar::StoreError);
}

TEST_CASE("Session reading: get_or's fallback types: string literals, braces with a type") {
  ScratchDir dir;
  Session s(dir / "a.pj", fast());
  s.set("recent", std::vector<std::string>{"a.txt"});
  // A string literal fallback reads a std::string (the const char* overload).
  const std::string theme = s.get_or("theme", "light");
  CHECK(theme == "light");
  // {} with the type spelled out: the obvious meaning (get_or("k", {}) does not compile:
  // test_session_get_or_braces.cpp).
  const std::string none = s.get_or<std::string>("missing", {});
  CHECK(none.empty());
  const std::vector<std::string> recent = s.get_or<std::vector<std::string>>("recent", {});
  CHECK(recent == std::vector<std::string>{"a.txt"});
  const std::vector<std::string> absent = s.get_or<std::vector<std::string>>("absent", {});
  CHECK(absent.empty());
  int calls = 0;
  const auto count = [&calls](const picklejar::Error&) { ++calls; };
  CHECK(s.get_or<std::string>("recent", {}, count).empty());
  CHECK(s.get_or("recent", "x", count) == "x");
  CHECK(calls == 2);
}
