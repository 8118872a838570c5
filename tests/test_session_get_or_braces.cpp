// Not part of any test executable: tests/gen/expect_compile_error.py compiles it twice (once
// per case: -DCASE_STRING, -DCASE_VECTOR, -DCASE_ON_ERROR). With PICKLEJAR_EXPECT_SUCCESS the
// fallback's type is spelled out and it must compile; without, Session::get_or(key, {}) must
// stop compilation with its static_assert, instead of taking {} for a null const char* (which
// compiled and threw std::logic_error at run time).

#include <picklejar/session.hpp>

#include <string>
#include <vector>

std::string read(const picklejar::Session& s) {
  const auto report = [](const picklejar::Error&) {};
#ifdef PICKLEJAR_EXPECT_SUCCESS
  std::string v = s.get_or<std::string>("missing", {});
  std::vector<std::string> r = s.get_or<std::vector<std::string>>("recent", {});
  v += s.get_or<std::string>("missing", {}, report);
#elif defined(CASE_STRING)
  std::string v = s.get_or("missing", {});
  std::vector<std::string> r;
#elif defined(CASE_VECTOR)
  std::string v;
  std::vector<std::string> r = s.get_or("recent", {});
#elif defined(CASE_ON_ERROR)
  std::string v = s.get_or("missing", {}, report);
  std::vector<std::string> r;
#endif
  (void)report;
  return v + (r.empty() ? std::string() : r.front());
}
