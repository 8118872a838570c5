// from_json(): numpy's compact forms, "$ndarray" and "$dtype" (docs/JSON.md, "numpy arrays").
// Each rebuilds the recipe numpy writes: the parts the JSON gives are placed where they go,
// the implied ones made afresh, exactly as numpy_forms.cpp expects them when writing.

#include <fmt/format.h>

#include <array>
#include <charconv>

#include "build.hpp"
#include "numpy_forms.hpp"

namespace picklejar::json {
namespace {

constexpr auto kNone = JsonDom::kNone;

detail::SequenceNode* tuple_of(detail::Heap& heap, std::initializer_list<Slot> items) {
  auto* t = heap.make<detail::SequenceNode>(Kind::tuple);
  t->items.assign(items.begin(), items.end());
  return t;
}

}  // namespace

std::vector<std::uint32_t> Builder::fields(std::uint32_t object,
                                           std::span<const std::string_view> names,
                                           std::string_view what) {
  require(object, JsonDom::Type::object, what);
  std::vector<std::uint32_t> found(names.size(), kNone);
  for (auto c = dom_.first_child(object); c != kNone; c = dom_.at(c).next) {
    const std::string_view name = dom_.key(dom_.at(c));
    std::size_t i = 0;
    while (i < names.size() && names[i] != name) ++i;
    if (i == names.size()) {
      fail(c,
           fmt::format("unknown {} field '{}' (fields: {})", what, name, fmt::join(names, ", ")));
    }
    if (found[i] != kNone) fail(c, fmt::format("{} field '{}' appears twice", what, name));
    found[i] = c;
  }
  return found;
}

Slot Builder::pooled_global(std::string_view module, std::string_view name) {
  auto* node = heap_->make<detail::GlobalNode>();
  node->module = pooled_str(module);
  node->name = pooled_str(name);
  globals_.push_back(node);
  return detail::node_slot(node);
}

Slot Builder::dtype(std::uint32_t payload) {
  std::uint32_t text_element = payload, endian = kNone, metadata = kNone, unit = kNone;
  if (dom_.at(payload).type == JsonDom::Type::object) {
    static constexpr std::array<std::string_view, 4> kFields{"str", "endian", "metadata", "unit"};
    const auto f = fields(payload, kFields, "$dtype");
    text_element = f[0], endian = f[1], metadata = f[2], unit = f[3];
    if (text_element == kNone) fail(payload, "$dtype needs a 'str'");
  }
  const std::string_view text = string_of(text_element, "$dtype");
  const auto d = parse_dtype_text(text);
  if (!d) {
    fail(text_element, fmt::format("$dtype '{}' is not a dtype numpy writes ('<f8', '|b1', "
                                   "'<U3', '|S5', '<M8[ns]', ...)",
                                   text));
  }
  if (!d->time() && (metadata != kNone || unit != kNone))
    fail(payload, "'metadata' and 'unit' go with datetime64 and timedelta64 only");
  const std::string type = d->type;
  std::int64_t size = 0;
  std::from_chars(type.data() + 1, type.data() + type.size(), size);
  const bool flexible = type[0] == 'S' || type[0] == 'U';
  const std::int64_t elsize = !flexible ? -1 : type[0] == 'U' ? 4 * size : size;
  const std::int64_t alignment = !flexible ? -1 : type[0] == 'U' ? 4 : 1;

  auto* node = heap_->make<detail::ObjectNode>();
  node->callable = pooled_global("numpy", "dtype");
  node->args = detail::node_slot(
      tuple_of(*heap_.get(), {new_str(type), detail::bool_slot(false), detail::bool_slot(true)}));
  auto* state = tuple_of(
      *heap_.get(), {detail::int_slot(d->time() ? 4 : 3), new_str(std::string_view(&d->endian, 1)),
                     Slot{}, Slot{}, Slot{}, detail::int_slot(elsize), detail::int_slot(alignment),
                     detail::int_slot(type[0] == 'U' ? 8 : 0)});
  node->state = detail::node_slot(state);
  detail::SequenceNode* meta = nullptr;
  detail::SequenceNode* info = nullptr;
  if (d->time()) {
    const Slot unit_bytes = unit != kNone ? Slot{}
                                          : detail::node_slot(heap_->make<detail::BytesNode>(
                                                Kind::bytes, std::string_view(d->unit)));
    const Slot empty =
        metadata != kNone ? Slot{} : detail::node_slot(heap_->make<detail::TableNode>(Kind::dict));
    info = tuple_of(*heap_.get(), {unit_bytes, detail::int_slot(d->count), detail::int_slot(1),
                                   detail::int_slot(1)});
    meta = tuple_of(*heap_.get(), {empty, detail::node_slot(info)});
    state->items.push_back(detail::node_slot(meta));
  }
  const std::size_t base = tasks_.size();
  if (endian != kNone) push(endian, &state->items[1], Role::value, Expect::str);
  if (metadata != kNone) push(metadata, &meta->items[0]);
  if (unit != kNone) push(unit, &info->items[0]);
  in_document_order(base);
  return detail::node_slot(node);
}

Slot Builder::ndarray(std::uint32_t payload) {
  static constexpr std::array<std::string_view, 8> kFields{"recipe", "numpy",   "dtype",    "shape",
                                                           "order",  "fortran", "typecode", "data"};
  const auto f = fields(payload, kFields, "$ndarray");
  const auto [recipe, package, dtype, shape, order, fortran, typecode, data] =
      std::array<std::uint32_t, 8>{f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7]};
  if (recipe == kNone) fail(payload, "$ndarray needs a 'recipe'");
  const std::string_view kind = string_of(recipe, "recipe");
  const bool frombuffer = kind == "frombuffer", reconstruct = kind == "reconstruct";
  if (!frombuffer && !reconstruct && kind != "scalar") {
    fail(recipe,
         fmt::format("unknown recipe '{}' (recipes: frombuffer, reconstruct, scalar)", kind));
  }
  numpy::Package pkg = numpy::Package::core;
  if (package != kNone) {
    const std::string_view name = string_of(package, "numpy");
    if (name == "numpy._core") {
      pkg = numpy::Package::underscore;
    } else if (name != "numpy.core") {
      fail(package, "'numpy' is \"numpy.core\" (numpy 1.x) or \"numpy._core\" (numpy 2.x)");
    }
  }
  const auto needs = [&](std::uint32_t field, std::string_view name, bool wanted) {
    if (wanted && field == kNone) fail(payload, fmt::format("$ndarray needs a '{}'", name));
    if (!wanted && field != kNone) {
      fail(field, fmt::format("'{}' does not go with recipe '{}'", name, kind));
    }
  };
  needs(dtype, "dtype", true);
  needs(data, "data", true);
  needs(shape, "shape", frombuffer || reconstruct);
  needs(order, "order", frombuffer);
  needs(fortran, "fortran", reconstruct);
  if (!reconstruct) needs(typecode, "typecode", false);

  const numpy::RecipeKind recipe_kind = frombuffer    ? numpy::RecipeKind::frombuffer
                                        : reconstruct ? numpy::RecipeKind::reconstruct
                                                      : numpy::RecipeKind::scalar;
  auto* node = heap_->make<detail::ObjectNode>();
  node->callable =
      pooled_global(numpy::module_of(recipe_kind, pkg), numpy::function_of(recipe_kind));
  const std::size_t base = tasks_.size();
  if (frombuffer) {
    auto* args = tuple_of(*heap_.get(), {Slot{}, Slot{}, Slot{}, Slot{}});
    node->args = detail::node_slot(args);
    push(data, &args->items[0]);
    push(dtype, &args->items[1]);
    push(shape, &args->items[2], Role::args, Expect::tuple);
    push(order, &args->items[3]);
  } else if (reconstruct) {
    auto* zero = tuple_of(*heap_.get(), {detail::int_slot(0)});
    const Slot b =
        typecode != kNone
            ? Slot{}
            : detail::node_slot(heap_->make<detail::BytesNode>(Kind::bytes, std::string_view("b")));
    auto* args =
        tuple_of(*heap_.get(), {pooled_global("numpy", "ndarray"), detail::node_slot(zero), b});
    auto* state = tuple_of(*heap_.get(), {detail::int_slot(1), Slot{}, Slot{}, Slot{}, Slot{}});
    node->args = detail::node_slot(args);
    node->state = detail::node_slot(state);
    push(shape, &state->items[1], Role::args, Expect::tuple);
    push(dtype, &state->items[2]);
    push(fortran, &state->items[3]);
    push(data, &state->items[4]);
    if (typecode != kNone) push(typecode, &args->items[2]);
  } else {
    auto* args = tuple_of(*heap_.get(), {Slot{}, Slot{}});
    node->args = detail::node_slot(args);
    push(dtype, &args->items[0]);
    push(data, &args->items[1]);
  }
  in_document_order(base);
  return detail::node_slot(node);
}

}  // namespace picklejar::json
