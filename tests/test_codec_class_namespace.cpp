// PICKLEJAR_CLASS written outside the namespace that declares the type stops compilation with
// one static_assert saying where it belongs (it used to surface only as to_value's "no mapping
// from this C++ type", since argument-dependent lookup cannot find the functions it defines).

#include <picklejar/codec.hpp>

namespace app {

struct Geometry {
  int x = 0;
  int y = 0;
};

#ifdef PICKLEJAR_EXPECT_SUCCESS
PICKLEJAR_CLASS(Geometry, "app", "Geometry", x, y);
#endif

}  // namespace app

#ifndef PICKLEJAR_EXPECT_SUCCESS
PICKLEJAR_CLASS(app::Geometry, "app", "Geometry", x, y);
#endif

bool mapped() { return picklejar::to_value(app::Geometry{}).kind() == picklejar::Kind::object; }
