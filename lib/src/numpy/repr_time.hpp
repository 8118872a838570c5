#pragma once
// datetime64 values as numpy writes them in reprs (internal): '2020-01-01', '2020-01-01T12',
// '1970-01-01T00:00:00.000000001', 'NaT'.

#include <cstdint>
#include <optional>
#include <string>

#include <picklejar/ndarray.hpp>

namespace picklejar::numpy {

// numpy's datetime_as_string of `ticks` units of `count` x `unit` since 1970-01-01 (NaT for
// INT64_MIN); nullopt for a generic unit or a date too far out to compute.
std::optional<std::string> datetime_text(std::int64_t ticks, TimeUnit unit, std::int64_t count);

}  // namespace picklejar::numpy
