// Not part of any test executable: tests/gen/expect_compile_error.py compiles it twice. A
// pointer other than a char pointer must not become a Value: C++ would convert it to bool,
// and `return p;` gave True. With PICKLEJAR_EXPECT_SUCCESS only the conversions that stay
// (str from char pointers, None from nullptr, bool from bool) are used, and it must compile.

#include <picklejar/value.hpp>

#include <vector>

picklejar::Value from(const std::vector<int>* p, const char* text) {
#ifdef PICKLEJAR_EXPECT_SUCCESS
  return p != nullptr ? picklejar::Value(text) : picklejar::Value(nullptr);
#else
  (void)text;
  return p;
#endif
}
