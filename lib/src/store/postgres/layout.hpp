#pragma once
// The layout of the picklejar tables this library reads and writes (internal;
// docs/FORMAT-POSTGRES.md "Versions").

#include <cstdint>

namespace picklejar::store {

inline constexpr std::int64_t kLayoutVersion = 1;

}  // namespace picklejar::store
