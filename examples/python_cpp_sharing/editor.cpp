// A C++ application that keeps its state in a picklejar session, which a Python tool
// (edit_state.py) reads and edits while the application is not running — or while it is:
// the session file's locks keep them apart.
//
//   editor state.pj open notes.txt     records that a document was opened
//   python3 edit_state.py state.pj     Python reads, edits and saves the same file
//   editor state.pj show               the application sees what Python changed
//
// The window is a C++ struct that Python loads as its own class shared_state.Window.

#include <picklejar/picklejar.hpp>
#include <picklejar/session.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace shared_state {

struct Window {
  int width = 800;
  int height = 600;
  std::string title = "editor";
  friend bool operator==(const Window&, const Window&) = default;
};
PICKLEJAR_CLASS(Window, "shared_state", "Window", width, height, title);

}  // namespace shared_state

namespace {

using shared_state::Window;

// One atomic read-modify-write: launches + 1, the document first in the recent list.
void open_document(picklejar::Session& s, const std::string& name) {
  s.transact([&](picklejar::Session& t) {
    t.set("launches", t.get_or<std::int64_t>("launches", 0) + 1);
    auto recent = t.get_or<std::vector<std::string>>("recent", {});
    std::erase(recent, name);
    recent.insert(recent.begin(), name);
    if (recent.size() > 5) recent.resize(5);
    t.set("recent", recent);
    if (!t.contains("window")) t.set("window", Window{});
  });
}

void show(const picklejar::Session& s) {
  fmt::print("launches: {}\n", s.get_or<std::int64_t>("launches", 0));
  fmt::print("recent: {}\n", fmt::join(s.get_or<std::vector<std::string>>("recent", {}), ", "));
  const auto window = s.get_or<Window>("window", Window{});
  fmt::print("window: {}x{} '{}'\n", window.width, window.height, window.title);
  fmt::print("theme: {}\n", s.get_or("theme", "light"));
}

}  // namespace

int main(int argc, char** argv) {
  const std::string command = argc >= 3 ? argv[2] : "";
  if (!((command == "open" && argc == 4) || (command == "show" && argc == 3))) {
    fmt::print(stderr, "usage: editor FILE open NAME | editor FILE show\n");
    return 2;
  }
  try {
    picklejar::Session session(argv[1]);  // created when missing
    if (command == "open") {
      open_document(session, argv[3]);
    } else {
      show(session);
    }
  } catch (const picklejar::Error& e) {
    fmt::print(stderr, "editor: {}\n", e.what());
    return 1;
  }
  return 0;
}
