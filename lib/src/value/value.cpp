// Value: construction, kind checks and scalar access. Containers are in value_containers.cpp,
// globals and objects in value_objects.cpp.

#include <picklejar/buffer.hpp>
#include <picklejar/error.hpp>
#include <picklejar/value.hpp>

#include <array>
#include <cmath>
#include <cstring>
#include <string>
#include <utility>

#include "hash.hpp"
#include "utf8.hpp"
#include "value_access.hpp"

namespace picklejar {

using detail::BigInt;
using detail::BigIntNode;
using detail::BytesNode;
using detail::Node;
using detail::StrNode;
using detail::Tag;
using detail::ValueAccess;

std::string_view kind_name(Kind kind) noexcept {
  switch (kind) {
    case Kind::none:
      return "NoneType";
    case Kind::boolean:
      return "bool";
    case Kind::integer:
      return "int";
    case Kind::floating:
      return "float";
    case Kind::str:
      return "str";
    case Kind::bytes:
      return "bytes";
    case Kind::bytearray:
      return "bytearray";
    case Kind::list:
      return "list";
    case Kind::tuple:
      return "tuple";
    case Kind::dict:
      return "dict";
    case Kind::set:
      return "set";
    case Kind::frozenset:
      return "frozenset";
    case Kind::global:
      return "global";
    case Kind::object:
      return "object";
  }
  return "?";
}

namespace {
constexpr std::array<std::pair<ObjectForm, std::string_view>, 6> kFormNames{{
    {ObjectForm::reduce, "reduce"},
    {ObjectForm::newobj, "newobj"},
    {ObjectForm::newobj_ex, "newobj_ex"},
    {ObjectForm::inst, "inst"},
    {ObjectForm::obj, "obj"},
    {ObjectForm::reconstructor, "reconstructor"},
}};
}  // namespace

std::string_view form_name(ObjectForm form) noexcept {
  for (const auto& [known, name] : kFormNames)
    if (known == form) return name;
  return "?";
}

std::optional<ObjectForm> form_named(std::string_view name) noexcept {
  for (const auto& [form, known] : kFormNames)
    if (known == name) return form;
  return std::nullopt;
}

namespace detail {

void retain(Node* node) noexcept {
  ++node->handles;
  node->heap->add_handles(1);
}

void release(Node* node) noexcept {
  --node->handles;
  node->heap->drop_handles(1);
}

void throw_kind_error(std::string_view what, std::string_view expected, Kind actual) {
  throw TypeError(std::string(what) + ": expected " + std::string(expected) + ", got " +
                  std::string(kind_name(actual)));
}

Node* require_kind(const Value& v, Kind k, std::string_view operation) {
  if (v.kind() != k || ValueAccess::node(v) == nullptr) {
    throw_kind_error(operation, kind_name(k), v.kind());
  }
  return ValueAccess::node(v);
}

}  // namespace detail

namespace {

Value str_value(std::string_view utf8) {
  if (auto bad = detail::find_invalid_utf8(utf8)) {
    throw ValueError("str: invalid UTF-8 at byte " + std::to_string(*bad) + " of " +
                     std::to_string(utf8.size()));
  }
  detail::HeapGuard guard(detail::Heap::for_new_value());
  return ValueAccess::handle(detail::node_slot(guard->make_str(utf8)));
}

Value int_value(BigInt big) {
  if (auto small = big.to_int64()) return Value(*small);
  return detail::make_standalone<BigIntNode>(std::move(big));
}

std::string_view as_chars(std::span<const std::byte> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

}  // namespace

Value::Value(const char* utf8) : Value(str_value(utf8 ? std::string_view(utf8) : "")) {}
Value::Value(std::string_view utf8) : Value(str_value(utf8)) {}

Value& Value::operator=(const Value& other) & noexcept {
  Value copy(other);
  std::swap(slot_, copy.slot_);
  return *this;
}

Value& Value::operator=(Value&& other) & noexcept {
  std::swap(slot_, other.slot_);
  return *this;
}

Value Value::from_uint64(std::uint64_t value) { return int_value(BigInt::from_uint64(value)); }

Value Value::bytes(std::span<const std::byte> data) { return bytes(as_chars(data)); }
Value Value::bytes(std::string_view data) {
  return detail::make_standalone<BytesNode>(Kind::bytes, std::string(data));
}
Value Value::bytearray(std::span<const std::byte> data) { return bytearray(as_chars(data)); }
Value Value::bytearray(std::string_view data) {
  return detail::make_standalone<BytesNode>(Kind::bytearray, std::string(data));
}

Value Value::from_buffer(const Buffer& buffer) {
  const auto bytes = buffer.bytes();
  return detail::make_standalone<BytesNode>(buffer.readonly() ? Kind::bytes : Kind::bytearray,
                                            buffer.owner(), const_cast<std::byte*>(bytes.data()),
                                            bytes.size());
}

Value Value::integer_from_decimal(std::string_view text) {
  auto parsed = BigInt::from_decimal(text);
  if (!parsed) {
    throw ValueError("int: invalid decimal text '" + std::string(text.substr(0, 40)) +
                     (text.size() > 40 ? "...'" : "'"));
  }
  return int_value(std::move(*parsed));
}

Value Value::integer_from_bytes(std::span<const std::byte> little_endian) {
  return int_value(BigInt::from_le_twos_complement(little_endian));
}

Kind Value::kind() const noexcept { return detail::slot_kind(slot_); }

bool Value::as_bool() const {
  if (!is_bool()) detail::throw_kind_error("as_bool", "bool", kind());
  return slot_.as.boolean;
}

std::int64_t Value::as_int() const {
  if (slot_.tag == Tag::small_int) return slot_.as.small_int;
  if (slot_.tag == Tag::boolean) return slot_.as.boolean ? 1 : 0;
  if (kind() != Kind::integer) detail::throw_kind_error("as_int", "int", kind());
  throw TypeError("as_int: int " + int_to_decimal() + " does not fit in 64 bits");
}

bool Value::fits_int64() const noexcept {
  return slot_.tag == Tag::small_int || slot_.tag == Tag::boolean;
}

double Value::as_float() const {
  switch (slot_.tag) {
    case Tag::floating:
      return slot_.as.floating;
    case Tag::small_int:
      return static_cast<double>(slot_.as.small_int);
    case Tag::boolean:
      return slot_.as.boolean ? 1.0 : 0.0;
    default:
      break;
  }
  if (kind() != Kind::integer) detail::throw_kind_error("as_float", "float or int", kind());
  const double d = detail::as_bigint(slot_.as.node).value.to_double();
  if (std::isinf(d)) throw TypeError("as_float: int too large to convert to float");
  return d;
}

std::string_view Value::as_str() const {
  return detail::as_str(detail::require_kind(*this, Kind::str, "as_str")).text();
}

std::span<const std::byte> Value::as_bytes() const {
  if (kind() != Kind::bytes && kind() != Kind::bytearray) {
    detail::throw_kind_error("as_bytes", "bytes or bytearray", kind());
  }
  return detail::as_bytes(slot_.as.node).view();
}

std::string_view Value::as_bytes_view() const { return as_chars(as_bytes()); }

std::span<std::byte> Value::mutable_bytes() {
  auto& node = detail::as_bytes(detail::require_kind(*this, Kind::bytearray, "mutable_bytes"));
  if (node.copy_on_write) {  // shared read-only memory: from now on a copy of its own
    node.owned.assign(reinterpret_cast<const char*>(node.external), node.external_size);
    node.external_owner.reset();
    node.external = nullptr;
    node.external_size = 0;
    node.copy_on_write = false;
  }
  if (node.is_external()) return {node.external, node.external_size};
  return std::as_writable_bytes(std::span(node.owned.data(), node.owned.size()));
}

std::string Value::int_to_decimal() const {
  if (slot_.tag == Tag::small_int) return std::to_string(slot_.as.small_int);
  if (slot_.tag == Tag::boolean) return slot_.as.boolean ? "1" : "0";
  return detail::as_bigint(detail::require_kind(*this, Kind::integer, "int_to_decimal"))
      .value.to_decimal();
}

std::vector<std::byte> Value::int_to_bytes() const {
  if (fits_int64()) return BigInt::from_int64(as_int()).to_le_twos_complement();
  return detail::as_bigint(detail::require_kind(*this, Kind::integer, "int_to_bytes"))
      .value.to_le_twos_complement();
}

bool Value::is(const Value& other) const noexcept {
  if (slot_.tag != other.slot_.tag) return false;
  switch (slot_.tag) {
    case Tag::node:
      return slot_.as.node == other.slot_.as.node;
    case Tag::small_int:
      return slot_.as.small_int == other.slot_.as.small_int;
    case Tag::boolean:
      return slot_.as.boolean == other.slot_.as.boolean;
    case Tag::floating:
      return std::memcmp(&slot_.as.floating, &other.slot_.as.floating, sizeof(double)) == 0;
    default:
      return true;
  }
}

std::uintptr_t Value::identity() const noexcept {
  return slot_.tag == Tag::node ? reinterpret_cast<std::uintptr_t>(slot_.as.node) : 0;
}

bool operator==(const Value& a, const Value& b) {
  return detail::slot_equal(ValueAccess::slot(a), ValueAccess::slot(b));
}

std::size_t Value::hash() const { return detail::slot_hash(slot_); }

bool Value::is_hashable() const noexcept {
  try {
    return detail::try_slot_hash(slot_).has_value();
  } catch (...) {  // only allocation failure can get here
    return false;
  }
}

}  // namespace picklejar
