#pragma once
// The chain of the app's own schema migrations (internal). docs/FORMAT.md "Versions" is the
// contract.

#include <cstdint>
#include <string>
#include <vector>

#include <picklejar/session.hpp>

namespace picklejar::store {

// The migrations leading from app schema version `from` to `to`, in order. FormatError
// naming `path` when there is no such chain.
std::vector<const Migration*> migration_path(const std::vector<Migration>& migrations,
                                             std::int64_t from, std::int64_t to,
                                             const std::string& path);

}  // namespace picklejar::store
