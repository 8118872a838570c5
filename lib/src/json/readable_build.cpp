// from_json(): the readable forms (docs/JSON.md "Readable forms"), built as exactly the
// recipes CPython pickles those objects as, so that reading what to_json(v, {.readable = true})
// wrote gives a value equal to v.

#include <fmt/format.h>

#include <algorithm>

#include "../value/repr_readable.hpp"
#include "build.hpp"
#include "readable_forms.hpp"

namespace picklejar::json {
namespace {

std::string date_bytes(const detail::DateTimeFields& f) {
  return {static_cast<char>(f.year >> 8), static_cast<char>(f.year & 0xFF),
          static_cast<char>(f.month), static_cast<char>(f.day)};
}

std::string time_bytes(const detail::DateTimeFields& f) {
  return {static_cast<char>(f.hour),
          static_cast<char>(f.minute),
          static_cast<char>(f.second),
          static_cast<char>(f.micro >> 16),
          static_cast<char>(f.micro >> 8 & 0xFF),
          static_cast<char>(f.micro & 0xFF)};
}

std::string_view expected_text(TagName tag) {
  switch (tag) {
    case TagName::datetime:
      return "YYYY-MM-DDTHH:MM:SS[.ffffff] and an optional Z, +HH:MM or [Area/City]";
    case TagName::date:
      return "YYYY-MM-DD";
    case TagName::time:
      return "HH:MM:SS[.ffffff] and an optional Z or +HH:MM";
    case TagName::timedelta:
      return "str(timedelta): [-]D day[s], H:MM:SS[.ffffff]";
    case TagName::decimal:
      return "a decimal.Decimal string";
    case TagName::uuid:
      return "a UUID: 8-4-4-4-12 hex digits";
    default:
      return "a POSIX path";
  }
}

std::optional<std::string> uuid_hex(std::string_view text) {
  if (text.size() != 36) return std::nullopt;
  std::string hex = "0x";
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (text[i] == '-')) return std::nullopt;
    if (!dash && !std::isxdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
    if (!dash) hex += text[i];
  }
  return hex;
}

}  // namespace

Slot Builder::make_global(std::string_view module, std::string_view name) {
  auto* node = heap_->make<detail::GlobalNode>();
  node->module = pooled_str(module);
  // CPython's module name and qualname are distinct strs even when equal (datetime.datetime),
  // and its pickle writes both.
  node->name = name == module ? new_str(name) : pooled_str(name);
  globals_.push_back(node);
  return detail::node_slot(node);
}

Slot Builder::make_reduce(Slot callable, std::initializer_list<Slot> args) {
  auto* tuple = heap_->make<detail::SequenceNode>(Kind::tuple);
  for (const Slot& a : args) tuple->items.push_back(a);
  auto* node = heap_->make<detail::ObjectNode>();
  node->form = ObjectForm::reduce;
  node->callable = callable;
  node->args = detail::node_slot(tuple);
  return detail::node_slot(node);
}

Slot Builder::readable_text(TagName tag, std::uint32_t payload) {
  const std::string_view text = string_of(payload, tag_text(tag));
  const auto bad = [&]() {
    fail(payload, fmt::format("{} '{}' is not {}", tag_text(tag), text, expected_text(tag)));
  };
  const auto bytes = [&](std::string data) {
    return detail::node_slot(heap_->make<detail::BytesNode>(Kind::bytes, std::string_view(data)));
  };
  const auto timedelta = [&](const std::array<std::int64_t, 3>& td) {
    return make_reduce(make_global("datetime", "timedelta"),
                       {detail::int_slot(td[0]), detail::int_slot(td[1]), detail::int_slot(td[2])});
  };
  const auto zone = [&](const Zone& z) -> Slot {
    if (z.kind == Zone::Kind::key) {
      const Slot unpickle =
          make_reduce(make_global("builtins", "getattr"),
                      {make_global("zoneinfo", "ZoneInfo"), new_str("_unpickle")});
      return make_reduce(unpickle, {new_str(z.key), detail::int_slot(1)});
    }
    return make_reduce(make_global("datetime", "timezone"), {timedelta(z.offset)});
  };
  switch (tag) {
    case TagName::date: {
      const auto p = parse_date(text);
      if (!p) bad();
      return make_reduce(make_global("datetime", "date"), {bytes(date_bytes(p->fields))});
    }
    case TagName::time:
    case TagName::datetime: {
      const auto p = tag == TagName::time ? parse_time(text) : parse_datetime(text);
      if (!p) bad();
      std::string state = tag == TagName::time ? "" : date_bytes(p->fields);
      state += time_bytes(p->fields);
      const Slot callable = make_global("datetime", tag == TagName::time ? "time" : "datetime");
      if (p->zone.kind == Zone::Kind::naive) return make_reduce(callable, {bytes(state)});
      return make_reduce(callable, {bytes(state), zone(p->zone)});
    }
    case TagName::timedelta: {
      const auto td = parse_timedelta(text);
      if (!td || (*td)[0] < -999999999 || (*td)[0] > 999999999) bad();
      return timedelta(*td);
    }
    case TagName::decimal:
      if (!detail::decimal_str(text)) bad();
      return make_reduce(make_global("decimal", "Decimal"), {new_str(text)});
    case TagName::uuid: {
      const auto hex = uuid_hex(text);
      if (!hex) bad();
      auto* state = heap_->make<detail::TableNode>(Kind::dict);
      const std::size_t table = pending_table(state, payload);
      pending_.entries.emplace_back(
          PendingEntry{pooled_str("int"), big_integer(payload, *hex), payload});
      ++pending_.tables[table].count;
      auto* node = heap_->make<detail::ObjectNode>();
      node->form = ObjectForm::newobj;
      node->callable = make_global("uuid", "UUID");
      node->args = detail::node_slot(heap_->make<detail::SequenceNode>(Kind::tuple));
      node->state = detail::node_slot(state);
      return detail::node_slot(node);
    }
    default: {
      auto* args = heap_->make<detail::SequenceNode>(Kind::tuple);
      for (const std::string& part : posix_parts(text)) args->items.push_back(new_str(part));
      auto* node = heap_->make<detail::ObjectNode>();
      node->callable = make_global("pathlib", "PosixPath");
      node->args = detail::node_slot(args);
      return detail::node_slot(node);
    }
  }
}

Slot Builder::instance(std::uint32_t element, std::uint32_t payload) {
  const auto name = split_class_name(string_of(payload, "$class"));
  if (!name) fail(payload, "$class must be \"module.Name\" or \"module:Qualified.Name\"");
  auto* node = heap_->make<detail::ObjectNode>();
  node->form = ObjectForm::newobj;
  node->callable = make_global(name->first, name->second);
  node->args = detail::node_slot(heap_->make<detail::SequenceNode>(Kind::tuple));
  auto* state = heap_->make<detail::TableNode>(Kind::dict);
  const std::size_t table = pending_table(state, element);
  const std::size_t base = tasks_.size();
  for (auto c = dom_.first_child(element); c != JsonDom::kNone; c = dom_.at(c).next) {
    std::string_view key = dom_.key(dom_.at(c));
    if (is_tag_key(key)) continue;
    if (!key.empty() && key[0] == '$') key.remove_prefix(1);  // "$$x" is the attribute "$x"
    PendingEntry& entry = pending_.entries.emplace_back(PendingEntry{pooled_str(key), {}, c});
    ++pending_.tables[table].count;
    push(c, &entry.value);
  }
  std::reverse(tasks_.begin() + static_cast<std::ptrdiff_t>(base), tasks_.end());
  // No attributes: no BUILD, as Python pickles an instance with an empty __dict__.
  if (pending_.tables[table].count != 0) node->state = detail::node_slot(state);
  return detail::node_slot(node);
}

}  // namespace picklejar::json
