// JsonOptions::readable on values built in C++: the text forms of docs/JSON.md "Readable
// forms", and from_json() giving back an equal value (tests/cli/test_cli_readable_json.py
// checks the same against CPython's pickles).

#include <doctest/doctest.h>

#include <picklejar/codec.hpp>
#include <picklejar/json.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace readable_app {
struct RecentFile {
  std::string path;
  std::chrono::sys_time<std::chrono::microseconds> opened;
};
PICKLEJAR_CLASS(RecentFile, "deskapp.state", "RecentFile", path, opened);
}  // namespace readable_app

TEST_CASE("readable JSON of C++-written app state") {
  using namespace std::chrono;
  const auto opened = sys_days{year{2026} / 12 / 7} + 8h + 42min + 33s;
  const std::vector<readable_app::RecentFile> recent{{"/tmp/a", opened}};
  const picklejar::Value v = picklejar::to_value(recent);
  picklejar::JsonOptions options;
  options.readable = true;
  const std::string text = picklejar::to_json(v, options);
  CHECK(text == R"([{"$class":"deskapp.state.RecentFile","path":"/tmp/a",)"
                R"("opened":{"$datetime":"2026-12-07T08:42:33Z"}}])");
  CHECK(picklejar::from_json(text) == v);
  CHECK(picklejar::to_json(v).find("$object") != std::string::npos);  // default: recipes
  const auto back = picklejar::from_value<std::vector<readable_app::RecentFile>>(
      picklejar::from_json(R"([{"$class":"deskapp.state.RecentFile","path":"/b",)"
                           R"("opened":{"$datetime":"2026-12-07T10:42:33+02:00"}}])"));
  REQUIRE(back.size() == 1);
  CHECK(back[0].opened == opened);
  CHECK(back[0].path == "/b");
}

TEST_CASE("readable JSON errors name the tag and the place") {
  try {
    picklejar::from_json(R"({"w": {"$date": "2026-02-30"}})");
    FAIL("no error");
  } catch (const picklejar::JsonError& e) {
    CHECK(e.pointer() == "/w/$date");
    CHECK(e.reason() == "$date '2026-02-30' is not YYYY-MM-DD");
  }
}
