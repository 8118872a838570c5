// PICKLEJAR_CLASS naming something the type does not have as a data member stops compilation
// with one error naming it and the type, in a few lines (it used to be ~2,100 lines of notes
// about the expansion and of failed overloads).

#include <picklejar/codec.hpp>

namespace app {

struct Geometry {
  int x = 0;
  int y = 0;
};

#ifdef PICKLEJAR_EXPECT_SUCCESS
PICKLEJAR_CLASS(Geometry, "app", "Geometry", x, y);
#else
PICKLEJAR_CLASS(Geometry, "app", "Geometry", x, yy);
#endif

}  // namespace app

bool mapped() { return picklejar::to_value(app::Geometry{}).kind() == picklejar::Kind::object; }
