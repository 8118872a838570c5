#include "meta.hpp"

#include <fmt/format.h>

#include <chrono>

#include <picklejar/error.hpp>

#include "picklejar_version.hpp"

namespace picklejar::store {

std::string_view library_version() noexcept { return PICKLEJAR_VERSION; }

std::int64_t now_us() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

std::int64_t next_revision(const std::string& name, std::int64_t revision) {
  if (revision >= kMaxRevision)
    throw FormatError(name, std::nullopt,
                      fmt::format("cannot write to '{}': its revision is {}, the largest a file "
                                  "may hold",
                                  name, revision));
  return revision + 1;
}

}  // namespace picklejar::store
