// from_json(): tagged objects, {"$tag": payload} with an optional "$id" (see docs/JSON.md).

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <utility>

#include "../value/utf8.hpp"
#include "build.hpp"
#include "scalars.hpp"

namespace picklejar::json {
namespace {

std::string_view type_name(JsonDom::Type type) {
  switch (type) {
    case JsonDom::Type::null:
      return "null";
    case JsonDom::Type::boolean:
      return "a boolean";
    case JsonDom::Type::integer:
    case JsonDom::Type::big_integer:
      return "an integer";
    case JsonDom::Type::floating:
      return "a number";
    case JsonDom::Type::string:
      return "a string";
    case JsonDom::Type::array:
      return "an array";
    case JsonDom::Type::object:
      return "an object";
  }
  return "?";
}

constexpr std::array<std::string_view, 7> kObjectFields{"form",  "callable",  "args",     "kwargs",
                                                        "state", "listitems", "dictitems"};

}  // namespace

void Builder::require(std::uint32_t element, JsonDom::Type type, std::string_view what) const {
  const JsonDom::Type actual = dom_.at(element).type;
  const bool integral = type == JsonDom::Type::integer && actual == JsonDom::Type::big_integer;
  if (actual != type && !integral) {
    fail(element, fmt::format("{} must be {}, not {}", what, type_name(type), type_name(actual)));
  }
}

std::string_view Builder::string_of(std::uint32_t element, std::string_view what) const {
  require(element, JsonDom::Type::string, what);
  return dom_.text(dom_.at(element));
}

Slot Builder::tagged(std::uint32_t element) {
  std::uint32_t payload = JsonDom::kNone, id = JsonDom::kNone, state = JsonDom::kNone;
  TagName tag = TagName::unknown;
  bool instance_attributes = false;  // {"$class": ..., "x": 1}: members other than tags
  for (auto c = dom_.first_child(element); c != JsonDom::kNone; c = dom_.at(c).next) {
    instance_attributes |= tag_name(dom_.key(dom_.at(c))) == TagName::class_;
  }
  for (auto c = dom_.first_child(element); c != JsonDom::kNone; c = dom_.at(c).next) {
    const std::string_view key = dom_.key(dom_.at(c));
    if (!is_tag_key(key) && instance_attributes) continue;
    if (!is_tag_key(key)) {
      fail(c, fmt::format("'{}' next to a tag: a tagged object holds only tags (a dict key "
                          "that starts with '$' is written with '$$')",
                          key));
    }
    const TagName t = tag_name(key);
    if (t == TagName::unknown) fail(c, fmt::format("unknown tag '{}'", key));
    std::uint32_t& slot = t == TagName::id ? id : t == TagName::state ? state : payload;
    if (slot != JsonDom::kNone) {
      const std::string_view first = dom_.key(dom_.at(slot));
      fail(c, first == key ? fmt::format("{} appears twice", key)
                           : fmt::format("{} and {} in one object", first, key));
    }
    slot = c;
    if (&slot == &payload) tag = t;
  }
  if (payload == JsonDom::kNone) {
    fail(element, "a tagged object needs a tag saying what it is ($tuple, $dict, $ref, ...)");
  }
  if (state != JsonDom::kNone && tag != TagName::odict) fail(state, "$state goes only with $odict");
  if (id != JsonDom::kNone && (tag == TagName::ref || tag == TagName::interned)) {
    fail(id, fmt::format("{} takes no $id", tag_text(tag)));
  }
  Slot s;
  switch (tag) {
    case TagName::ref: {
      require(payload, JsonDom::Type::integer, "$ref");
      const JsonDom::Element& e = dom_.at(payload);
      const bool small = e.type == JsonDom::Type::integer;  // else beyond 64 bits: no such id
      const auto it = small ? ids_.find(e.number.integer) : ids_.end();
      if (it == ids_.end()) {
        fail(payload,
             fmt::format("$ref {} names no $id defined before it",
                         small ? std::to_string(e.number.integer) : std::string(dom_.text(e))));
      }
      return it->second;
    }
    case TagName::interned:
      return pooled_str(string_of(payload, "$interned"));
    case TagName::list:
    case TagName::tuple:
    case TagName::set:
    case TagName::frozenset:
    case TagName::dict:
    case TagName::odict:
      s = tagged_container(tag, payload, state);
      break;
    case TagName::global:
      s = global(payload);
      break;
    case TagName::object:
      s = object(payload);
      break;
    case TagName::class_:
      s = instance(element, payload);
      break;
    case TagName::datetime:
    case TagName::date:
    case TagName::time:
    case TagName::timedelta:
    case TagName::decimal:
    case TagName::uuid:
    case TagName::path:
      s = readable_text(tag, payload);
      break;
    case TagName::ndarray:
      s = ndarray(payload);
      break;
    case TagName::dtype:
      s = dtype(payload);
      break;
    default:
      s = tagged_scalar(tag, payload);
      break;
  }
  if (id != JsonDom::kNone) define_id(id, s);
  return s;
}

Slot Builder::tagged_scalar(TagName tag, std::uint32_t payload) {
  const std::string_view what = tag_text(tag);
  switch (tag) {
    case TagName::str: {
      if (dom_.at(payload).type == JsonDom::Type::string)
        return new_str(dom_.text(dom_.at(payload)));
      require(payload, JsonDom::Type::array, "$str");
      std::string text;
      for (auto c = dom_.first_child(payload); c != JsonDom::kNone; c = dom_.at(c).next) {
        const JsonDom::Element& chunk = dom_.at(c);
        if (chunk.type == JsonDom::Type::string) {
          text += dom_.text(chunk);
        } else if (chunk.type == JsonDom::Type::integer && chunk.number.integer >= 0xD800 &&
                   chunk.number.integer <= 0xDFFF) {
          detail::append_utf8(text, static_cast<char32_t>(chunk.number.integer));
        } else {
          fail(c, "a $str chunk must be a string or a surrogate code point (55296-57343)");
        }
      }
      return new_str(text);
    }
    case TagName::integer:
      return big_integer(payload, string_of(payload, what));
    case TagName::floating: {
      const std::string_view text = string_of(payload, what);
      const auto value = parse_special_float(text);
      if (!value) {
        fail(payload, fmt::format("$float '{}' is not nan, -nan, inf, -inf or 0x and 16 hex "
                                  "digits of the bits (finite floats are plain numbers)",
                                  text));
      }
      return detail::float_slot(*value);
    }
    case TagName::bytes:
    case TagName::bytearray: {
      const auto data = base64_decode(string_of(payload, what));
      if (!data) fail(payload, fmt::format("{} is not base64 (RFC 4648, with padding)", what));
      return detail::node_slot(heap_->make<detail::BytesNode>(
          tag == TagName::bytes ? Kind::bytes : Kind::bytearray, std::string_view(*data)));
    }
    default:
      break;
  }
  fail(payload, fmt::format("{} is not a value tag here", what));
}

Slot Builder::tagged_container(TagName tag, std::uint32_t payload, std::uint32_t state) {
  const std::string_view what = tag_text(tag);
  if (tag == TagName::list || tag == TagName::tuple) {
    require(payload, JsonDom::Type::array, what);
    auto* node = heap_->make<detail::SequenceNode>(tag == TagName::list ? Kind::list : Kind::tuple);
    sequence_items(node, payload);
    return detail::node_slot(node);
  }
  if (tag == TagName::set || tag == TagName::frozenset) {
    require(payload, JsonDom::Type::array, what);
    auto* node = heap_->make<detail::TableNode>(tag == TagName::set ? Kind::set : Kind::frozenset);
    member_entries(node, payload);
    return detail::node_slot(node);
  }
  auto* node = heap_->make<detail::TableNode>(Kind::dict);
  if (tag == TagName::odict) node->flavor = DictFlavor::ordered_dict;
  const std::size_t base = tasks_.size();
  if (dom_.at(payload).type == JsonDom::Type::object) {
    object_entries(node, payload);
  } else if (dom_.at(payload).type == JsonDom::Type::array) {
    pair_entries(node, payload);
  } else {
    fail(payload, fmt::format("{} must be an object or an array of [key, value] pairs, not {}",
                              what, type_name(dom_.at(payload).type)));
  }
  if (state != JsonDom::kNone) {
    push(state, &node->state);
    in_document_order(base);
  }
  return detail::node_slot(node);
}

Slot Builder::global(std::uint32_t payload) {
  require(payload, JsonDom::Type::array, "$global");
  if (dom_.at(payload).size != 2) fail(payload, "$global must be [module, qualname]");
  auto* node = heap_->make<detail::GlobalNode>();
  globals_.push_back(node);
  const std::uint32_t module = dom_.first_child(payload);
  push(dom_.at(module).next, &node->name, Role::name, Expect::str);
  push(module, &node->module, Role::name, Expect::str);
  return detail::node_slot(node);
}

Slot Builder::object(std::uint32_t payload) {
  require(payload, JsonDom::Type::object, "$object");
  std::array<std::uint32_t, kObjectFields.size()> field;
  field.fill(JsonDom::kNone);
  for (auto c = dom_.first_child(payload); c != JsonDom::kNone; c = dom_.at(c).next) {
    const std::string_view name = dom_.key(dom_.at(c));
    std::size_t i = 0;
    while (i < kObjectFields.size() && kObjectFields[i] != name) ++i;
    if (i == kObjectFields.size()) {
      fail(c, fmt::format("unknown $object field '{}' (fields: form, callable, args, kwargs, "
                          "state, listitems, dictitems)",
                          name));
    }
    if (field[i] != JsonDom::kNone) fail(c, fmt::format("$object field '{}' appears twice", name));
    field[i] = c;
  }
  const auto [form, callable, args, kwargs, state, listitems, dictitems] = field;
  if (form == JsonDom::kNone) fail(payload, "$object needs a 'form'");
  if (callable == JsonDom::kNone) fail(payload, "$object needs a 'callable'");
  const std::string_view form_text = string_of(form, "form");
  const std::optional<ObjectForm> known = form_named(form_text);
  if (!known) {
    fail(form, fmt::format("unknown form '{}' (forms: reduce, newobj, newobj_ex, inst, obj, "
                           "reconstructor)",
                           form_text));
  }
  auto* node = heap_->make<detail::ObjectNode>();
  node->form = *known;
  const std::size_t base = tasks_.size();
  push(callable, &node->callable);
  if (args != JsonDom::kNone) {
    push(args, &node->args, Role::args, Expect::tuple);
  } else {
    node->args = detail::node_slot(heap_->make<detail::SequenceNode>(Kind::tuple));
  }
  if (kwargs != JsonDom::kNone) push(kwargs, &node->kwargs, Role::value, Expect::dict_or_none);
  if (state != JsonDom::kNone) push(state, &node->state);
  if (listitems != JsonDom::kNone) {
    require(listitems, JsonDom::Type::array, "listitems");
    node->listitems.resize(dom_.at(listitems).size);
    std::size_t i = 0;
    for (auto c = dom_.first_child(listitems); c != JsonDom::kNone; c = dom_.at(c).next) {
      push(c, &node->listitems[i++]);
    }
  }
  if (dictitems != JsonDom::kNone) {
    require(dictitems, JsonDom::Type::array, "dictitems");
    node->dictitems.resize(dom_.at(dictitems).size);
    std::size_t i = 0;
    for (auto pair = dom_.first_child(dictitems); pair != JsonDom::kNone;
         pair = dom_.at(pair).next, ++i) {
      if (dom_.at(pair).type != JsonDom::Type::array || dom_.at(pair).size != 2) {
        fail(pair, "a dictitems item must be a [key, value] array");
      }
      const std::uint32_t key = dom_.first_child(pair);
      push(key, &node->dictitems[i].first);
      push(dom_.at(key).next, &node->dictitems[i].second);
    }
  }
  in_document_order(base);
  return detail::node_slot(node);
}

}  // namespace picklejar::json
