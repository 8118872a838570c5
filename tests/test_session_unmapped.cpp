// Not part of any test executable: tests/gen/expect_compile_error.py compiles it once per case
// (-DCASE_SET, -DCASE_ADD, -DCASE_UPDATE, -DCASE_GET, -DCASE_GET_OR). With
// PICKLEJAR_EXPECT_SUCCESS the type is mapped and it must compile; without, each Session entry
// point taking the unmapped type must stop compilation with to_value's or from_value's
// static_assert that lists the ways to map it — not "constraints not satisfied" (which set(),
// add() and update() said before).

#include <picklejar/session.hpp>

#include <map>
#include <string>

namespace app {
struct Geometry {
  int x = 0, y = 0;
};
#ifdef PICKLEJAR_EXPECT_SUCCESS
PICKLEJAR_CLASS(Geometry, "app", "Geometry", x, y);
#endif
}  // namespace app

int use(picklejar::Session& s) {
  const app::Geometry g{1, 2};
  int result = 0;
#if defined(CASE_SET) || defined(PICKLEJAR_EXPECT_SUCCESS)
  s.set("g", g);
#endif
#if defined(CASE_ADD) || defined(PICKLEJAR_EXPECT_SUCCESS)
  result += s.add("g", g) ? 1 : 0;
#endif
#if defined(CASE_UPDATE) || defined(PICKLEJAR_EXPECT_SUCCESS)
  s.update(std::map<std::string, app::Geometry>{{"g", g}});
#endif
#if defined(CASE_GET) || defined(PICKLEJAR_EXPECT_SUCCESS)
  result += s.get<app::Geometry>("g").x;
#endif
#if defined(CASE_GET_OR) || defined(PICKLEJAR_EXPECT_SUCCESS)
  result += s.get_or("g", g).y;
#endif
  return result;
}
