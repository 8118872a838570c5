// Python class instances for codec_class.hpp: the recipe Python 3 pickles for an instance of
// a plain class, and every form CPython writes for one when reading.

#include <fmt/format.h>

#include <span>
#include <string>
#include <string_view>

#include <picklejar/codec_class.hpp>

#include "recipes.hpp"

namespace picklejar::detail {
namespace {

// True when `cls` names module.qualname: the global itself or, for a nested class below
// protocol 4, getattr(<module.Outer>, 'Inner').
bool names_class(const Value& cls, std::string_view module, std::string_view qualname) {
  if (cls.is_global()) return is_global_named(cls, module, qualname);
  if (!cls.is_object() || cls.object_form() != ObjectForm::reduce ||
      !is_global_named(cls.object_callable(), "builtins", "getattr")) {
    return false;
  }
  const Value args = cls.object_args();
  const std::size_t dot = qualname.rfind('.');
  if (args.size() != 2 || dot == std::string_view::npos || !args.at(1).is_str() ||
      args.at(1).as_str() != qualname.substr(dot + 1)) {
    return false;
  }
  return names_class(args.at(0), module, qualname.substr(0, dot));
}

// The class of an instance recipe that takes no constructor arguments, or an empty Value.
Value instance_class(const Value& v) {
  if (!v.is_object()) return {};
  const Value args = v.object_args();
  switch (v.object_form()) {
    case ObjectForm::newobj:
    case ObjectForm::inst:
    case ObjectForm::obj:
    case ObjectForm::reconstructor:
      return args.empty() ? v.object_callable() : Value();
    case ObjectForm::newobj_ex:
      return args.empty() && v.object_kwargs().empty() ? v.object_callable() : Value();
    case ObjectForm::reduce:
      // copyreg._reconstructor(cls, object, None) that the decoder left as a REDUCE because
      // cls is not a plain global (a nested class at protocols 0-1).
      if (is_global_named(v.object_callable(), "copyreg", "_reconstructor") && args.size() == 3 &&
          is_global_named(args.at(1), "builtins", "object") && args.at(2).is_none()) {
        return args.at(0);
      }
      return {};
  }
  return {};
}

// The attributes in a BUILD state: a dict, None, or (dict or None, slots dict or None).
Value state_attributes(const Value& state, std::string_view module, std::string_view qualname) {
  if (state.is_none()) return Value::dict();
  if (state.is_dict()) return state;
  if (state.is_tuple() && state.size() == 2) {
    const Value instance_dict = state.at(0);
    const Value slots = state.at(1);
    if ((instance_dict.is_none() || instance_dict.is_dict()) &&
        (slots.is_none() || slots.is_dict())) {
      Value merged = Value::dict();
      for (const Value& part : {instance_dict, slots}) {
        if (!part.is_dict()) continue;
        for (const auto& [key, item] : part.items()) merged.set(key, item);
      }
      return merged;
    }
  }
  throw_malformed(module, qualname,
                  fmt::format("its state is a {}, not an attribute dict", type_name(state)));
}

}  // namespace

Value instance_value(std::string_view module, std::string_view qualname, Value attributes) {
  Value instance =
      Value::object(Value::global(module, qualname), Value::tuple(), ObjectForm::newobj);
  if (!attributes.empty()) instance.set_object_state(std::move(attributes));
  return instance;
}

Value instance_attributes(const Value& v, std::string_view module, std::string_view qualname) {
  const Value cls = instance_class(v);
  if (cls.is_none() || !names_class(cls, module, qualname)) {
    if (v.is_object() && names_class(v.object_callable(), module, qualname)) {
      throw CodecError(fmt::format(
          "the {}.{} instance was built with constructor arguments, which a mapped struct "
          "cannot take",
          module, qualname));
    }
    throw_expected(fmt::format("{}.{} instance", module, qualname), v);
  }
  return state_attributes(v.object_state(), module, qualname);
}

void throw_missing_attribute(std::string_view module, std::string_view qualname,
                             std::string_view name) {
  throw CodecError("." + std::string(name),
                   fmt::format("attribute missing from the {}.{} instance", module, qualname));
}

void check_no_extra_attributes(const Value& attributes, std::span<const std::string_view> names,
                               std::string_view module, std::string_view qualname) {
  for (const Value key : attributes) {
    bool listed = false;
    for (const std::string_view name : names)
      listed = listed || (key.is_str() && key.as_str() == name);
    if (listed) continue;
    if (!key.is_str()) {
      throw_malformed(module, qualname, "an attribute name is a " + type_name(key) + ", not a str");
    }
    throw CodecError("." + std::string(key.as_str()),
                     fmt::format("attribute not in the C++ struct mapped to {}.{} "
                                 "(ExtraAttributes::error)",
                                 module, qualname));
  }
}

}  // namespace picklejar::detail
