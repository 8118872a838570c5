// A program outside picklejar's build, compiled against an installed picklejar by
// tests/packaging/test_install.py in every way the README names. It uses the session store,
// the codec and fmt through picklejar's headers (repr.hpp formats values with fmt).
//
//   consumer FILE   stores launches and recent files in the session FILE, prints the state

#include <picklejar/picklejar.hpp>

#include <fmt/format.h>

#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 2) {
    fmt::print(stderr, "usage: consumer FILE\n");
    return 2;
  }
  try {
    picklejar::Session session(argv[1]);
    const int launches = session.get_or("launches", 0);
    session.set("launches", launches + 1);
    session.set("recent", std::vector<std::string>{"notes.txt", "todo.txt"});
    session.save();

    const picklejar::Value state = picklejar::loads(picklejar::dumps(session.get("recent")));
    fmt::print("launches={} recent={}\n", launches + 1, state);
  } catch (const picklejar::Error& e) {
    fmt::print(stderr, "consumer: {}\n", e.what());
    return 1;
  }
  return 0;
}
