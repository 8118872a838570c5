// Object recipes shared by the datetime, Python-type and class codecs.

#include "recipes.hpp"

#include <fmt/format.h>

#include <picklejar/codec_core.hpp>

namespace picklejar::detail {
namespace {

// How Python prints the class: builtins are named without their module.
std::string class_name(std::string_view module, std::string_view qualname) {
  if (module == "builtins") return std::string(qualname);
  return fmt::format("{}.{}", module, qualname);
}

}  // namespace

bool is_global_named(const Value& v, std::string_view module, std::string_view qualname) {
  return v.is_global() && v.global_module() == module && v.global_name() == qualname;
}

Value make_reduce(std::string_view module, std::string_view qualname,
                  std::initializer_list<Value> args) {
  return Value::object(Value::global(module, qualname), Value::tuple(args), ObjectForm::reduce);
}

Value reduce_args(const Value& v, std::string_view module, std::string_view qualname) {
  if (!v.is_object() || v.object_form() != ObjectForm::reduce ||
      !is_global_named(v.object_callable(), module, qualname)) {
    throw_expected(class_name(module, qualname), v);
  }
  return v.object_args();
}

void throw_malformed(std::string_view module, std::string_view qualname, std::string_view why) {
  throw CodecError(fmt::format("malformed {}: {}", class_name(module, qualname), why));
}

}  // namespace picklejar::detail
