// Recognising numpy's recipes by name (see recipes.hpp).

#include "recipes.hpp"

namespace picklejar::numpy {
namespace {

bool is_global(const Value& v, std::string_view module, std::string_view name) noexcept {
  return v.is_global() && v.global_module() == module && v.global_name() == name;
}

}  // namespace

std::string_view module_of(RecipeKind kind, Package package) noexcept {
  const bool v2 = package == Package::underscore;
  switch (kind) {
    case RecipeKind::reconstruct:
    case RecipeKind::scalar:
      return v2 ? "numpy._core.multiarray" : "numpy.core.multiarray";
    case RecipeKind::frombuffer:
      return v2 ? "numpy._core.numeric" : "numpy.core.numeric";
    case RecipeKind::none:
      break;
  }
  return {};
}

std::string_view function_of(RecipeKind kind) noexcept {
  switch (kind) {
    case RecipeKind::reconstruct:
      return "_reconstruct";
    case RecipeKind::frombuffer:
      return "_frombuffer";
    case RecipeKind::scalar:
      return "scalar";
    case RecipeKind::none:
      break;
  }
  return {};
}

Recipe recognize(const Value& v) noexcept {
  if (!v.is_object() || v.object_form() != ObjectForm::reduce) return {};
  const Value callable = v.object_callable();
  if (!callable.is_global()) return {};
  for (const auto kind : {RecipeKind::reconstruct, RecipeKind::frombuffer, RecipeKind::scalar}) {
    for (const auto package : {Package::core, Package::underscore}) {
      if (is_global(callable, module_of(kind, package), function_of(kind))) return {kind, package};
    }
  }
  return {};
}

bool is_dtype_class(const Value& v) noexcept { return is_global(v, "numpy", "dtype"); }
bool is_ndarray_class(const Value& v) noexcept { return is_global(v, "numpy", "ndarray"); }

}  // namespace picklejar::numpy
