// Not part of any test executable: tests/gen/expect_compile_error.py compiles it twice.
// With PICKLEJAR_EXPECT_SUCCESS it maps Widget and must compile; without, to_value and
// from_value must stop compilation with the static_assert that lists the accepted forms.

#include <picklejar/codec.hpp>

#include <vector>

namespace unmapped {
struct Widget {
  int x = 0;
};
#ifdef PICKLEJAR_EXPECT_SUCCESS
PICKLEJAR_CLASS(Widget, "unmapped", "Widget", x);
#endif
}  // namespace unmapped

int main() {
  const picklejar::Value v = picklejar::to_value(std::vector<unmapped::Widget>(1));
  return static_cast<int>(picklejar::from_value<unmapped::Widget>(v.at(0)).x);
}
