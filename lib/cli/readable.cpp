#include "readable.hpp"

#include <fmt/format.h>

namespace picklejar::cli {

void require_readable(std::string_view pickle, const DecodeOptions& options,
                      const std::string& what) {
  try {
    loads(pickle, options);
  } catch (const DecodeError& e) {
    throw EncodeError(fmt::format(
        "{} is not written: picklejar's decoder would refuse its pickle ({}{})", what, e.reason(),
        e.position() ? fmt::format(", at offset {}", e.position()->offset) : std::string()));
  }
}

JsonReadOptions json_read_options() {
  JsonReadOptions options;
  options.max_depth = 4 * DecodeLimits{}.max_depth;
  return options;
}

}  // namespace picklejar::cli
