#pragma once
// Which of numpy's pickle recipes a Value is, by the exact global it calls (internal).
//
// Recognition is a look at names only: the decoder produced an inert recipe and nothing here
// resolves or calls anything. numpy 1.x pickles name numpy.core.*, numpy 2.x numpy._core.*;
// both are read. Anything else is not numpy's (RecipeKind::none), however alike its name.

#include <cstdint>
#include <string_view>

#include <picklejar/value.hpp>

namespace picklejar::numpy {

enum class RecipeKind : std::uint8_t {
  none,
  reconstruct,  // multiarray._reconstruct(ndarray, (0,), b'b') + BUILD state: protocols 2-4
  frombuffer,   // numeric._frombuffer(buffer, dtype, shape, order[, axis_order]): protocol 5
  scalar,       // multiarray.scalar(dtype, data)
};

// The package a recipe names its functions under.
enum class Package : std::uint8_t {
  core,        // numpy.core: numpy 1.x
  underscore,  // numpy._core: numpy 2.x
};

struct Recipe {
  RecipeKind kind = RecipeKind::none;
  Package package = Package::core;
};

// A REDUCE recipe whose callable is one of numpy's functions above, or none.
Recipe recognize(const Value& v) noexcept;

// The global numpy.dtype / numpy.ndarray.
bool is_dtype_class(const Value& v) noexcept;
bool is_ndarray_class(const Value& v) noexcept;

// The module numpy writes a recipe's function in ("numpy.core.multiarray", ...), and its name.
std::string_view module_of(RecipeKind kind, Package package) noexcept;
std::string_view function_of(RecipeKind kind) noexcept;

}  // namespace picklejar::numpy
