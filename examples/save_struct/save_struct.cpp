// Saves C++ structs as a pickle that Python loads as instances of its own class.
//
//   save_struct bookmarks.pickle
//   python3 load_struct.py bookmarks.pickle     (next to bookmarks.py, which has the class)
//
// PICKLEJAR_CLASS maps bookmarks::Bookmark to the Python class bookmarks.Bookmark, one
// instance attribute per listed member; the members map on their own (str, list of str,
// datetime.datetime in UTC, int). Reading the file back in C++ is from_value<T>(loads(...)).

#include <picklejar/picklejar.hpp>

#include <fmt/format.h>

#include <chrono>
#include <fstream>
#include <string>
#include <vector>

namespace bookmarks {

struct Bookmark {
  std::string title;
  std::string url;
  std::vector<std::string> tags;
  std::chrono::sys_seconds added;  // a datetime.datetime with tzinfo=timezone.utc
  int visits = 0;
};
PICKLEJAR_CLASS(Bookmark, "bookmarks", "Bookmark", title, url, tags, added, visits);

}  // namespace bookmarks

int main(int argc, char** argv) {
  if (argc != 2) {
    fmt::print(stderr, "usage: save_struct FILE\n");
    return 2;
  }
  using namespace std::chrono;
  const std::vector<bookmarks::Bookmark> saved = {
      {"picklejar",
       "https://example.org/picklejar",
       {"c++", "python"},
       sys_days(year{2024} / 3 / 14) + hours{9} + minutes{26},
       42},
      {"Caf\xc3\xa9 menu", "https://example.org/caf%C3%A9", {}, sys_days(year{2023} / 12 / 31), 3},
  };
  try {
    // The default protocol, 4, is read by every Python since 3.4.
    const std::string pickle = picklejar::dumps(picklejar::to_value(saved));
    std::ofstream file(argv[1], std::ios::binary);
    file.write(pickle.data(), static_cast<std::streamsize>(pickle.size()));
    if (!file.flush()) {
      fmt::print(stderr, "save_struct: cannot write {}\n", argv[1]);
      return 1;
    }
    // And back: the same structs, whoever wrote the file (C++ or Python).
    const auto loaded =
        picklejar::from_value<std::vector<bookmarks::Bookmark>>(picklejar::loads(pickle));
    fmt::print("saved {} bookmarks to {}; the first is '{}'\n", loaded.size(), argv[1],
               loaded.front().title);
  } catch (const picklejar::Error& e) {
    fmt::print(stderr, "save_struct: {}\n", e.what());
    return 1;
  }
  return 0;
}
