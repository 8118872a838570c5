// Which numpy recipes to_json() writes in compact form, and what (numpy_forms.hpp). The checks
// mirror, part for part, what Builder::ndarray and Builder::dtype rebuild (build_numpy.cpp).

#include "numpy_forms.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>

namespace picklejar::json {
namespace {

using detail::Node;
using detail::Slot;
using detail::Tag;

constexpr std::array<std::string_view, 14> kUnits{"generic", "Y",  "M",  "W",  "D",  "h",  "m",
                                                  "s",       "ms", "us", "ns", "ps", "fs", "as"};

bool is_node(const Slot& s, Kind kind) { return s.tag == Tag::node && s.as.node->kind == kind; }
bool is_int(const Slot& s, std::int64_t value) {
  return s.tag == Tag::small_int && s.as.small_int == value;
}
bool is_bool(const Slot& s, bool value) { return s.tag == Tag::boolean && s.as.boolean == value; }
std::string_view text_of(const Slot& s) { return detail::as_str(s.as.node).text(); }

// A node of `kind` that nothing but this slot refers to.
bool private_node(const Slot& s, Kind kind, GraphInfo& graph) {
  return is_node(s, kind) && graph.at(s.as.node).refs == 1;
}

// A private tuple of `size` items.
const detail::ArenaVector<Slot>* private_tuple(const Slot& s, std::size_t size, GraphInfo& graph) {
  if (!private_node(s, Kind::tuple, graph)) return nullptr;
  const auto& items = detail::as_sequence(s.as.node).items;
  return items.size() == size ? &items : nullptr;
}

// The global module.name, its names the pooled strs (which reading gives it).
bool pooled_global(const Slot& s, std::string_view module, std::string_view name,
                   GraphInfo& graph) {
  if (!is_node(s, Kind::global)) return false;
  const auto& g = detail::as_global(s.as.node);
  return text_of(g.module) == module && text_of(g.name) == name &&
         graph.at(g.module.as.node).pooled && graph.at(g.name.as.node).pooled;
}

// A REDUCE recipe with nothing but a callable and args (and the state, if `state`).
bool plain_reduce(const detail::ObjectNode& o, bool state) {
  return o.form == ObjectForm::reduce && o.kwargs.tag == Tag::none && o.listitems.empty() &&
         o.dictitems.empty() && (state || o.state.tag == Tag::none);
}

// numpy's elsize, alignment and flags in a dtype's state, for a type string.
struct Sizes {
  std::int64_t elsize = -1, alignment = -1, flags = 0;
};
Sizes sizes_of(std::string_view type) {
  std::int64_t n = 0;
  std::from_chars(type.data() + 1, type.data() + type.size(), n);
  if (type[0] == 'S') return {n, 1, 0};
  if (type[0] == 'U') return {4 * n, 4, 8};
  return {};
}

// The part written as a value when something else refers to it, else implied (null): a node
// that reading would make the same way.
const Slot* unless_private(const Slot& s, bool same_as_implied, GraphInfo& graph) {
  if (s.tag == Tag::node && graph.at(s.as.node).refs == 1 && same_as_implied) return nullptr;
  return &s;
}

}  // namespace

std::string DTypeText::text() const {
  std::string out = std::string(1, endian) + type;
  if (time() && unit != "generic") {
    out += count == 1 ? fmt::format("[{}]", unit) : fmt::format("[{}{}]", count, unit);
  }
  return out;
}

std::optional<DTypeText> parse_dtype_text(std::string_view text) {
  if (text.size() < 3 || std::string_view("<>|=").find(text[0]) == std::string_view::npos)
    return std::nullopt;
  DTypeText d;
  d.endian = text[0];
  const auto bracket = text.find('[');
  d.type = std::string(text.substr(1, bracket == std::string_view::npos ? bracket : bracket - 1));
  std::size_t size = 0;
  const auto [end, error] = std::from_chars(d.type.data() + 1, d.type.data() + d.type.size(), size);
  if (error != std::errc() || end != d.type.data() + d.type.size() || d.type.size() > 12)
    return std::nullopt;
  const char kind = d.type[0];
  const bool sized =
      (kind == 'b' && size == 1) ||
      ((kind == 'i' || kind == 'u') && (size == 1 || size == 2 || size == 4 || size == 8)) ||
      (kind == 'f' && (size == 2 || size == 4 || size == 8)) ||
      (kind == 'c' && (size == 8 || size == 16)) ||
      ((kind == 'S' || kind == 'U') && size > 0 && size <= (1u << 28)) ||
      ((kind == 'M' || kind == 'm') && size == 8);
  if (!sized) return std::nullopt;
  if (!d.time()) {
    if (bracket != std::string_view::npos) return std::nullopt;
    return d;
  }
  d.unit = "generic";
  if (bracket == std::string_view::npos) return d;
  if (text.back() != ']') return std::nullopt;
  std::string_view inner = text.substr(bracket + 1, text.size() - bracket - 2);
  std::size_t digits = 0;
  while (digits < inner.size() && inner[digits] >= '0' && inner[digits] <= '9') ++digits;
  if (digits > 0) {
    const auto [p, e] = std::from_chars(inner.data(), inner.data() + digits, d.count);
    if (e != std::errc() || d.count < 1 || d.count > INT32_MAX) return std::nullopt;
  }
  d.unit = std::string(inner.substr(digits));
  if (d.unit == "generic" || std::find(kUnits.begin(), kUnits.end(), d.unit) == kUnits.end())
    return std::nullopt;
  return d;
}

std::optional<DTypeForm> dtype_form(Node* n, GraphInfo& graph) {
  const auto& o = detail::as_object(n);
  if (!plain_reduce(o, true) || !pooled_global(o.callable, "numpy", "dtype", graph))
    return std::nullopt;
  const auto* args = private_tuple(o.args, 3, graph);
  if (!args || !private_node((*args)[0], Kind::str, graph) || !is_bool((*args)[1], false) ||
      !is_bool((*args)[2], true))
    return std::nullopt;
  if (!is_node(o.state, Kind::tuple) || graph.at(o.state.as.node).refs != 1) return std::nullopt;
  const auto& state = detail::as_sequence(o.state.as.node).items;
  const std::string_view type = text_of((*args)[0]);
  const bool time = type == "M8" || type == "m8";
  if (state.size() != (time ? 9u : 8u) || !is_int(state[0], time ? 4 : 3) ||
      !is_node(state[1], Kind::str) || text_of(state[1]).size() != 1 || state[2].tag != Tag::none ||
      state[3].tag != Tag::none || state[4].tag != Tag::none)
    return std::nullopt;
  DTypeForm form;
  DTypeText text;
  text.endian = text_of(state[1])[0];
  text.type = std::string(type);
  std::string unit_text = "generic";
  if (time) {
    const auto* meta = private_tuple(state[8], 2, graph);
    const auto* info = meta ? private_tuple((*meta)[1], 4, graph) : nullptr;
    if (!info || !is_node((*info)[0], Kind::bytes) || (*info)[1].tag != Tag::small_int ||
        !is_int((*info)[2], 1) || !is_int((*info)[3], 1))
      return std::nullopt;
    const auto unit = detail::as_bytes((*info)[0].as.node).view();
    unit_text.assign(reinterpret_cast<const char*>(unit.data()), unit.size());
    text.unit = unit_text;
    text.count = (*info)[1].as.small_int;
    const Slot& metadata = (*meta)[0];
    form.metadata = unless_private(
        metadata,
        is_node(metadata, Kind::dict) && detail::as_table(metadata.as.node).table.size() == 0 &&
            detail::as_table(metadata.as.node).flavor == DictFlavor::dict,
        graph);
    form.unit = unless_private((*info)[0], true, graph);
  }
  const auto parsed = parse_dtype_text(text.text());
  if (!parsed || parsed->unit != (time ? unit_text : "") || parsed->count != text.count)
    return std::nullopt;
  const Sizes sizes = sizes_of(type);
  if (!is_int(state[5], sizes.elsize) || !is_int(state[6], sizes.alignment) ||
      !is_int(state[7], sizes.flags))
    return std::nullopt;
  form.text = *parsed;
  form.endian = unless_private(state[1], true, graph);
  return form;
}

std::optional<ArrayForm> array_form(Node* n, GraphInfo& graph) {
  const auto& o = detail::as_object(n);
  if (!is_node(o.callable, Kind::global)) return std::nullopt;
  ArrayForm form;
  const auto& g = detail::as_global(o.callable.as.node);
  for (const auto kind :
       {numpy::RecipeKind::reconstruct, numpy::RecipeKind::frombuffer, numpy::RecipeKind::scalar}) {
    for (const auto package : {numpy::Package::core, numpy::Package::underscore}) {
      if (text_of(g.module) == numpy::module_of(kind, package) &&
          text_of(g.name) == numpy::function_of(kind))
        form.kind = kind, form.package = package;
    }
  }
  if (form.kind == numpy::RecipeKind::none ||
      !pooled_global(o.callable, numpy::module_of(form.kind, form.package),
                     numpy::function_of(form.kind), graph) ||
      !plain_reduce(o, form.kind == numpy::RecipeKind::reconstruct))
    return std::nullopt;
  switch (form.kind) {
    case numpy::RecipeKind::frombuffer: {
      const auto* args = private_tuple(o.args, 4, graph);
      if (!args || !is_node((*args)[2], Kind::tuple)) return std::nullopt;
      form.data = &(*args)[0], form.dtype = &(*args)[1], form.shape = &(*args)[2];
      form.order = &(*args)[3];
      return form;
    }
    case numpy::RecipeKind::scalar: {
      const auto* args = private_tuple(o.args, 2, graph);
      if (!args) return std::nullopt;
      form.dtype = &(*args)[0], form.data = &(*args)[1];
      return form;
    }
    default:
      break;
  }
  const auto* args = private_tuple(o.args, 3, graph);
  const auto* state = private_tuple(o.state, 5, graph);
  if (!args || !state || !pooled_global((*args)[0], "numpy", "ndarray", graph)) return std::nullopt;
  const auto* zero = private_tuple((*args)[1], 1, graph);
  if (!zero || !is_int((*zero)[0], 0) || !is_int((*state)[0], 1) ||
      !is_node((*state)[1], Kind::tuple))
    return std::nullopt;
  const Slot& typecode = (*args)[2];
  form.typecode = unless_private(typecode,
                                 is_node(typecode, Kind::bytes) &&
                                     detail::as_bytes(typecode.as.node).view().size() == 1 &&
                                     detail::as_bytes(typecode.as.node).view()[0] == std::byte{'b'},
                                 graph);
  form.shape = &(*state)[1], form.dtype = &(*state)[2], form.fortran = &(*state)[3];
  form.data = &(*state)[4];
  return form;
}

}  // namespace picklejar::json
